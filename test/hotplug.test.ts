// The memory_hotplug parameters: read from sysfs as the kernel prints them,
// shown by status and snapshots, and what they change in plans and doctor.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DirSysfs } from '../src/host/sysfs.js';
import { observe } from '../src/host/observe.js';
import { plan } from '../src/plan/plan.js';
import { checkMovable } from '../src/plan/safety.js';
import { parsePolicy, type Policy } from '../src/policy/parse.js';
import { describeWarning } from '../src/report/report.js';
import { stateDrift } from '../src/model/device.js';
import type { HotplugParams } from '../src/model/hotplug.js';
import { fromSnapshot, toSnapshot } from '../src/host/snapshot.js';
import { run } from './support/cli.js';
import { host, policyFile } from './support/host.js';
import { hostRoot, writeFiles } from './support/files.js';
import { fakeHost } from './support/observed.js';
import type { HostSpec } from './sim/tree.js';

const AUTO_MOVABLE: HotplugParams = { kind: 'read', onlinePolicy: 'auto-movable', autoMovableRatio: 301, numaAware: true, memmapOnMemory: 'off' };
const CONTIG: HotplugParams = { kind: 'read', onlinePolicy: 'contig-zones', autoMovableRatio: 301, numaAware: true, memmapOnMemory: 'absent' };
const PARAMS = 'module/memory_hotplug/parameters';
/** dax0.0 was onlined with plain `online` through its state file and sits in ZONE_MOVABLE. */
const PICKED_MOVABLE = (hotplug: HotplugParams): HostSpec => ({ hotplug, stateFile: true, devices: [{ name: 'dax0.0', node: 1, blocks: 4, state: 'online_movable', stateWord: 'online' }] });

function policy(yaml: string): Policy {
  const result = parsePolicy(yaml, 'policy.yaml');
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  return result.policy;
}

const read = suite('memory_hotplug parameters: observed');

read('read as the kernel prints them (Y/N bools, force), absent before 5.15, memmap_on_memory absent without its config', () => {
  assert.equal(observe(new DirSysfs(host({ hotplug: AUTO_MOVABLE, devices: [] }))).kernel.hotplug, AUTO_MOVABLE);
  assert.equal(observe(new DirSysfs(host({ hotplug: CONTIG, devices: [] }))).kernel.hotplug, CONTIG);
  const forced = { ...AUTO_MOVABLE, numaAware: false, memmapOnMemory: 'force' } as const;
  assert.equal(observe(new DirSysfs(host({ hotplug: forced, devices: [] }))).kernel.hotplug, forced);
  const old = observe(new DirSysfs(host({ devices: [] }))).kernel;
  assert.equal(old.hotplug, { kind: 'absent' });
  assert.equal(old.problems, []);
});

read('a value the kernel would not print is a problem naming the file, never a guess', () => {
  const cases: [string, string, string][] = [
    ['online_policy', 'auto_movable', `${PARAMS}/online_policy: "auto_movable" is not contig-zones or auto-movable`],
    ['auto_movable_ratio', '-3', `${PARAMS}/auto_movable_ratio: "-3" is not a percentage`],
    ['auto_movable_ratio', '99999999999', `${PARAMS}/auto_movable_ratio: "99999999999" is not a percentage`],
    ['auto_movable_numa_aware', 'constructor', `${PARAMS}/auto_movable_numa_aware: "constructor" is not Y or N`],
    ['memmap_on_memory', 'toString', `${PARAMS}/memmap_on_memory: "toString" is not Y, N or force`],
  ];
  for (const [file, text, problem] of cases) {
    const root = host({ hotplug: AUTO_MOVABLE, devices: [] });
    fs.writeFileSync(path.join(root, PARAMS, file), `${text}\n`);
    const { kernel } = observe(new DirSysfs(root));
    assert.equal(kernel.hotplug, { kind: 'absent' }, file);
    assert.equal(kernel.problems, [problem]);
  }
  const root = host({ hotplug: AUTO_MOVABLE, devices: [] });
  fs.rmSync(path.join(root, PARAMS, 'auto_movable_ratio'));
  assert.equal(observe(new DirSysfs(root)).kernel.problems, [`${PARAMS}/auto_movable_ratio: missing`]);
});

