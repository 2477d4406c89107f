// Signals for fleet tools: status --format prometheus and nfd, the last apply
// they report, --metrics-file / --features-file, and syslog priorities when
// the output is the journal.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { run } from './support/cli.js';
import { host, policyFile, REPO, tempDir } from './support/host.js';
import { readProcFacts } from '../src/host/proc.js';
import { journalStreams } from '../src/cli/journal.js';
import { tick, type WatchSetup } from '../src/cli/watch.js';
import { SimulatedKernel } from './sim/kernel.js';
import { lastApplyFile } from '../src/host/last-apply.js';
import { writePause } from '../src/host/pause.js';
import { acquireLock } from '../src/apply/lock.js';
import { lockFile } from '../src/cli/common.js';

const FAR_MOVABLE = 'version: 1\nrules:\n  - name: far\n    match: { numa_node: [1, 2] }\n    state: online_movable\n';
// dax0.0: 4 blocks in ZONE_NORMAL (blocks 32-35), to become movable; dax1.0: devdax, to become movable.
const TWO = {
  devices: [
    { name: 'dax0.0', node: 1, blocks: 4, state: 'online' as const },
    { name: 'dax1.0', node: 2, blocks: 2, state: 'devdax' as const },
  ],
};
const BLOCK = 128 * 1024 * 1024;

/** A host, its policy, and a lock file of its own (the last apply is recorded beside it). */
function fleetHost(sim = {}, policy = FAR_MOVABLE) {
  const dir = tempDir();
  return { root: host(TWO, sim), config: policyFile(policy), lock: path.join(dir, 'lock'), dir };
}
const common = (h: ReturnType<typeof fleetHost>) => ['--sysfs-root', h.root, '-c', h.config, '--lock-file', h.lock];

/** Samples of a metrics text: `name{labels}` -> value. */
function samples(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    out.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return out;
}

const metrics = suite('status --format prometheus: node_exporter textfile metrics');

