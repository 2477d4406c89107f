// What a bind owes auto_online_blocks (the lock record's `owed`) is paid by
// compare-and-swap: only in the boot it was owed in, only while the kernel
// still reads the value the bind set; after approval, in the output and the
// exit code. Otherwise it is dropped, with a log line, and nothing is written.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { run } from './support/cli.js';
import { host, policyFile, tempDir } from './support/host.js';

const BOOT = 'b0000000-0000-4000-8000-000000000001';
const KEEP_ONLINE = 'version: 1\nrules:\n  - name: far\n    match: { numa_node: [1] }\n    state: online\n';
const FAR_MOVABLE = 'version: 1\nrules:\n  - name: far\n    match: { numa_node: [1] }\n    state: online_movable\n';

interface Debt {
  boot: string;
  set: string;
  now: string;
}

/** A host with nothing to do for KEEP_ONLINE, whose lock records a bind's unpaid override ("online" was there before the bind set `set`). */
function indebted({ boot, set, now }: Debt) {
  const root = host({ autoOnline: now as 'online', devices: [{ name: 'dax0.0', node: 1, blocks: 2, state: 'online' }] }, {});
  const kernel = path.join(path.dirname(root), 'proc/sys/kernel');
  fs.mkdirSync(path.join(kernel, 'random'), { recursive: true });
  fs.writeFileSync(path.join(kernel, 'random/boot_id'), BOOT + '\n');
  const lock = path.join(tempDir(), 'lock');
  fs.writeFileSync(lock, JSON.stringify({ pid: 999999999, trigger: 'udev', started: 'then', owed: { device: 'dax0.0', restore: 'online', set, boot_id: boot } }) + '\n');
  const auto = () => fs.readFileSync(path.join(root, 'devices/system/memory/auto_online_blocks'), 'utf8').trim();
  return { root, lock, auto };
}

const owed = suite('owed auto_online_blocks: compare-and-swap');

owed('an administrator set it since: the debt is dropped with a log line, the setting left alone', async () => {
  const h = indebted({ boot: BOOT, set: 'online_movable', now: 'offline' });
  const r = await run(['apply', '--auto-approve', '--sysfs-root', h.root, '-c', policyFile(KEEP_ONLINE), '--lock-file', h.lock]);
  assert.is(r.code, 0, r.stderr);
  assert.is(h.auto(), 'offline');
  assert.match(r.stderr, 'auto_online_blocks reads offline, not online_movable as the bind of dax0.0 left it: someone set it since; dropping the debt (nothing written)');
  assert.is(fs.readFileSync(h.lock, 'utf8'), '', 'the debt is gone from the record');
});

owed('a debt from another boot is dropped: the boot unit with a persistent --lock-file writes nothing', async () => {
  const h = indebted({ boot: 'b0000000-0000-4000-8000-0000000000ff', set: 'online_movable', now: 'online_movable' });
  const r = await run(['apply', '--auto-approve', '--trigger', 'boot', '--sysfs-root', h.root, '-c', policyFile(KEEP_ONLINE), '--lock-file', h.lock]);
  assert.is(r.code, 0, r.stderr);
  assert.is(h.auto(), 'online_movable');
  assert.match(r.stderr, 'was owed in boot b0000000-0000-4000-8000-0000000000ff, this is boot b0000000-0000-4000-8000-000000000001');
  assert.is(fs.readFileSync(h.lock, 'utf8'), '');
});

owed('in the same boot, still as the bind set it: put back after approval, in the JSON output and the exit code', async () => {
  const h = indebted({ boot: BOOT, set: 'online_movable', now: 'online_movable' });
  // Asked and refused: nothing is written, the debt stays.
  const asked = await run(['apply', '--sysfs-root', h.root, '-c', policyFile(FAR_MOVABLE), '--lock-file', h.lock], {}, undefined, {
    terminal: () => ({ ask: async () => 'no' }),
  });
  assert.is(asked.code, 1);
  assert.is(h.auto(), 'online_movable');
  assert.ok(JSON.parse(fs.readFileSync(h.lock, 'utf8')).owed, 'still owed');
  const r = await run(['apply', '--auto-approve', '--sysfs-root', h.root, '-c', policyFile(KEEP_ONLINE), '--lock-file', h.lock, '--format', 'json', '--detailed-exitcode']);
  assert.is(r.code, 2, r.stderr);
  assert.is(h.auto(), 'online');
  const doc = JSON.parse(r.stdout);
  assert.equal(doc.kernel_outcomes, [{ setting: 'auto_online_blocks', from: 'online_movable', to: 'online', result: 'applied', message: 'owed by the bind of dax0.0, which could not put it back' }]);
  assert.is(fs.readFileSync(h.lock, 'utf8'), '');
});

owed('on a terminal with nothing else to do, the debt is shown and asked about', async () => {
  const h = indebted({ boot: BOOT, set: 'online_movable', now: 'online_movable' });
  const asking = (answer: string) => ({ terminal: () => ({ ask: async () => answer }) });
  const args = ['apply', '--sysfs-root', h.root, '-c', policyFile(KEEP_ONLINE), '--lock-file', h.lock];
  const no = await run(args, {}, undefined, asking('no'));
  assert.is(no.code, 1);
  assert.match(no.stdout, 'auto_online_blocks: online_movable -> online, owed since a bind of dax0.0 could not put it back');
  assert.is(h.auto(), 'online_movable');
  const yes = await run(args, {}, undefined, asking('yes'));
  assert.is(yes.code, 0, yes.stderr);
  assert.is(h.auto(), 'online');
  assert.is(fs.readFileSync(h.lock, 'utf8'), '');
});

owed.run();