read('status shows them (text and JSON); a snapshot keeps them, and one made before daxplan read them reads as not shown', async () => {
  const root = host({ hotplug: AUTO_MOVABLE, devices: [{ name: 'dax0.0', node: 1, blocks: 2, state: 'devdax' }] });
  const text = await run(['status', '--sysfs-root', root]);
  assert.match(text.stdout, 'Kernel: online policy auto-movable (auto_movable_ratio 301%, NUMA-aware), memmap_on_memory off');
  const json = JSON.parse((await run(['status', '--sysfs-root', root, '--format', 'json'])).stdout) as { kernel: { memory_hotplug: unknown } };
  assert.equal(json.kernel.memory_hotplug, { online_policy: 'auto-movable', auto_movable_ratio: 301, auto_movable_numa_aware: true, memmap_on_memory: 'off' });
  const observed = observe(new DirSysfs(root));
  const snapshot = JSON.parse(JSON.stringify(toSnapshot(observed, undefined, { capturedAt: new Date() })));
  assert.equal(fromSnapshot(snapshot).kernel.hotplug, AUTO_MOVABLE);
  delete snapshot.kernel.memory_hotplug;
  assert.equal(fromSnapshot(snapshot).kernel.hotplug, { kind: 'absent' });
  const plainText = await run(['status', '--sysfs-root', host({ devices: [] })]);
  assert.not.match(plainText.stdout, 'online policy');
});

const planning = suite('memory_hotplug parameters: plans');

planning('state file reading online over ZONE_MOVABLE: the kernel\'s choice under auto-movable (no move), stale under contig-zones (drift, but the memory is where it is wanted: no move either)', () => {
  const movable = policy('version: 1\nrules:\n  - name: far\n    match: { numa_node: 1 }\n    state: online_movable\n');
  const auto = fakeHost(PICKED_MOVABLE(AUTO_MOVABLE));
  assert.is(stateDrift(auto.devices[0], auto.kernel.hotplug), undefined);
  assert.is(plan(movable, auto).entries[0].kind, 'unchanged');
  const contig = fakeHost(PICKED_MOVABLE(CONTIG));
  assert.match(stateDrift(contig.devices[0], contig.kernel.hotplug) ?? '', "the kernel's state file reads online but the memory blocks are 4/4 blocks online, Movable");
  const stays = plan(movable, contig).entries[0];
  assert.is(stays.kind, 'unchanged', 'never unplugged and replugged to correct the word');
  assert.match(stays.reason, 'the memory is where the policy wants it, so it stays');
  // online_kernel is never read as a choice: Movable blocks under it are drift whatever the policy
  const kernelWord = fakeHost({ ...PICKED_MOVABLE(AUTO_MOVABLE), devices: [{ name: 'dax0.0', node: 1, blocks: 4, state: 'online_movable', stateWord: 'online_kernel' }] });
  assert.ok(stateDrift(kernelWord.devices[0], kernelWord.kernel.hotplug));
});

planning('under auto-movable every write names the zone: binds override auto_online_blocks, state writes say online_kernel or online_movable', () => {
  const observed = fakeHost({ hotplug: AUTO_MOVABLE, autoOnline: 'online', stateFile: true, devices: [
    { name: 'dax0.0', node: 1, blocks: 4, state: 'devdax' },
    { name: 'dax1.0', node: 1, blocks: 4, state: 'unplug' },
  ] });
  const p = plan(policy('version: 1\nrules:\n  - name: a\n    match: { device: dax0.0 }\n    state: online\n  - name: b\n    match: { device: dax1.0 }\n    state: online_movable\n'), observed);
  const steps = p.entries.flatMap((e) => (e.kind === 'change' ? e.steps.map((s) => s.step) : []));
  assert.equal(steps, [
    { op: 'unbind', driver: 'device_dax' },
    { op: 'bind', driver: 'kmem', arrive: 'online_kernel' },
    { op: 'state', write: 'online_movable' },
  ]);
});