metrics('per device state, size and bytes online per zone; drift and blocked against the policy; converged', async () => {
  const h = fleetHost();
  const r = await run(['status', ...common(h), '-f', 'prometheus']);
  assert.is(r.code, 0, r.stderr);
  const m = samples(r.stdout);
  assert.is(m.get('daxplan_device_state{device="dax0.0",state="online"}'), 1);
  assert.is(m.get('daxplan_device_state{device="dax0.0",state="online_movable"}'), 0);
  assert.is(m.get('daxplan_device_state{device="dax1.0",state="devdax"}'), 1);
  assert.is(m.get('daxplan_device_online_bytes{device="dax0.0",zone="normal"}'), 4 * BLOCK);
  assert.is(m.get('daxplan_device_online_bytes{device="dax0.0",zone="movable"}'), 0);
  assert.is(m.get('daxplan_device_online_bytes{device="dax1.0",zone="normal"}'), 0);
  assert.is(m.get('daxplan_device_drift{device="dax0.0"}'), 1);
  assert.is(m.get('daxplan_device_blocked{device="dax0.0"}'), 0);
  assert.is(m.get('daxplan_policy_valid'), 1);
  assert.is(m.get('daxplan_converged'), 0);
  assert.is(m.get('daxplan_disabled'), 0);
  // No apply yet: no last-apply series (an absent series, not a made-up 0).
  assert.not.ok([...m.keys()].some((k) => k.startsWith('daxplan_last_apply')));
  // Every sample has its HELP and TYPE.
  for (const name of new Set([...m.keys()].map((k) => k.replace(/\{.*$/, '')))) {
    assert.match(r.stdout, `# HELP ${name} `);
    assert.match(r.stdout, `# TYPE ${name} gauge\n`);
  }
});

metrics('apply --metrics-file writes the converged host and its last apply, atomically, leaving no temporary file', async () => {
  const h = fleetHost();
  const file = path.join(h.dir, 'daxplan.prom');
  const before = Date.now();
  const r = await run(['apply', '--auto-approve', ...common(h), '--metrics-file', file]);
  assert.is(r.code, 0, r.stderr);
  const m = samples(fs.readFileSync(file, 'utf8'));
  assert.is(m.get('daxplan_device_state{device="dax0.0",state="online_movable"}'), 1);
  assert.is(m.get('daxplan_device_online_bytes{device="dax1.0",zone="movable"}'), 2 * BLOCK);
  assert.is(m.get('daxplan_device_drift{device="dax0.0"}'), 0);
  assert.is(m.get('daxplan_converged'), 1);
  assert.is(m.get('daxplan_last_apply_success'), 1);
  assert.is(m.get('daxplan_last_apply_devices{result="applied"}'), 2);
  const at = m.get('daxplan_last_apply_timestamp_seconds')! * 1000;
  assert.ok(at >= before - 1000 && at <= Date.now() + 1000, `timestamp ${at}`);
  assert.ok(m.get('daxplan_last_apply_duration_seconds')! >= 0);
  assert.equal(fs.readdirSync(h.dir).sort(), ['daxplan.prom', 'lock', 'lock.last-apply.json']);
  // status reads the same record.
  const s = samples((await run(['status', ...common(h), '-f', 'prometheus'])).stdout);
  assert.is(s.get('daxplan_last_apply_success'), 1);
});

metrics('a device that fails: apply exits 1 and the metrics say the last apply failed and the device drifts', async () => {
  const h = fleetHost({ busyBlocks: [33] });
  const file = path.join(h.dir, 'daxplan.prom');
  const r = await run(['apply', '--auto-approve', ...common(h), '--metrics-file', file]);
  assert.is(r.code, 1);
  const m = samples(fs.readFileSync(file, 'utf8'));
  assert.is(m.get('daxplan_last_apply_success'), 0);
  assert.is(m.get('daxplan_last_apply_devices{result="failed"}'), 1);
  assert.is(m.get('daxplan_last_apply_devices{result="applied"}'), 1);
  assert.is(m.get('daxplan_device_drift{device="dax0.0"}'), 1);
  assert.is(m.get('daxplan_converged'), 0);
});

metrics('an invalid policy: the device series, daxplan_policy_valid 0, no drift series, exit 65', async () => {
  const h = fleetHost({}, 'version: 1\nrules: [ { name: x, state: sideways } ]\n');
  const r = await run(['status', ...common(h), '-f', 'prometheus']);
  assert.is(r.code, 65);
  const m = samples(r.stdout);
  assert.is(m.get('daxplan_policy_valid'), 0);
  assert.is(m.get('daxplan_device_state{device="dax0.0",state="online"}'), 1);
  assert.not.ok([...m.keys()].some((k) => k.startsWith('daxplan_device_drift') || k.startsWith('daxplan_converged')));
  assert.match(r.stderr, 'state');
});

metrics('a last-apply record that is not one is left out, not trusted', async () => {
  const h = fleetHost();
  for (const text of ['not json', '{"trigger":"boot","finished":"yesterday","durationSeconds":1,"result":"applied","counts":{}}', '{"trigger":"x\\n","result":"failed"}']) {
    fs.writeFileSync(lastApplyFile(h.lock), text);
    const r = await run(['status', ...common(h), '-f', 'prometheus']);
    assert.is(r.code, 0);
    assert.not.match(r.stdout, 'daxplan_last_apply');
  }
});

metrics('a metrics file in a missing directory is skipped with a note; one that cannot be written is a warning; neither fails the run', async () => {
  const h = fleetHost();
  const missing = await run(['apply', '--auto-approve', ...common(h), '--metrics-file', path.join(h.dir, 'no-such-dir', 'daxplan.prom')]);
  assert.is(missing.code, 0);
  assert.match(missing.stderr, `daxplan: metrics not written: ${path.join(h.dir, 'no-such-dir')} does not exist`);
  const dir = path.join(h.dir, 'a-directory');
  fs.mkdirSync(dir);
  const refused = await run(['status', ...common(h), '--metrics-file', dir]);
  assert.is(refused.code, 0);
  assert.match(refused.stderr, 'daxplan: metrics not written:');
  assert.equal(fs.readdirSync(h.dir).sort(), ['a-directory', 'lock', 'lock.last-apply.json'], 'no temporary file left');
});

metrics('the files describe the whole host, whatever --device limits the run or the output to', async () => {
  const h = fleetHost();
  const file = path.join(h.dir, 'daxplan.prom');
  const shown = await run(['status', ...common(h), '--device', 'dax1.0', '-f', 'prometheus', '--metrics-file', file]);
  assert.not.match(shown.stdout, 'device="dax0.0"');
  assert.match(fs.readFileSync(file, 'utf8'), 'daxplan_device_size_bytes{device="dax0.0"}');
  assert.is((await run(['apply', '--auto-approve', ...common(h), '--device', 'dax1.0', '--metrics-file', file])).code, 0);
  const m = samples(fs.readFileSync(file, 'utf8'));
  assert.is(m.get('daxplan_device_drift{device="dax0.0"}'), 1, 'dax0.0 was not applied and still drifts');
  assert.is(m.get('daxplan_device_drift{device="dax1.0"}'), 0);
});

metrics('a run that daxplan disable turned away still writes the files: daxplan_disabled 1, daxplan-disabled=true', async () => {
  const h = fleetHost();
  const root = tempDir();
  writePause(root, 'maintenance', 'test');
  const file = path.join(h.dir, 'daxplan.prom');
  const features = path.join(h.dir, 'features');
  const r = await run(['apply', '--auto-approve', '--trigger', 'udev', '--root', root, ...common(h), '--metrics-file', file, '--features-file', features]);
  assert.is(r.code, 0, r.stderr);
  assert.is(samples(fs.readFileSync(file, 'utf8')).get('daxplan_disabled'), 1);
  assert.match(fs.readFileSync(features, 'utf8'), 'daxplan-disabled=true\n');
});

metrics('a run refused under the lock is recorded as failed; one that found the lock held records nothing', async () => {
  const refuse = FAR_MOVABLE.replace('rules:', 'safety:\n  movable_ratio_percent: 1\n  on_movable_excess: refuse\nrules:');
  const h = fleetHost({}, refuse);
  const refused = await run(['apply', '--auto-approve', ...common(h)]);
  assert.is(refused.code, 1, refused.stderr);
  assert.match(refused.stderr, 'movable');
  assert.match(fs.readFileSync(lastApplyFile(h.lock), 'utf8'), '"result":"failed"');

  const busy = fleetHost();
  const holder = await acquireLock(busy.lock, { timeoutSeconds: 0, trigger: 'manual' });
  try {
    const held = await run(['apply', '--auto-approve', ...common(busy), '--lock-timeout', '0']);
    assert.is(held.code, 75);
  } finally {
    await holder.release();
  }
  assert.not.ok(fs.existsSync(lastApplyFile(busy.lock)));
});

metrics("a run on a tree without --lock-file records no last apply (the tree's own lock is scratch)", async () => {
  const h = fleetHost();
  const file = path.join(h.dir, 'daxplan.prom');
  const r = await run(['apply', '--auto-approve', '--sysfs-root', h.root, '-c', h.config, '--metrics-file', file]);
  assert.is(r.code, 0, r.stderr);
  assert.not.ok(fs.existsSync(lastApplyFile(lockFile({ 'sysfs-root': h.root }))));
  assert.not.match(fs.readFileSync(file, 'utf8'), 'daxplan_last_apply');
  assert.match(fs.readFileSync(file, 'utf8'), 'daxplan_converged 1');
});

metrics('a link planted at the metrics file is replaced, never followed', async () => {
  const h = fleetHost();
  const victim = path.join(h.dir, 'victim');
  fs.writeFileSync(victim, 'untouched\n');
  const link = path.join(h.dir, 'daxplan.prom');
  fs.symlinkSync(victim, link);
  assert.is((await run(['status', ...common(h), '--metrics-file', link])).code, 0);
  assert.is(fs.readFileSync(victim, 'utf8'), 'untouched\n');
  assert.ok(fs.lstatSync(link).isFile());
  assert.match(fs.readFileSync(link, 'utf8'), 'daxplan_device_state');
});

metrics.run();

const nfd = suite('status --format nfd: Node Feature Discovery feature file');

const LABEL_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const LABEL_VALUE = /^[-A-Za-z0-9_.]{0,63}$/;

nfd('name=value lines in label syntax: the plan state, memory online per zone and per NUMA node, tiers', async () => {
  const h = fleetHost();
  const r = await run(['status', ...common(h), '-f', 'nfd']);
  assert.is(r.code, 0, r.stderr);
  const lines = r.stdout.trimEnd().split('\n');
  const facts = new Map(lines.map((l) => l.split('=') as [string, string]));
  for (const [name, value] of facts) {
    assert.ok(LABEL_NAME.test(name), `label name ${name}`);
    assert.ok(LABEL_VALUE.test(value), `label value ${value}`);
  }
  assert.is(facts.get('daxplan-plan'), 'changes');
  assert.is(facts.get('daxplan-disabled'), 'false');
  assert.is(facts.get('daxplan-devices'), '2');
  assert.is(facts.get('daxplan-online-normal-bytes'), String(4 * BLOCK));
  assert.is(facts.get('daxplan-node1-online-normal-bytes'), String(4 * BLOCK));
  assert.is(facts.get('daxplan-node2-online-movable-bytes'), '0');

  const file = path.join(h.dir, 'daxplan');
  assert.is((await run(['apply', '--auto-approve', ...common(h), '--features-file', file])).code, 0);
  const after = new Map(fs.readFileSync(file, 'utf8').trimEnd().split('\n').map((l) => l.split('=') as [string, string]));
  assert.is(after.get('daxplan-plan'), 'converged');
  assert.is(after.get('daxplan-online-movable-bytes'), String(6 * BLOCK));
  assert.is(after.get('daxplan-node2-online-movable-bytes'), String(2 * BLOCK));
  assert.ok([...after.keys()].some((k) => /^daxplan-node\d+-tier$/.test(k)), 'a tier per node the kernel lists in one');
});

nfd('a device the policy cannot plan: daxplan-plan=blocked; an invalid policy: policy-invalid (exit 65)', async () => {
  // A node whose memory is all unplugged is in no tier the kernel shows: a rule selecting by tier blocks its device.
  const root = host({ devices: [{ name: 'dax0.0', node: 3, blocks: 2, state: 'unplug' }] });
  const byTier = policyFile('version: 1\nrules:\n  - name: t\n    match: { tier: 22 }\n    state: online_movable\n');
  const blocked = await run(['status', '--sysfs-root', root, '-c', byTier, '--lock-file', path.join(tempDir(), 'lock'), '-f', 'nfd']);
  assert.is(blocked.code, 0, blocked.stderr);
  assert.match(blocked.stdout, 'daxplan-plan=blocked\n');
  const invalid = fleetHost({}, 'version: [\n');
  const r = await run(['status', ...common(invalid), '-f', 'nfd']);
  assert.is(r.code, 65);
  assert.match(r.stdout, 'daxplan-plan=policy-invalid\n');
});

nfd.run();

const journal = suite('the journal: a syslog priority on each line when the stream is the journal');

journal('JOURNAL_STREAM names the stream by device and inode', () => {
  const stat = (fd: number) => (fd === 2 ? { dev: 23, ino: 4711 } : { dev: 23, ino: 9 });
  assert.equal(journalStreams({ JOURNAL_STREAM: '23:4711' }, stat), { stdout: false, stderr: true });
  assert.equal(journalStreams({}, stat), { stdout: false, stderr: false });
  assert.equal(journalStreams({ JOURNAL_STREAM: 'garbage' }, stat), { stdout: false, stderr: false });
  // Inherited from a unit by a shell that redirected stderr elsewhere: not the journal.
  assert.equal(journalStreams({ JOURNAL_STREAM: '23:1' }, stat), { stdout: false, stderr: false });
});

journal('the built program: <3> on its stderr when JOURNAL_STREAM names that stream, none when it names another', () => {
  const dir = tempDir();
  const stderrOf = (journalStream: (file: string) => string) => {
    const file = path.join(dir, `stderr-${Math.random()}`);
    const fd = fs.openSync(file, 'w');
    try {
      const r = spawnSync(process.execPath, [path.join(REPO, 'dist/daxplan.cjs'), 'apply', '--auto-approve', '--device', 'nope'], {
        stdio: ['ignore', 'ignore', fd],
        env: { ...process.env, JOURNAL_STREAM: journalStream(file) },
      });
      assert.is(r.status, 64);
    } finally {
      fs.closeSync(fd);
    }
    return fs.readFileSync(file, 'utf8');
  };
  assert.match(stderrOf((file) => `${fs.statSync(file).dev}:${fs.statSync(file).ino}`), /^<3>daxplan: --device "nope" is not a dax device name/);
  assert.match(stderrOf((file) => `${fs.statSync(file).dev}:${fs.statSync(file).ino + 1}`), /^daxplan: --device "nope"/);
});

journal('<3> for a failed device and a refused run, <4> for warnings, <6> for progress; nothing without the journal', async () => {
  const h = fleetHost({ busyBlocks: [33] });
  const io = { journal: { stdout: true, stderr: true } };
  const failed = await run(['apply', '--auto-approve', ...common(h)], {}, process.cwd(), io);
  assert.is(failed.code, 1);
  const lines = failed.stderr.trimEnd().split('\n');
  assert.ok(lines.every((l) => /^<[346]>/.test(l)), failed.stderr);
  assert.ok(lines.some((l) => /^<3>daxplan\[manual\]: dax0\.0: failed: /.test(l)), failed.stderr);
  assert.ok(lines.some((l) => /^<6>daxplan\[manual\]: dax1\.0: step 1\/2: /.test(l)), failed.stderr);

  const usage = await run(['apply', '--auto-approve', '--device', 'nope'], {}, process.cwd(), io);
  assert.is(usage.code, 64);
  assert.match(usage.stderr, /^<3>daxplan: --device "nope"/);

  const shadowed = policyFile('version: 1\nrules:\n  - { name: a, match: { numa_node: 1 }, state: online }\n  - { name: b, match: { numa_node: 1 }, state: online }\n');
  const warned = await run(['plan', '--sysfs-root', h.root, '-c', shadowed], {}, process.cwd(), io);
  assert.match(warned.stderr, /^<4>.*warning/m);

  const plain = await run(['apply', '--auto-approve', ...common(fleetHost({ busyBlocks: [33] }))]);
  assert.not.match(plain.stderr, /^</m);
});

journal('a watch tick says how much it matters: err when a device failed', async () => {
  const root = host(TWO, { busyBlocks: [33] });
  const lock = path.join(tempDir(), 'lock');
  const setup: WatchSetup = {
    policy: { config: policyFile(FAR_MOVABLE), cwd: process.cwd(), asRoot: false },
    sysfs: SimulatedKernel.fromTree(root),
    apply: { lock: { file: lock, transient: false }, timeoutSeconds: 0, binding: () => ({ ...readProcFacts(path.join(root, '../proc')), source: 'tree' }), record: lock },
    warn: () => {},
  };
  const first = await tick(setup, {});
  assert.is(first.priority, 'err', first.line);
  assert.match(first.line, 'failed 1');
  // The watch recorded its apply for the metrics too.
  assert.match(fs.readFileSync(lastApplyFile(lock), 'utf8'), '"result":"failed"');
  const quiet = await tick({ ...setup, apply: undefined, policy: { config: policyFile('version: 1\nrules: []\n'), cwd: process.cwd(), asRoot: false } }, {});
  assert.is(quiet.priority, 'info', quiet.line);
});

journal.run();
