import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { DirSysfs } from '../src/host/sysfs.js';
import { observe } from '../src/host/observe.js';
import { parsePolicy, type Policy } from '../src/policy/parse.js';
import { plan } from '../src/plan/plan.js';
import { checkMovable } from '../src/plan/safety.js';
import { observeMemoryTotals } from '../src/host/totals.js';
import { fromSnapshot, readSnapshot, snapshotTotals, toSnapshot, type Snapshot } from '../src/host/snapshot.js';
import { DaxplanError, UsageError } from '../src/model/errors.js';
import { MEMORY_DIR, writeFile, type HostSpec } from './sim/tree.js';
import { DESIRED_STATES } from '../src/model/device.js';
import { run } from './support/cli.js';
import { host, policyFile, REAL_612, tempDir } from './support/host.js';

function policy(yaml: string): Policy {
  const result = parsePolicy(yaml, 'policy.yaml');
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  return result.policy;
}

const POLICIES: Policy[] = [
  ...DESIRED_STATES.map((s) => policy(`version: 1\nrules:\n  - name: all\n    match: { device: "*" }\n    state: ${s}\n`)),
  policy('version: 1\nsafety: { movable_ratio_percent: 10 }\nrules:\n  - name: far\n    match: { tier: 22 }\n    state: online_movable\n  - name: near\n    match: { numa_node: 1 }\n    state: devdax\n'),
  policy('version: 1\ndefaults: { state: online }\nrules:\n  - name: one\n    match: { device: "dax1.*" }\n    state: unplug\n'),
  policy('version: 1\nrules:\n  - name: one\n    match: { serial: [0xc0de01, 0xc0de02], qos_class: 3 }\n    state: online_movable\n  - name: any\n    match: { pci: "0000:36:00.0", memdevs: any }\n    state: devdax\n'),
];

/** Through a file, as a snapshot really travels. */
function roundTrip(root: string, only?: string[]): { snapshot: Snapshot; file: string } {
  const sysfs = new DirSysfs(root);
  const doc = toSnapshot(observe(sysfs, only), observeMemoryTotals(sysfs), { capturedAt: new Date(), hostname: 'test-host' });
  const file = path.join(tempDir(), 'host.json');
  fs.writeFileSync(file, JSON.stringify(doc, null, 2));
  return { snapshot: readSnapshot(file), file };
}

function assertSamePlans(root: string, only?: string[]): void {
  const sysfs = new DirSysfs(root);
  const observed = observe(sysfs, only);
  const { snapshot } = roundTrip(root);
  const restored = fromSnapshot(snapshot, only);
  assert.equal(restored, observed);
  for (const p of POLICIES) {
    const direct = plan(p, observed);
    const fromFile = plan(p, restored);
    assert.equal(fromFile, direct);
    assert.equal(checkMovable(fromFile, () => snapshotTotals(snapshot), p), checkMovable(direct, () => observeMemoryTotals(sysfs), p));
  }
}

const exact = suite('snapshot: plans from a snapshot are the plans from the host');

exact('the tree Debian 6.12 wrote: Observed and every plan survive the round trip', () => {
  assertSamePlans(REAL_612);
  const { snapshot } = roundTrip(REAL_612);
  assert.is(snapshot.kernel.block_size, String(128 << 20));
  assert.equal(snapshot.devices[3].blocks, [
    { first: 73, count: 1, state: 'online', zone: 'Normal' },
    { first: 74, count: 1, state: 'offline' },
    { first: 75, count: 1, state: 'online', zone: 'Normal' },
    { first: 76, count: 1, state: 'offline' },
    { first: 77, count: 1, state: 'online', zone: 'Normal' },
    { first: 78, count: 1, state: 'offline' },
    { first: 79, count: 1, state: 'online', zone: 'Normal' },
  ]);
  assert.equal(snapshot.devices[0].blocks, [{ first: 49, count: 7, state: 'online', zone: 'Movable' }]);
});

