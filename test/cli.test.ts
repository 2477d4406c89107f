import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { run } from './support/cli.js';
import { copyTree, host, policyFile, REPO, REAL_612, tempDir, treeDigest } from './support/host.js';
import { acquireLock } from '../src/apply/lock.js';
import { SIM_CONFIG, SimulatedKernel } from './sim/kernel.js';

const BIN = path.join(REPO, 'dist/daxplan.cjs');
const SIM_BIN = path.join(REPO, 'dist/daxplan-sim.mjs');
const EXAMPLE = path.join(REPO, 'examples/debian-6.12-qemu');
const FAR_MOVABLE = 'version: 1\nrules:\n  - name: far\n    match: { numa_node: [1, 2] }\n    state: online_movable\n';

function simBin(args: string[], env: NodeJS.ProcessEnv = {}) {
  return spawnSync(process.execPath, [SIM_BIN, ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', ...env } });
}

function bin(args: string[], env: NodeJS.ProcessEnv = {}) {
  return spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', ...env } });
}

const cmd = suite('cli: plan, status, validate');

cmd('plan on the bundled example host prints steps, capacity and the summary', async () => {
  const r = await run(['plan', '-c', path.join(EXAMPLE, 'daxplan.yaml'), '--sysfs-root', path.join(EXAMPLE, 'host/sys')]);
  assert.is(r.code, 0);
  assert.match(r.stdout, '+ dax2.0  devdax -> online_movable');
  assert.match(r.stdout, '2. bind to kmem with auto_online_blocks=online_movable for the moment of the bind (then back to online): the new 7 blocks (896 MiB) arrive online in ZONE_MOVABLE');
  assert.match(r.stdout, 'node 2: ZONE_NORMAL -1.38 GiB, ZONE_MOVABLE +2.63 GiB');
  assert.ok(r.stdout.trimEnd().endsWith('Plan: 3 to change, 1 unchanged, 0 unmanaged.'));
});

cmd('--detailed-exitcode: 2 with changes, 0 without', async () => {
  const args = ['plan', '-c', path.join(EXAMPLE, 'daxplan.yaml'), '--sysfs-root', path.join(EXAMPLE, 'host/sys'), '--detailed-exitcode'];
  assert.is((await run(args)).code, 2);
  assert.is((await run([...args, '--device', 'dax0.0'])).code, 0);
  assert.match((await run([...args, '--device', 'dax0.0'])).stdout, 'No changes. Memory matches policy.');
});

cmd('plan --format json is one document with format_version, actions and summary', async () => {
  const r = await run(['plan', '-c', path.join(EXAMPLE, 'daxplan.yaml'), '--sysfs-root', path.join(EXAMPLE, 'host/sys'), '-f', 'json']);
  const doc = JSON.parse(r.stdout);
  assert.is(doc.format_version, '2.0');
  assert.is(doc.kind, 'plan');
  assert.equal(Object.keys(doc.summary), ['change', 'unchanged', 'unmanaged', 'blocked']);
  const dax2 = doc.actions.find((a: { device: string }) => a.device === 'dax2.0');
  assert.equal(
    dax2.steps.map((s: { op: string }) => s.op),
    ['unbind', 'bind'],
  );
  assert.equal(dax2.rule, { name: 'far-memory', file: path.relative(process.cwd(), path.join(EXAMPLE, 'daxplan.yaml')), line: 14 });
  assert.is(dax2.from, 'devdax');
  assert.is(dax2.to, 'online_movable');
  assert.is(dax2.method, 'per-block');
});

cmd('plan --format markdown has the summary first', async () => {
  const r = await run(['plan', '-c', path.join(EXAMPLE, 'daxplan.yaml'), '--sysfs-root', path.join(EXAMPLE, 'host/sys'), '-f', 'markdown']);
  assert.match(r.stdout.split('\n')[0], 'Plan: 3 to change, 1 unchanged, 0 unmanaged.');
  assert.match(r.stdout, '<details>');
});

cmd('status: one row per device, text and JSON', async () => {
  const text = await run(['status', '--sysfs-root', REAL_612]);
  assert.is(text.code, 0);
  const lines = text.stdout.trim().split('\n');
  assert.match(lines[0], /^DEVICE\s+STATE\s+DRIVER\s+STATE-FILE\s+NODE\s+TIER\s+UUID\s+SIZE\s+BLOCKS\s+ZONE$/);
  assert.match(lines[4], /^dax3\.0\s+mixed\s+kmem\s+-\s+2\s+22\s+97d516e9-72fa-46e2-87c0-dbd26808df07\s+1006 MiB\s+4\/7\s+Normal$/);
  const doc = JSON.parse((await run(['status', '--sysfs-root', REAL_612, '--format', 'json'])).stdout);
  assert.is(doc.format_version, '2.0');
  assert.equal(
    doc.devices.map((d: { name: string; state: string; target_node: number; tier: number; size: number }) => [d.name, d.state, d.target_node, d.tier, d.size]),
    [
      ['dax0.0', 'online_movable', 1, 4, 1054867456],
      ['dax1.0', 'online', 2, 22, 1054867456],
      ['dax2.0', 'devdax', 2, 22, 1054867456],
      ['dax3.0', 'mixed', 2, 22, 1054867456],
    ],
  );
});

cmd('validate: valid, warnings, --strict, and host-dependent tier lint', async () => {
  const ok = await run(['validate', '-c', path.join(EXAMPLE, 'daxplan.yaml'), '--sysfs-root', path.join(EXAMPLE, 'host/sys')]);
  assert.is(ok.code, 0);
  assert.match(ok.stdout, '2 rules, valid');
  const shadow = policyFile('version: 1\nrules:\n  - name: a\n    match: { numa_node: 1 }\n    state: online\n  - name: b\n    match: { numa_node: 1 }\n    state: unplug\n');
  const empty = host({ devices: [] });
  const warned = await run(['validate', '-c', shadow, '--sysfs-root', empty]);
  assert.is(warned.code, 0);
  assert.match(warned.stderr, ':6:5: warning: rules[1]: rule "b" is shadowed');
  assert.is((await run(['validate', '-c', shadow, '--sysfs-root', empty, '--strict'])).code, 65);
  const root = host({ devices: [{ name: 'dax0.0', node: 5, blocks: 2, state: 'devdax' }] });
  const tier = policyFile('version: 1\nrules:\n  - name: far\n    match: { tier: 22 }\n    state: online_movable\n');
  const t = await run(['validate', '-c', tier, '--sysfs-root', root, '--strict']);
  assert.is(t.code, 65);
  assert.match(t.stderr, 'daxplan.yaml:3:5: warning: dax0.0: rule "far"');
  assert.match(t.stderr, 'node 5 is in no memory tier');
});

cmd.run();

const errors = suite('cli: errors and exit codes');

errors('an invalid policy exits 65 with file:line:col', async () => {
  const bad = policyFile('version: 1\nrules:\n  - name: a\n    match: { numa_node: 1 }\n    state: sideways\n');
  const r = await run(['plan', '-c', bad, '--sysfs-root', REAL_612]);
  assert.is(r.code, 65);
  assert.match(r.stderr, /daxplan\.yaml:5:12: rules\[0\]\.state: must be one of unplug, online, online_movable, devdax/);
  assert.is(r.stdout, '');
});

errors('usage errors exit 64: unknown flag, bad format, bad device name, unknown command', async () => {
  for (const argv of [
    ['plan', '--frobnicate'],
    ['plan', '--format', 'yaml'],
    ['status', '--device', '../../etc/passwd'],
    ['status', '--device', 'dax0.0;reboot'],
    ['explode'],
    ['apply', '--lock-timeout', 'soon'],
  ]) {
    const r = await run(argv);
    assert.is(r.code, 64, argv.join(' '));
    assert.ok(r.stderr.length > 0);
  }
  assert.match((await run(['status', '--device', '../x'])).stderr, 'is not a dax device name');
});

errors('--help on every command, and colour only on a TTY without NO_COLOR', async () => {
  for (const c of ['plan', 'apply', 'status', 'validate']) {
    const r = await run([c, '--help']);
    assert.is(r.code, 0);
    assert.match(r.stdout, `Usage: daxplan ${c}`);
  }
  assert.is((await run(['--help'])).code, 0);
  const colour = bin(['plan', '-c', path.join(EXAMPLE, 'daxplan.yaml'), '--sysfs-root', path.join(EXAMPLE, 'host/sys')], { NO_COLOR: undefined as unknown as string });
  assert.not.match(colour.stdout, '\x1b[');
});

errors('the product writes only to a sysfs mount: apply on a tree of files is refused before anything is read or written; --dry-run still plans it', () => {
  const root = host({ devices: [{ name: 'dax0.0', node: 1, blocks: 2, state: 'online' }] });
  const before = treeDigest(root);
  const r = bin(['apply', '--auto-approve', '--sysfs-root', root, '-c', policyFile(FAR_MOVABLE), '--lock-file', path.join(tempDir(), 'lock')]);
  assert.is(r.status, 64, r.stderr);
  assert.match(r.stderr, `--sysfs-root ${root} is not a sysfs mount`);
  assert.is(treeDigest(root), before);
  const dry = bin(['apply', '--dry-run', '--sysfs-root', root, '-c', policyFile(FAR_MOVABLE)]);
  assert.is(dry.status, 0, dry.stderr);
  assert.match(dry.stdout, 'online -> online_movable');
});

errors('the product has no simulated kernel: --simulate is an unknown option, and the simulator refuses the real /sys', async () => {
  const r = await run(['apply', '--simulate', '-c', policyFile(FAR_MOVABLE)]);
  assert.is(r.code, 64);
  assert.match(r.stderr, 'apply has no option --simulate');
  assert.throws(() => SimulatedKernel.fromTree('/sys/.'), /never runs on the real sysfs/);
  assert.not.match(fs.readFileSync(BIN, 'utf8'), 'daxplan-sim.json');
});

errors('dist/daxplan-sim.mjs refuses a tree without its marker (exit 64, saying how to make one) and writes nothing to it', () => {
  const root = host({ devices: [{ name: 'dax0.0', node: 1, blocks: 2, state: 'devdax' }] });
  fs.rmSync(path.join(root, SIM_CONFIG));
  const before = treeDigest(root);
  const r = simBin(['apply', '--auto-approve', '--sysfs-root', root, '-c', policyFile(FAR_MOVABLE)]);
  assert.is(r.status, 64, r.stderr);
  assert.match(r.stderr, `${root} is not a simulated kernel: it has no ${SIM_CONFIG}; to make it one: echo '{}' > ${path.join(root, SIM_CONFIG)}`);
  assert.is(treeDigest(root), before);
  const real = simBin(['status']);
  assert.is(real.status, 64);
  assert.match(real.stderr, 'the simulator never runs on a real sysfs (/sys)');
});
errors.run();

const apply = suite('cli: apply on the simulated kernel');

function simHost(spec: Parameters<typeof host>[0], sim: object = {}) {
  return host(spec, sim);
}


apply('apply converges, prints the plan and a per-device summary; a second apply is a no-op', async () => {
  const root = simHost({ autoOnline: 'online', devices: [{ name: 'dax0.0', node: 1, blocks: 4, state: 'devdax' }, { name: 'dax1.0', node: 2, blocks: 4, state: 'online' }] });
  const policy = policyFile(FAR_MOVABLE);
  const first = await run(['apply', '--auto-approve', '--sysfs-root', root, '-c', policy]);
  assert.is(first.code, 0, first.stderr);
  assert.match(first.stdout, 'Plan: 2 to change');
  assert.match(first.stdout, '✓ dax0.0: devdax -> online_movable (per-block, 512 MiB on node 1): applied');
  assert.match(first.stdout, 'node 2: ZONE_NORMAL -512 MiB, ZONE_MOVABLE +512 MiB');
  assert.match(first.stdout, 'Apply: 2 applied, 0 failed, 0 skipped.');
  const before = treeDigest(root);
  const second = await run(['apply', '--auto-approve', '--sysfs-root', root, '-c', policy]);
  assert.is(second.code, 0);
  assert.match(second.stdout, 'No changes. Memory matches policy.');
  assert.is(treeDigest(root), before);
});

apply('--dry-run and plan change nothing', async () => {
  const root = simHost({ devices: [{ name: 'dax0.0', node: 1, blocks: 2, state: 'online' }] });
  const before = treeDigest(root);
  assert.is((await run(['apply', '--dry-run', '--sysfs-root', root, '-c', policyFile(FAR_MOVABLE)])).code, 0);
  assert.is((await run(['plan', '--sysfs-root', root, '-c', policyFile(FAR_MOVABLE)])).code, 0);
  assert.is(treeDigest(root), before);
});

apply('an invalid policy changes nothing on the host', async () => {
  const root = simHost({ devices: [{ name: 'dax0.0', node: 1, blocks: 2, state: 'online' }] });
  const before = treeDigest(root);
  const r = await run(['apply', '--auto-approve', '--sysfs-root', root, '-c', policyFile('version: 1\nrules: 7\n')]);
  assert.is(r.code, 65);
  assert.is(treeDigest(root), before);
});

apply('EBUSY: exit 1, the failure and the device state are reported, JSON says restored', async () => {
  const root = simHost({ devices: [{ name: 'dax0.0', node: 1, blocks: 4, state: 'online' }] }, { busyBlocks: [33] });
  const r = await run(['apply', '--auto-approve', '--sysfs-root', root, '-c', policyFile(FAR_MOVABLE), '--format', 'json']);
  assert.is(r.code, 1);
  const doc = JSON.parse(r.stdout);
  assert.is(doc.kind, 'apply');
  assert.equal(doc.summary, { applied: 0, failed: 1, skipped: 0, blocked: 0 });
  assert.is(doc.outcomes[0].result, 'failed');
  assert.is(doc.outcomes[0].state, 'online');
  assert.is(doc.outcomes[0].restored, true);
  assert.match(doc.outcomes[0].message, 'memory33 failed: EBUSY');
  assert.match(r.stderr, 'dax0.0: failed');
});

for (const [how, text] of [
  ['', FAR_MOVABLE],
  // The warning about the run that died is no reason to refuse: only a movable-ratio excess is.
  [' (on_movable_excess: refuse, within the ratio)', `${FAR_MOVABLE}safety:\n  on_movable_excess: refuse\n`],
]) apply(`a crash between steps: the next run reads the half-moved device and finishes the job${how}`, () => {
  const root = simHost({ devices: [{ name: 'dax0.0', node: 1, blocks: 4, state: 'online' }] }, { crashBeforeWrite: 3 });
  const policy = policyFile(text);
  const crashed = simBin(['apply', '--auto-approve', '--sysfs-root', root, '-c', policy]);
  assert.is(crashed.signal, 'SIGKILL');
  fs.writeFileSync(path.join(root, SIM_CONFIG), '{}');
  assert.match(simBin(['status', '--sysfs-root', root]).stdout, /dax0\.0\s+mixed/);
  const again = simBin(['apply', '--auto-approve', '--sysfs-root', root, '-c', policy, '--lock-timeout', '0']);
  assert.is(again.status, 0, again.stderr);
  assert.match(again.stdout, 'mixed -> online_movable');
  assert.match(again.stderr, /a previous run \(pid \d+, trigger manual, started .*\) died while moving dax0\.0 from online to online_movable; it is now mixed \(2\/4 blocks online, Normal\)/);
  assert.match(simBin(['status', '--sysfs-root', root]).stdout, /dax0\.0\s+online_movable/);
});

apply('a crash between steps, then a run for another device or the kernel alone: the half-moved device is named as it is, not as gone', () => {
  const root = simHost({ devices: [{ name: 'dax0.0', node: 1, blocks: 4, state: 'online' }, { name: 'dax1.0', node: 1, blocks: 2, state: 'online_movable' }] }, { crashBeforeWrite: 3 });
  const policy = policyFile(FAR_MOVABLE);
  const lock = path.join(tempDir(), 'lock');
  assert.is(simBin(['apply', '--auto-approve', '--sysfs-root', root, '-c', policy, '--device', 'dax0.0', '--lock-file', lock]).signal, 'SIGKILL');
  fs.writeFileSync(path.join(root, SIM_CONFIG), '{}');
  const record = fs.readFileSync(lock, 'utf8');
  for (const scope of [['--device', 'dax1.0'], ['--kernel-only']]) {
    fs.writeFileSync(lock, record);
    const other = simBin(['apply', '--auto-approve', '--sysfs-root', root, '-c', policy, '--lock-file', lock, '--lock-timeout', '0', ...scope]);
    assert.is(other.status, 0, other.stderr);
    assert.match(other.stderr, /died while moving dax0\.0 from online to online_movable; it is now mixed \(2\/4 blocks online, Normal\)/, scope.join(' '));
    assert.not.match(other.stderr, 'it is now gone');
  }
});

apply('a crash while auto_online_blocks is overridden for a bind: the next run puts the default back first, even after a run that died before it could', () => {
  const root = simHost({ autoOnline: 'online', devices: [{ name: 'dax0.0', node: 1, blocks: 4, state: 'devdax' }] }, { crashBeforeWrite: 4 });
  const policy = policyFile(FAR_MOVABLE);
  // writes: unbind device_dax, auto_online_blocks=online_movable, kmem new_id, then (killed) auto_online_blocks=online
  assert.is(simBin(['apply', '--auto-approve', '--sysfs-root', root, '-c', policy]).signal, 'SIGKILL');
  fs.writeFileSync(path.join(root, SIM_CONFIG), '{}');
  const auto = () => fs.readFileSync(path.join(root, 'devices/system/memory/auto_online_blocks'), 'utf8').trim();
  assert.is(auto(), 'online_movable', 'the crash left the override in place');
  // The next run dies too, before it could put the default back: the lock must still ask for it.
  fs.writeFileSync(path.join(root, SIM_CONFIG), JSON.stringify({ crashBeforeWrite: 1 }));
  assert.is(simBin(['apply', '--auto-approve', '--sysfs-root', root, '-c', policy, '--lock-timeout', '0']).signal, 'SIGKILL');
  fs.writeFileSync(path.join(root, SIM_CONFIG), '{}');
  assert.is(auto(), 'online_movable');
  const again = simBin(['apply', '--auto-approve', '--sysfs-root', root, '-c', policy, '--lock-timeout', '0']);
  assert.is(again.status, 0, again.stderr);
  assert.match(again.stderr, 'auto_online_blocks: putting back online, owed since binding dax0.0: applied');
  assert.is(auto(), 'online');
  assert.match(again.stdout, 'No changes. Memory matches policy.');
});

apply('concurrent runs serialise on the lock: exit 75 naming the holder, or wait for it', async () => {
  const root = simHost({ devices: [{ name: 'dax0.0', node: 1, blocks: 2, state: 'online' }] });
  const policy = policyFile(FAR_MOVABLE);
  const lockFile = path.join(tempDir(), 'lock');
  const lock = await acquireLock(lockFile, { timeoutSeconds: 0, trigger: 'udev' });
  const held = simBin(['apply', '--auto-approve', '--sysfs-root', root, '-c', policy, '--lock-file', lockFile, '--lock-timeout', '0']);
  assert.is(held.status, 75);
  assert.match(held.stderr, `held by pid ${process.pid} (trigger udev`);
  const waiter = spawn(process.execPath, [SIM_BIN, 'apply', '--auto-approve', '--sysfs-root', root, '-c', policy, '--lock-file', lockFile, '--lock-timeout', '20'], {
    env: { ...process.env, NO_COLOR: '1' },
  });
  let stderr = '';
  waiter.stderr.on('data', (d) => (stderr += d));
  // Released once the waiter says it waits (a fixed delay lost the race on a loaded machine).
  for (let waited = 0; !stderr.includes('waiting up to') && waited < 15_000; waited += 50) await new Promise((r) => setTimeout(r, 50));
  await lock.release();
  const code = await new Promise((r) => waiter.on('exit', r));
  assert.is(code, 0, stderr);
  assert.match(stderr, 'waiting up to 20s for the lock held by pid');
});

apply('the lock file: a record while held, each written over the last and cut to its length, empty once released', async () => {
  const lockFile = path.join(tempDir(), 'lock');
  const lock = await acquireLock(lockFile, { timeoutSeconds: 0, trigger: 'udev' });
  const record = () => fs.readFileSync(lockFile, 'utf8');
  assert.equal(JSON.parse(record()), { pid: process.pid, trigger: 'udev', started: JSON.parse(record()).started });
  lock.record({ device: 'dax0.0', from: 'devdax', to: 'online_movable' });
  assert.equal(JSON.parse(record()).moving, { device: 'dax0.0', from: 'devdax', to: 'online_movable' });
  lock.record(undefined);
  assert.is(record().split('\n').length, 2, 'one line: the shorter record left no tail of the longer one');
  assert.is(JSON.parse(record()).moving, undefined);
  await lock.release();
  assert.is(record(), '');
  // A run killed between writing a record and cutting the file leaves the new record first: it is the one read.
  fs.writeFileSync(lockFile, `${JSON.stringify({ pid: 4242, trigger: 'udev', started: 'then' })}\n"moving":{"device":"dax9.0"}}\n`);
  const after = await acquireLock(lockFile, { timeoutSeconds: 0, trigger: 'manual' });
  try {
    assert.equal(after.interrupted, { pid: 4242, trigger: 'udev', started: 'then' });
  } finally {
    await after.release();
  }
});

apply('what a run owes auto_online_blocks stays on the lock record through its own moves and its release, and is not taken for a crash', async () => {
  const lockFile = path.join(tempDir(), 'lock');
  const owed = { device: 'dax0.0', restore: 'offline', set: 'online_movable', boot_id: 'b0000000-0000-4000-8000-000000000001' };
  fs.writeFileSync(lockFile, JSON.stringify({ pid: 999999999, trigger: 'udev', started: 'then', moving: { device: 'dax0.0', from: 'devdax', to: 'online_movable' }, owed }) + '\n');
  const record = () => JSON.parse(fs.readFileSync(lockFile, 'utf8'));
  const second = await acquireLock(lockFile, { timeoutSeconds: 0, trigger: 'boot' });
  assert.equal(second.owed, owed, 'a bind the dead holder was in owes its override back');
  second.record({ device: 'dax1.0', from: 'devdax', to: 'online' });
  assert.equal(record().owed, owed, 'moving another device keeps the debt on record');
  await second.release();
  assert.equal(record(), { pid: process.pid, trigger: 'boot', started: record().started, owed }, 'released: the debt alone, no device moving');
  const third = await acquireLock(lockFile, { timeoutSeconds: 0, trigger: 'manual' });
  assert.is(third.interrupted?.moving, undefined, 'a clean release with a debt is no interrupted run');
  assert.equal(third.owed, owed);
  third.owe(undefined);
  await third.release();
  assert.is(fs.readFileSync(lockFile, 'utf8'), '');
  // A record without the value the bind set and its boot cannot be paid by compare-and-swap: it is no debt.
  fs.writeFileSync(lockFile, JSON.stringify({ pid: 999999999, trigger: 'udev', started: 'then', owed: { device: 'dax0.0', restoreAutoOnline: 'online' } }) + '\n');
  const fourth = await acquireLock(lockFile, { timeoutSeconds: 0, trigger: 'manual' });
  assert.is(fourth.owed, undefined);
  await fourth.release();
});

apply('--timings tells where the time went: one `timing PHASE MS` line per phase, each step and re-read', async () => {
  const root = simHost({ devices: [{ name: 'dax0.0', node: 1, blocks: 2, state: 'online' }] });
  const quiet = await run(['apply', '--sysfs-root', root, '-c', policyFile(FAR_MOVABLE), '--dry-run']);
  assert.not.match(quiet.stderr, /^timing /m);
  const r = await run(['apply', '--auto-approve', '--sysfs-root', root, '-c', policyFile(FAR_MOVABLE), '--timings']);
  assert.is(r.code, 0, r.stderr);
  const phases = r.stderr.split('\n').filter((l) => l.startsWith('timing ')).map((l) => {
    assert.match(l, /^timing \S+ \d+\.\d$/);
    return l.split(' ')[1];
  });
  assert.equal(phases.filter((p) => !p.startsWith('reread:')), ['start-up', 'policy', 'lock', 'observe', 'plan', 'safety', 'settings', 'step:dax0.0:1/2:offline_blocks', 'step:dax0.0:2/2:online_blocks', 'verify:dax0.0', 'output', 'total']);
  // the device is read once before the first step and once after each step; verification uses the last read
  assert.is(phases.filter((p) => p === 'reread:dax0.0').length, 3);
});

apply('the lock needs no helper program: apply runs with an empty PATH; a lock file of another kind is refused', () => {
  const root = simHost({ devices: [{ name: 'dax0.0', node: 1, blocks: 2, state: 'online' }] });
  const before = treeDigest(root);
  const fifo = path.join(tempDir(), 'lock');
  spawnSync('mkfifo', [fifo]);
  const refused = simBin(['apply', '--auto-approve', '--sysfs-root', root, '-c', policyFile(FAR_MOVABLE), '--lock-file', fifo]);
  assert.is(refused.status, 1);
  assert.match(refused.stderr, 'not a regular file');
  assert.is(treeDigest(root), before);
  const r = simBin(['apply', '--auto-approve', '--sysfs-root', root, '-c', policyFile(FAR_MOVABLE)], { PATH: tempDir() });
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stdout, 'dax0.0: online -> online_movable');
});

apply('a saved plan applies exactly; a stale one is refused before any write', async () => {
  const root = simHost({ devices: [{ name: 'dax0.0', node: 1, blocks: 2, state: 'online' }, { name: 'dax1.0', node: 2, blocks: 2, state: 'devdax' }] });
  const saved = path.join(tempDir(), 'plan.json');
  const planned = await run(['plan', '--sysfs-root', root, '-c', policyFile(FAR_MOVABLE), '--out', saved]);
  assert.is(planned.code, 0);
  const doc = JSON.parse(fs.readFileSync(saved, 'utf8'));
  assert.is(doc.kind, 'saved-plan');
  assert.equal(doc.host.devices.map((d: { identity: { name: string } }) => d.identity.name), ['dax0.0', 'dax1.0']);
  assert.equal(doc.actions.map((a: { device: string; to: string }) => `${a.device}->${a.to}`), ['dax0.0->online_movable', 'dax1.0->online_movable']);
  // the host moves on: a block of dax0.0 goes offline
  const moved = copyTree(root);
  fs.writeFileSync(path.join(moved, 'devices/system/memory/memory33/state'), 'offline\n');
  const before = treeDigest(moved);
  const stale = await run(['apply', saved, '--sysfs-root', moved]);
  assert.is(stale.code, 1);
  assert.match(stale.stderr, `saved plan ${saved} is stale`);
  assert.match(stale.stderr, 'dax0.0 was online (2/2 blocks online, Normal), is now mixed (1/2 blocks online, Normal)');
  assert.is(treeDigest(moved), before);
  const fresh = await run(['apply', saved, '--sysfs-root', root]);
  assert.is(fresh.code, 0, fresh.stderr);
  assert.match(fresh.stdout, 'Apply: 2 applied');
  const twice = await run(['apply', saved, '--sysfs-root', root]);
  assert.is(twice.code, 1);
  assert.match(twice.stderr, 'is stale');
});

apply('an edited saved plan is refused: its digest covers what it will do', async () => {
  const root = simHost({ devices: [{ name: 'dax0.0', node: 1, blocks: 2, state: 'online' }] });
  const saved = path.join(tempDir(), 'plan.json');
  assert.is((await run(['plan', '--sysfs-root', root, '-c', policyFile(FAR_MOVABLE), '--out', saved])).code, 0);
  const doc = JSON.parse(fs.readFileSync(saved, 'utf8'));
  doc.actions[0].to = 'unplug';
  fs.writeFileSync(saved, JSON.stringify(doc, null, 2));
  const before = treeDigest(root);
  const r = await run(['apply', saved, '--sysfs-root', root]);
  assert.is(r.code, 1);
  assert.match(r.stderr, 'it was changed after daxplan wrote it');
  assert.is(treeDigest(root), before);
});

apply('a plan saved with --device applies to that device alone', async () => {
  const root = simHost({ devices: [{ name: 'dax0.0', node: 1, blocks: 2, state: 'online' }, { name: 'dax1.0', node: 2, blocks: 2, state: 'online' }] });
  const saved = path.join(tempDir(), 'plan.json');
  assert.is((await run(['plan', '--sysfs-root', root, '-c', policyFile(FAR_MOVABLE), '--device', 'dax1.0', '--out', saved])).code, 0);
  const r = await run(['apply', saved, '--sysfs-root', root]);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, 'Apply: 1 applied');
  assert.match((await run(['status', '--sysfs-root', root])).stdout, /dax0\.0\s+online\s[\s\S]*dax1\.0\s+online_movable/);
});