planning('the plan says under auto-movable that its zones are certain, and not under contig-zones', async () => {
  const spec = (hotplug: HotplugParams): HostSpec => ({ hotplug, autoOnline: 'online', devices: [{ name: 'dax0.0', node: 1, blocks: 2, state: 'devdax' }] });
  const file = policyFile('version: 1\nrules:\n  - name: far\n    match: { numa_node: 1 }\n    state: online_movable\n');
  const auto = await run(['plan', '--sysfs-root', host(spec(AUTO_MOVABLE)), '-c', file]);
  assert.match(auto.stdout, 'online policy auto-movable: the kernel would pick the zone of plain "online" by its ratio; every step below names its zone');
  assert.match(auto.stdout, 'bind to kmem with auto_online_blocks=online_movable for the moment of the bind');
  const contig = await run(['plan', '--sysfs-root', host(spec(CONTIG)), '-c', file]);
  assert.not.match(contig.stdout, 'would pick the zone');
});

planning("the movable-ratio guard: the policy's ratio, else the kernel's auto_movable_ratio, else 301% (also when the kernel reads 0)", () => {
  // 4 blocks of 128 MiB made movable against 1 GiB of kernel memory: 50%
  const spec = (hotplug: HotplugParams): HostSpec => ({ hotplug, devices: [{ name: 'dax0.0', node: 1, blocks: 4, state: 'devdax' }] });
  const totals = () => ({ kernel: 1n << 30n, movable: 0n });
  const unset = policy('version: 1\nrules:\n  - name: far\n    match: { numa_node: 1 }\n    state: online_movable\n');
  const set = policy('version: 1\nsafety: { movable_ratio_percent: 60 }\nrules:\n  - name: far\n    match: { numa_node: 1 }\n    state: online_movable\n');
  const strict = { ...AUTO_MOVABLE, autoMovableRatio: 40 };
  const [kernel] = checkMovable(plan(unset, fakeHost(spec(strict))), totals, unset);
  assert.equal({ percent: kernel.limitPercent, source: kernel.limitSource }, { percent: 40, source: 'kernel' });
  assert.match(describeWarning(kernel), "above the kernel's memory_hotplug.auto_movable_ratio 40%, as the policy sets no safety.movable_ratio_percent");
  assert.equal(checkMovable(plan(set, fakeHost(spec(strict))), totals, set), [], "the policy's 60% wins over the kernel's 40%");
  assert.equal(checkMovable(plan(unset, fakeHost(spec({ ...strict, autoMovableRatio: 0 }))), totals, unset), [], 'ratio 0 falls back to 301%');
  const tight = () => ({ kernel: 128n << 20n, movable: 0n });
  const [fallback] = checkMovable(plan(unset, fakeHost(spec({ kind: 'absent' }))), tight, unset);
  assert.equal({ percent: fallback.limitPercent, source: fallback.limitSource }, { percent: 301, source: 'default' });
});

const doctor = suite('memory_hotplug parameters: doctor');

async function findings(spec: HostSpec, policyText?: string, cmdline?: string) {
  const { root, sys } = hostRoot(spec);
  if (cmdline !== undefined) writeFiles(root, { 'proc/cmdline': cmdline });
  const extra = policyText ? ['-c', policyFile(policyText)] : [];
  const r = await run(['doctor', '--sysfs-root', sys, '--root', root, '--lock-file', path.join(root, 'run/daxplan/lock'), '--format', 'json', ...extra]);
  return (JSON.parse(r.stdout) as { findings: { id: string; severity: string; evidence: string; message: string; fix: string }[] }).findings;
}

