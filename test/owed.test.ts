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
import { tick } from '../src/cli/watch.js';
import { procBinding } from '../src/cli/common.js';
import { SimulatedKernel } from './sim/kernel.js';

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

owed('apply --dry-run shows what a debt comes to (written back, or dropped and why), writes nothing, and counts it for --detailed-exitcode', async () => {
  const h = indebted({ boot: BOOT, set: 'online_movable', now: 'online_movable' });
  const args = ['apply', '--dry-run', '--sysfs-root', h.root, '-c', policyFile(KEEP_ONLINE), '--lock-file', h.lock];
  const record = fs.readFileSync(h.lock, 'utf8');
  const text = await run([...args, '--detailed-exitcode']);
  assert.is(text.code, 2, 'a debt to put back is something to apply');
  assert.match(text.stdout, '  ~ auto_online_blocks: online_movable -> online, owed since a bind of dax0.0 could not put it back (written once approved, only if it still reads online_movable in that boot)');
  const json = await run([...args, '--format', 'json']);
  assert.is(json.code, 0, json.stderr);
  assert.equal(JSON.parse(json.stdout).plan.owed, { setting: 'auto_online_blocks', device: 'dax0.0', restore: 'online', set: 'online_movable', boot_id: BOOT, action: 'write', why: null });
  assert.is(h.auto(), 'online_movable');
  assert.is(fs.readFileSync(h.lock, 'utf8'), record, 'the debt stays on record');

  const dropped = indebted({ boot: BOOT, set: 'online_movable', now: 'offline' });
  const drop = await run(['apply', '--dry-run', '--detailed-exitcode', '--sysfs-root', dropped.root, '-c', policyFile(KEEP_ONLINE), '--lock-file', dropped.lock, '--format', 'json']);
  assert.is(drop.code, 0, 'dropping a debt writes nothing to the kernel');
  const doc = JSON.parse(drop.stdout);
  assert.is(doc.plan.owed.action, 'drop');
  assert.is(doc.plan.owed.why, 'auto_online_blocks reads offline, not online_movable as the bind of dax0.0 left it: someone set it since');
  const shown = await run(['apply', '--dry-run', '--sysfs-root', dropped.root, '-c', policyFile(KEEP_ONLINE), '--lock-file', dropped.lock]);
  assert.match(shown.stdout, '  ! auto_online_blocks: online, owed since a bind of dax0.0 could not put it back, is not written back: auto_online_blocks reads offline');
});

owed('a debt that comes up while the operator decides is not approved: nothing is written', async () => {
  const h = indebted({ boot: BOOT, set: 'online_movable', now: 'online_movable' });
  const debt = fs.readFileSync(h.lock, 'utf8');
  fs.writeFileSync(h.lock, '');
  // A run dies while the question is on the screen, leaving its debt on the lock.
  const r = await run(['apply', '--sysfs-root', h.root, '-c', policyFile(FAR_MOVABLE), '--lock-file', h.lock], {}, undefined, {
    terminal: () => ({ ask: async () => (fs.writeFileSync(h.lock, debt), 'yes') }),
  });
  assert.is(r.code, 1, r.stderr);
  assert.match(r.stderr, 'the host changed while you decided: nothing written');
  assert.is(h.auto(), 'online_movable');
  assert.ok(JSON.parse(fs.readFileSync(h.lock, 'utf8')).owed, 'still owed');
});

owed('what a lock record carries reaches the terminal without control characters, C1 (CSI) included', async () => {
  const h = indebted({ boot: BOOT, set: 'online_movable', now: 'online_movable' });
  const record = JSON.parse(fs.readFileSync(h.lock, 'utf8'));
  fs.writeFileSync(h.lock, JSON.stringify({ ...record, owed: { ...record.owed, device: 'dax0.0\x9b2J\x1b[2J' } }) + '\n');
  const r = await run(['apply', '--dry-run', '--sysfs-root', h.root, '-c', policyFile(KEEP_ONLINE), '--lock-file', h.lock]);
  assert.match(r.stdout, 'owed since a bind of dax0.0 2J [2J could not put it back');
  assert.not.match(r.stdout + r.stderr, /[\x1b\x80-\x9f]/);
});

owed('apply JSON says what the run did with the debt in plan.owed, null without one', async () => {
  const h = indebted({ boot: BOOT, set: 'online_movable', now: 'online_movable' });
  const args = ['apply', '--auto-approve', '--sysfs-root', h.root, '-c', policyFile(KEEP_ONLINE), '--lock-file', h.lock, '--format', 'json'];
  const paid = await run(args);
  assert.is(paid.code, 0, paid.stderr);
  assert.is(JSON.parse(paid.stdout).plan.owed.action, 'write');
  const after = await run(args);
  assert.is(JSON.parse(after.stdout).plan.owed, null);
});

owed('watch --apply on a tree pays a debt in the boot of the tree (its proc/ beside sys/), not of this machine', async () => {
  const h = indebted({ boot: BOOT, set: 'online_movable', now: 'online_movable' });
  const values = { 'sysfs-root': h.root };
  const lines: string[] = [];
  const done = await tick(
    {
      policy: { config: policyFile(FAR_MOVABLE), cwd: process.cwd(), asRoot: false },
      sysfs: SimulatedKernel.fromTree(h.root),
      apply: { lock: { file: h.lock, transient: false }, timeoutSeconds: 0, binding: () => procBinding(values) },
      warn: (line) => lines.push(line),
    },
    {},
  );
  assert.match(done.line, 'applied 1, failed 0');
  assert.is(h.auto(), 'online', 'put back: owed in the boot the tree is in');
  assert.is(fs.readFileSync(h.lock, 'utf8'), '');
});

owed.run();