const SHAPES: HostSpec[] = [
  {
    autoOnline: 'offline',
    devices: [
      { name: 'dax0.0', node: 1, blocks: 4, state: 'devdax', uuid: '6e1f3c4a-9b2d-4c1e-8f7a-2d3b4c5d6e7f' },
      { name: 'dax1.0', node: 2, blocks: 4, state: 'unbound', source: 'cxl', uuid: '0b8f4e2a-1c3d-4e5f-9a8b-7c6d5e4f3a21' },
      { name: 'dax2.0', node: 2, blocks: 3, state: 'offline', source: 'hmem' },
      { name: 'dax3.0', node: 3, blocks: 4, state: 'online' },
      { name: 'dax4.0', node: 3, blocks: 4, state: 'online_movable' },
      { name: 'dax5.0', node: 4, blocks: 6, state: 'NNMMoo' },
      { name: 'dax10.0', node: 4, blocks: 2, state: 'MoMo'.slice(0, 2) },
    ],
  },
  { autoOnline: 'online', stateFile: true, devices: [{ name: 'dax0.0', node: 1, blocks: 4, state: 'unplug' }, { name: 'dax1.0', node: 1, blocks: 4, state: 'online' }] },
  { autoOnline: 'online_movable', stateFile: true, devices: [{ name: 'dax0.0', node: 1, blocks: 2, state: 'unplug' }, { name: 'dax0.1', node: 1, blocks: 2, state: 'devdax' }] },
  { blockSize: 256n << 20n, tiers: { 4: [0], 30: [1, 2] }, devices: [{ name: 'dax0.0', node: 1, blocks: 8, state: 'oooNNNNo' }] },
  { devices: [] },
  {
    devices: [
      { name: 'dax0.0', node: 2, blocks: 2, state: 'online', source: 'cxl', cxl: { qosClass: 3, memdevs: [{ serial: 0xc0de01n, node: 1 }] } },
      { name: 'dax1.0', node: 3, blocks: 4, state: 'offline', source: 'cxl', cxl: { memdevs: [{ serial: 0xc0de02n, pci: '0000:35:00.0', qosClass: 3 }, { serial: 0xc0de03n, pci: '0000:36:00.0', qosClass: 3 }] } },
      { name: 'dax2.0', node: 3, blocks: 2, state: 'offline', source: 'cxl', cxl: { memdevs: [{ serial: 0n }] } },
    ],
  },
];

SHAPES.forEach((spec, i) => {
  exact(`generated host ${i + 1} (${spec.devices.map((d) => d.state).join(', ') || 'no devices'})`, () => {
    assertSamePlans(host(spec));
  });
});

exact('odd hosts: a block going offline, a hole in a device, unreadable attributes, a stray name', () => {
  const root = host({ devices: [{ name: 'dax0.0', node: 1, blocks: 6, state: 'online' }, { name: 'dax1.0', node: 2, blocks: 2, state: 'online' }] });
  writeFile(root, `${MEMORY_DIR}/memory33/state`, 'going-offline');
  fs.rmSync(path.join(root, MEMORY_DIR, 'memory35'), { recursive: true });
  writeFile(root, `${MEMORY_DIR}/memory36/valid_zones`, '');
  const dax1 = fs.readlinkSync(path.join(root, 'bus/dax/devices/dax1.0'));
  writeFile(root, path.join('bus/dax/devices', path.dirname(dax1), 'dax1.0/target_node'), 'banana');
  fs.mkdirSync(path.join(root, 'bus/dax/devices/not-a-dax'));
  const observed = observe(new DirSysfs(root));
  assert.ok(observed.devices[1].problems.length > 0 && observed.kernel.problems.length > 0, 'the host really is odd');
  assert.ok(observed.devices[0].blocks.some((b) => b.state === 'going-offline'));
  assertSamePlans(root);
});

exact('a CXL host: each memdev, its serial and its sharing survive; a snapshot without cxl is still read', () => {
  const root = host(SHAPES[SHAPES.length - 1]);
  assertSamePlans(root);
  assertSamePlans(root, ['dax1.0']);
  const { snapshot, file } = roundTrip(root);
  assert.equal(snapshot.devices[1].cxl!.memdevs.map((m) => m.serial), ['0xc0de02', '0xc0de03']);
  const old = { ...snapshot, devices: snapshot.devices.map(({ cxl: _cxl, ...d }) => d) };
  fs.writeFileSync(file, JSON.stringify(old));
  assert.equal(fromSnapshot(readSnapshot(file)).devices.map((d) => d.cxl), [undefined, undefined, undefined]);
});