apply('a saved plan that is not one is a usage error', async () => {
  const bad = path.join(tempDir(), 'plan.json');
  fs.writeFileSync(bad, JSON.stringify({ format_version: '3.0', kind: 'saved-plan', actions: [{ device: '../../x', from: 'online', to: 'unplug', method: 'per-block', steps: [] }] }));
  const empty = host({ devices: [] });
  const r = await run(['apply', bad, '--sysfs-root', empty]);
  assert.is(r.code, 64);
  assert.match(r.stderr, 'not a daxplan saved plan');
  fs.writeFileSync(bad, JSON.stringify({ format_version: '2.0', kind: 'saved-plan', actions: [] }));
  assert.match((await run(['apply', bad, '--sysfs-root', empty])).stderr, 'format_version 2.0 is not supported by this daxplan (it reads 3.x; make one with daxplan plan --out FILE)');
  fs.writeFileSync(bad, JSON.stringify({ format_version: '2.0', kind: 'plan' }));
  assert.match((await run(['apply', bad, '--sysfs-root', empty])).stderr, 'is a daxplan plan, not a daxplan saved plan');
});

apply.run();

const safety = suite('cli: movable ratio safety');

safety('a plan that leaves too little kernel memory for ZONE_MOVABLE warns, and with refuse apply changes nothing', async () => {
  const root = host({ bootBlocks: 4, devices: [{ name: 'dax0.0', node: 1, blocks: 16, state: 'devdax' }] });
  const warn = policyFile(FAR_MOVABLE);
  const planned = await run(['plan', '--sysfs-root', root, '-c', warn]);
  assert.match(planned.stdout, 'Warning: after this plan ZONE_MOVABLE would be 2 GiB against 512 MiB of kernel memory (400%, above the kernel\'s default ratio 301%, as the policy sets no safety.movable_ratio_percent)');
  const refuse = policyFile(FAR_MOVABLE.replace('version: 1\n', 'version: 1\nsafety: { on_movable_excess: refuse }\n'));
  const before = treeDigest(root);
  const r = await run(['apply', '--auto-approve', '--sysfs-root', root, '-c', refuse]);
  assert.is(r.code, 1);
  assert.match(r.stderr, 'refusing to apply (safety.on_movable_excess: refuse)');
  assert.is(treeDigest(root), before);
  const roomy = policyFile(FAR_MOVABLE.replace('version: 1\n', 'version: 1\nsafety: { on_movable_excess: refuse, movable_ratio_percent: 500 }\n'));
  assert.is((await run(['apply', '--auto-approve', '--sysfs-root', root, '-c', roomy])).code, 0);
});

safety.run();

const rootWrites = suite('cli: writes that a planted symlink cannot redirect');

rootWrites('the lock file and plan --out refuse a symlink', async () => {
  const root = host({ devices: [{ name: 'dax0.0', node: 1, blocks: 2, state: 'online' }] });
  const dir = tempDir();
  const victim = path.join(dir, 'victim');
  fs.writeFileSync(victim, 'precious\n');
  fs.symlinkSync(victim, path.join(dir, 'lock'));
  const locked = await run(['apply', '--auto-approve', '--sysfs-root', root, '-c', policyFile(FAR_MOVABLE), '--lock-file', path.join(dir, 'lock')]);
  assert.is(locked.code, 1);
  assert.match(locked.stderr, 'is a symbolic link');
  fs.symlinkSync(victim, path.join(dir, 'plan.json'));
  const out = await run(['plan', '--sysfs-root', root, '-c', policyFile(FAR_MOVABLE), '--out', path.join(dir, 'plan.json')]);
  assert.is(out.code, 1);
  assert.match(out.stderr, 'is a symbolic link');
  assert.is(fs.readFileSync(victim, 'utf8'), 'precious\n');
});

rootWrites.run();