doctor('auto-movable: a warning while the kernel onlines with plain online at the bind, information once the policy keeps new memory offline', async () => {
  const spec: HostSpec = { hotplug: AUTO_MOVABLE, autoOnline: 'online', devices: [{ name: 'dax0.0', node: 1, blocks: 2, state: 'devdax' }] };
  const loud = await findings(spec);
  const f = loud.find((x) => x.id === 'kernel.online_policy')!;
  assert.is(f.severity, 'warning');
  assert.is(f.evidence, '/sys/module/memory_hotplug/parameters/online_policy = auto-movable (auto_movable_ratio 301, auto_movable_numa_aware Y)');
  assert.match(f.message, 'to ZONE_MOVABLE only while ZONE_MOVABLE stays within 301% of the kernel memory present since boot');
  assert.match(f.message, 'a node with only added memory (a CXL window');
  assert.match(f.fix, "kernel: { auto_online_blocks: offline }");
  const auto = loud.find((x) => x.id === 'kernel.auto_online_blocks')!;
  assert.match(auto.message, 'in the zone the auto-movable policy picks by its ratio');
  assert.not.match(auto.message, 'ZONE_NORMAL unless told otherwise');
  const quiet = await findings(spec, 'version: 1\nkernel: { auto_online_blocks: offline }\nrules:\n  - name: far\n    match: { numa_node: 1 }\n    state: online_movable\n');
  assert.is(quiet.find((x) => x.id === 'kernel.online_policy')!.severity, 'info');
  const zero = await findings({ ...spec, hotplug: { ...AUTO_MOVABLE, autoMovableRatio: 0 } });
  assert.match(zero.find((x) => x.id === 'kernel.online_policy')!.message, 'always to ZONE_NORMAL (auto_movable_ratio 0');
});

doctor('CXL memory present at boot: under auto-movable the finding says which zone plain online gives it', async () => {
  const spec = (hotplug: HotplugParams): HostSpec => ({ hotplug, autoOnline: 'online', devices: [{ name: 'dax0.0', node: 1, blocks: 2, state: 'devdax', source: 'cxl' }] });
  const message = async (hotplug: HotplugParams) => (await findings(spec(hotplug))).find((f) => f.id === 'cxl.zone-normal')!.message;
  assert.match(await message({ kind: 'absent' }), 'is onlined into ZONE_NORMAL (online) the moment kmem binds it');
  assert.match(await message(AUTO_MOVABLE), 'is onlined into ZONE_NORMAL (online, under auto-movable with auto_movable_numa_aware: a node without boot-time kernel memory');
  assert.match(await message({ ...AUTO_MOVABLE, numaAware: false }), "is onlined into ZONE_MOVABLE or ZONE_NORMAL (online, under auto-movable: ZONE_MOVABLE while the host's stays within 301%");
});

doctor('the command line and sysfs both saying auto-movable give one finding; contig-zones gives none; memmap_on_memory is explained', async () => {
  const both = await findings({ hotplug: AUTO_MOVABLE, devices: [] }, undefined, 'quiet memory_hotplug.online_policy=auto-movable\n');
  assert.equal(both.map((f) => f.id).filter((id) => id.includes('online_policy')), ['kernel.online_policy']);
  const contig = await findings({ hotplug: CONTIG, devices: [] });
  assert.equal(contig.map((f) => f.id), []);
  const memmap = await findings({ hotplug: { ...CONTIG, memmapOnMemory: 'on' }, devices: [] });
  assert.equal(memmap.map((f) => `${f.severity} ${f.id}`), ['info kernel.memmap_on_memory']);
  assert.is(memmap[0].evidence, '/sys/module/memory_hotplug/parameters/memmap_on_memory = Y');
  assert.match(memmap[0].fix, 'only at the bind');
});

read.run();
planning.run();
doctor.run();