exact('--device filtering a snapshot is observe(sysfs, only), state file judgement included', () => {
  const root = host({ autoOnline: 'online', stateFile: true, devices: [{ name: 'dax0.0', node: 1, blocks: 2, state: 'devdax' }, { name: 'dax1.0', node: 1, blocks: 2, state: 'unplug' }] });
  assert.is(observe(new DirSysfs(root), ['dax0.0']).kernel.stateFile, 'not-seen');
  assertSamePlans(root, ['dax0.0']);
  assertSamePlans(root, ['dax1.0']);
});

exact.run();

const hostile = suite('snapshot: a file that is not a snapshot is a usage error naming the file');

function snapshotFile(content: string | object): string {
  const file = path.join(tempDir(), 'host.json');
  fs.writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
  return file;
}

function refused(file: string, message: string | RegExp): void {
  try {
    readSnapshot(file);
  } catch (err) {
    assert.instance(err, DaxplanError);
    assert.is((err as DaxplanError).exitCode, 64);
    assert.match((err as Error).message, file);
    assert.match((err as Error).message, message);
    return;
  }
  assert.unreachable(`${file} was accepted`);
}

const good = (): Snapshot => JSON.parse(JSON.stringify(roundTrip(REAL_612).snapshot));

hostile('missing, a directory, a FIFO, not JSON, too large', () => {
  refused(path.join(tempDir(), 'nope.json'), 'does not exist');
  refused(tempDir(), 'not a regular file');
  const fifo = path.join(tempDir(), 'fifo');
  spawnSync('mkfifo', [fifo]);
  refused(fifo, 'not a regular file');
  refused(snapshotFile('{"format_version": '), 'not valid JSON');
  refused(snapshotFile(' '.repeat((8 << 20) + 1)), 'larger than');
});

hostile('another daxplan document, another version, a broken shape', () => {
  refused(snapshotFile({ format_version: '1.0', kind: 'plan', actions: [] }), 'is a daxplan plan, not a daxplan snapshot');
  refused(snapshotFile({ ...good(), format_version: '1.0' }), 'snapshot format_version 1.0 is not supported by this daxplan (it reads 2.x; make one with daxplan snapshot > FILE)');
  const bad = good();
  (bad.devices[0] as { size: unknown }).size = 1054867456;
  refused(snapshotFile(bad), /not a daxplan snapshot: \/devices\/0\/size must be string/);
  refused(snapshotFile([]), 'not a daxplan snapshot');
});

hostile('values a schema must stop: names, control characters, prototype keys, zones on offline blocks', () => {
  const cases: [string, (s: Snapshot) => void][] = [
    ['a path for a name', (s) => (s.devices[0].name = '../../etc')],
    ['an escape sequence in a problem', (s) => s.devices[0].problems.push('\x1b[2Jgotcha')],
    ['a prototype key', (s) => (s.kernel.node_tiers = JSON.parse('{"__proto__": 1}'))],
    ['a zone on an offline block', (s) => (s.devices[3].blocks[1].zone = 'Normal')],
    ['a huge run', (s) => (s.devices[0].blocks[0].count = 1 << 30)],
    ['a hex size', (s) => (s.devices[0].size = '0x10')],
  ];
  for (const [what, spoil] of cases) {
    const s = good();
    spoil(s);
    try {
      readSnapshot(snapshotFile(s));
      assert.unreachable(what);
    } catch (err) {
      assert.instance(err, UsageError, what);
    }
  }
});

hostile('what a schema cannot say: a device twice, too many blocks in all', () => {
  const twice = good();
  twice.devices.push(twice.devices[0]);
  refused(snapshotFile(twice), 'device dax0.0 appears twice');
  const many = good();
  for (const d of many.devices) d.blocks = Array.from({ length: 300 }, (_, i) => ({ first: i * 2000, count: 1000, state: 'offline' as const }));
  refused(snapshotFile(many), 'more than 1048576 memory blocks');
});

hostile.run();

const cli = suite('snapshot: the commands');
const EXAMPLE = path.resolve('examples/debian-6.12-qemu');
const RATIO = 'version: 1\nsafety: { movable_ratio_percent: 50 }\nrules:\n  - name: far\n    match: { tier: 22 }\n    state: online_movable\n';

async function snapshotOf(root: string, ...extra: string[]): Promise<string> {
  const r = await run(['snapshot', '--sysfs-root', root, ...extra]);
  assert.is(r.code, 0, r.stderr);
  const file = path.join(tempDir(), 'host.json');
  fs.writeFileSync(file, r.stdout);
  return file;
}

