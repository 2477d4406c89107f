// Exit codes and messages tell the truth: a blocked device is never "all is
// well", apply counts it, and no message shows "undefined" for a value it
// could not read.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { run } from './support/cli.js';
import { host, policyFile, tempDir } from './support/host.js';
import { devicePath } from './sim/tree.js';
import { readHolder, describeHolder } from '../src/host/lock-record.js';

const ALL_MOVABLE = 'version: 1\nrules:\n  - name: all\n    match: { device: "dax*" }\n    state: online_movable\n';
const BY_TIER = 'version: 1\nrules:\n  - name: far\n    match: { tier: 22 }\n    state: online_movable\n';

/** dax0.0 readable and devdax; dax1.0 with a target_node that does not parse (blocked under any rule that decides it). */
function hostWithBlocked(): string {
  const root = host({ devices: [{ name: 'dax0.0', node: 1, blocks: 2, state: 'devdax' }, { name: 'dax1.0', node: 2, blocks: 2, state: 'devdax' }] });
  fs.writeFileSync(path.join(root, devicePath({ name: 'dax1.0' }), 'target_node'), 'two\n');
  return root;
}

const codes = suite('truth: exit codes');

codes('plan --detailed-exitcode is 1 while a device is blocked, even with changes; 2 and 0 otherwise', async () => {
  const root = hostWithBlocked();
  const policy = policyFile(ALL_MOVABLE);
  const blocked = await run(['plan', '-c', policy, '--sysfs-root', root, '--detailed-exitcode']);
  assert.is(blocked.code, 1, blocked.stderr);
  assert.match(blocked.stdout, 'Plan: 1 to change, 0 unchanged, 0 unmanaged, 1 blocked.');
  assert.is((await run(['plan', '-c', policy, '--sysfs-root', root])).code, 0, 'without the flag a plan that prints is a success');
  assert.is((await run(['plan', '-c', policy, '--sysfs-root', root, '--detailed-exitcode', '--device', 'dax0.0'])).code, 2);
  const none = policyFile('version: 1\nrules:\n  - name: keep\n    match: { device: "dax0.0" }\n    state: devdax\n');
  assert.is((await run(['plan', '-c', none, '--sysfs-root', root, '--detailed-exitcode', '--device', 'dax0.0'])).code, 0);
});

codes('apply counts blocked devices in its text and JSON summaries and exits 1, also when nothing else was to do', async () => {
  const root = hostWithBlocked();
  const policy = policyFile(ALL_MOVABLE);
  const lock = ['--lock-file', path.join(tempDir(), 'lock')];
  const text = await run(['apply', '--auto-approve', '-c', policy, '--sysfs-root', root, ...lock]);
  assert.is(text.code, 1, text.stderr);
  assert.match(text.stdout, 'Apply: 1 applied, 0 failed, 0 skipped, 1 blocked.');
  const json = await run(['apply', '--auto-approve', '-c', policy, '--sysfs-root', root, '--format', 'json', ...lock]);
  assert.is(json.code, 1);
  assert.equal(JSON.parse(json.stdout).summary, { applied: 0, failed: 0, skipped: 0, blocked: 1 });
  const again = await run(['apply', '--auto-approve', '-c', policy, '--sysfs-root', root, ...lock]);
  assert.is(again.code, 1);
  assert.match(again.stdout, 'Apply: 0 applied, 0 failed, 0 skipped, 1 blocked.');
});

codes.run();

const words = suite('truth: messages show what they could not read, never "undefined"');

words('a tier rule on a device whose target node cannot be read', async () => {
  const root = hostWithBlocked();
  const r = await run(['plan', '-c', policyFile(BY_TIER), '--sysfs-root', root, '--device', 'dax1.0']);
  assert.match(r.stdout, "dax1.0  devdax  blocked: rule \"far\"");
  assert.match(r.stdout, "the device's target node cannot be read");
  assert.not.match(r.stdout + r.stderr, 'undefined');
});

words('a lock file that names a pid and nothing else', () => {
  const file = path.join(tempDir(), 'lock');
  fs.writeFileSync(file, JSON.stringify({ pid: 4242, moving: { device: 'dax0.0' } }));
  const holder = readHolder(file)!;
  assert.is(describeHolder(holder), 'pid 4242 (trigger unknown, since unknown)');
  assert.equal(holder.moving, { device: 'dax0.0', from: 'unknown', to: 'unknown' });
  fs.writeFileSync(file, JSON.stringify({ pid: 'x' }));
  assert.is(describeHolder(readHolder(file)), 'another process');
});

words('a lock file asks to put back only a value auto_online_blocks can hold: anything else is dropped, never written', () => {
  const file = path.join(tempDir(), 'lock');
  const owed = { device: 'dax0.0', restore: 'online', set: 'online_movable', boot_id: 'b0000000-0000-4000-8000-000000000001' };
  fs.writeFileSync(file, JSON.stringify({ pid: 4242, owed }));
  assert.equal(readHolder(file)!.owed, owed);
  fs.writeFileSync(file, JSON.stringify({ pid: 4242, owed: { ...owed, restore: 'online\nmovable' } }));
  assert.is(readHolder(file)!.owed, undefined);
});

words.run();

const empty = suite('truth: an empty value is a usage error, never "not given"');

empty('--out "", --config "", --root "", --sysfs-root "" and --device "" exit 64 naming the flag', async () => {
  for (const argv of [
    ['plan', '--out', ''],
    ['plan', '-c', ''],
    ['status', '--root', ''],
    ['status', '--sysfs-root', ''],
    ['status', '--device', 'dax0.0', '--device', ''],
  ]) {
    const r = await run(argv);
    assert.is(r.code, 64, argv.join(' '));
    assert.match(r.stderr, `--${argv[argv.length - 2].replace(/^-c$/, '--config').replace(/^--/, '')} needs a value, got ""`);
  }
});

empty.run();