cli('daxplan snapshot prints a snapshot; plan and status --state print what --sysfs-root prints', async () => {
  const sys = path.join(EXAMPLE, 'host/sys');
  const file = await snapshotOf(sys, '--hostname', 'db1');
  const doc = JSON.parse(fs.readFileSync(file, 'utf8'));
  assert.is(doc.kind, 'snapshot');
  assert.is(doc.format_version, '2.1');
  assert.is(doc.hostname, 'db1');
  assert.match(doc.captured_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  const ratio = policyFile(RATIO);
  for (const args of [
    ['plan', '-c', path.join(EXAMPLE, 'daxplan.yaml')],
    ['plan', '-c', path.join(EXAMPLE, 'daxplan.yaml'), '-f', 'json', '--device', 'dax2.0', '--device', 'dax3.0'],
    ['plan', '-c', ratio, '--detailed-exitcode'],
    ['plan', '-c', ratio, '-f', 'json'],
    ['status'],
    ['status', '-f', 'json'],
  ]) {
    const live = await run([...args, '--sysfs-root', sys]);
    const snap = await run([...args, '--state', file]);
    assert.is(snap.code, live.code, args.join(' '));
    assert.is(snap.stdout, live.stdout, args.join(' '));
  }
  assert.match((await run(['plan', '-c', ratio, '--state', file])).stdout, 'Warning: after this plan ZONE_MOVABLE would be');
  assert.match((await run(['plan', '-c', ratio, '--state', file, '-f', 'markdown'])).stdout.split('\n')[0], '### daxplan on db1: Plan: 3 to change');
});

cli('a host whose snapshot the reader would refuse gets an error and no output; a region uuid that is not a UUID is a problem that survives the trip', async () => {
  const crowded = host({ devices: [{ name: 'dax0.0', node: 1, blocks: 1, state: 'devdax' }] });
  // More problems than a snapshot may carry: 300 names on the bus that are no dax device.
  for (let i = 0; i < 300; i++) fs.mkdirSync(path.join(crowded, 'bus/dax/devices', `x${i}`));
  const refused = await run(['snapshot', '--sysfs-root', crowded]);
  assert.is(refused.code, 1);
  assert.is(refused.stdout, '');
  assert.match(refused.stderr, 'not writing a snapshot daxplan could not read back: the snapshot: not a daxplan snapshot: /kernel/problems must NOT have more than 256 items');
  const cxl = host({ devices: [{ name: 'dax0.0', node: 2, blocks: 2, state: 'devdax', source: 'cxl', uuid: 'aaaaaaaa-0000-4000-8000-000000000001' }] });
  const region = path.dirname(path.dirname(fs.realpathSync(path.join(cxl, 'bus/dax/devices/dax0.0'))));
  fs.writeFileSync(path.join(region, 'uuid'), 'not-a-uuid\n');
  const file = await snapshotOf(cxl);
  const [device] = readSnapshot(file).devices;
  assert.is(device.uuid, null);
  assert.match(device.problems.join('\n'), `${path.relative(fs.realpathSync(cxl), region)}/uuid: "not-a-uuid" is not a UUID`);
});

cli('usage errors: --state with --sysfs-root, a missing or bad snapshot, a bad --hostname', async () => {
  const file = await snapshotOf(path.join(EXAMPLE, 'host/sys'));
  const policy = path.join(EXAMPLE, 'daxplan.yaml');
  const both = await run(['plan', '-c', policy, '--state', file, '--sysfs-root', REAL_612]);
  assert.is(both.code, 64);
  assert.match(both.stderr, '--state FILE and --sysfs-root DIR both name the host');
  const missing = await run(['plan', '-c', policy, '--state', '/nonexistent/host.json']);
  assert.is(missing.code, 64);
  assert.match(missing.stderr, '/nonexistent/host.json: its directory /nonexistent does not exist');
  const planFile = path.join(tempDir(), 'plan.json');
  fs.writeFileSync(planFile, (await run(['plan', '-c', policy, '--sysfs-root', path.join(EXAMPLE, 'host/sys'), '-f', 'json'])).stdout);
  const wrong = await run(['status', '--state', planFile]);
  assert.is(wrong.code, 64);
  assert.match(wrong.stderr, `${planFile}: is a daxplan plan, not a daxplan snapshot (make one with daxplan snapshot > FILE)`);
  assert.is((await run(['snapshot', '--hostname', 'a b'])).code, 64);
});

cli.run();
