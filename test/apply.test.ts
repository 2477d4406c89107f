import { suite } from 'uvu';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as assert from 'uvu/assert';
import { observe } from '../src/host/observe.js';
import { SysfsWriteError } from '../src/host/sysfs.js';
import { parsePolicy, type Policy } from '../src/policy/parse.js';
import { changes, plan } from '../src/plan/plan.js';
import { satisfies } from '../src/plan/transitions.js';
import { Applier, type Outcome } from '../src/apply/engine.js';
import { SimulatedKernel, type Faults, type SimConfig } from './sim/kernel.js';
import type { DeviceShape, HostSpec } from './sim/tree.js';
import { describeDevice, stateDrift, type AutoOnline, type DesiredState } from '../src/model/device.js';
import { host, tempDir } from './support/host.js';
import { converge as convergeUnderLock } from '../src/apply/run.js';
import { readProcFacts } from '../src/host/proc.js';

function policyTo(state: DesiredState): Policy {
  const result = parsePolicy(`version: 1\nrules:\n  - name: all\n    match: { device: "*" }\n    state: ${state}\n`, 'policy.yaml');
  if (!result.ok) throw new Error('bad policy');
  return result.policy;
}

interface Backend {
  name: string;
  spec: Partial<HostSpec>;
  sim: SimConfig;
}

const BACKENDS: Backend[] = [
  { name: 'per-block, auto_online_blocks=offline (Debian 6.1)', spec: { autoOnline: 'offline' }, sim: {} },
  { name: 'per-block, auto_online_blocks=online (Debian 6.12)', spec: { autoOnline: 'online' }, sim: {} },
  { name: 'state file, auto_online_blocks=online (Debian 7.3)', spec: { autoOnline: 'online', stateFile: true }, sim: { stateFile: true } },
  { name: 'state file, auto_online_blocks=offline', spec: { autoOnline: 'offline', stateFile: true }, sim: { stateFile: true } },
];

function converge(root: string, to: DesiredState, sim: SimConfig, faults: Faults = {}) {
  const kernel = new SimulatedKernel(root, sim, faults);
  const observed = observe(kernel);
  const result = plan(policyTo(to), observed);
  const applier = new Applier(kernel, observed.kernel);
  const outcomes = changes(result).map((c) => applier.apply(c));
  return { kernel, outcomes, after: observe(kernel).devices };
}

const FROM: DeviceShape[] = ['devdax', 'unbound', 'offline', 'online', 'online_movable', 'NoNo', 'MoMo'];
const TO: DesiredState[] = ['unplug', 'online', 'online_movable', 'devdax'];

const matrix = suite('apply: every transition on every backend reaches the target, and a second apply is a no-op');
for (const backend of BACKENDS) {
  const from = backend.sim.stateFile ? [...FROM, 'unplug'] : FROM;
  for (const start of from) {
    for (const to of TO) {
      matrix(`${backend.name}: ${start} -> ${to}`, () => {
        const root = host({ ...backend.spec, devices: [{ name: 'dax0.0', node: 1, blocks: 4, state: start }] });
        const first = converge(root, to, backend.sim);
        assert.ok(first.outcomes.every((o) => o.result === 'applied'), JSON.stringify(first.outcomes.map((o) => o.message)));
        assert.ok(satisfies(first.after[0].state, to), `ended ${describeDevice(first.after[0])}`);
        assert.equal(first.kernel.leaked, [], 'no memory left behind by an unbind');
        const auto = (r: string) => r.endsWith('auto_online_blocks');
        assert.is(first.kernel.read('devices/system/memory/auto_online_blocks'), backend.spec.autoOnline, 'the online default is back as it was');
        if (backend.sim.stateFile && first.after[0].driver === 'kmem') {
          assert.ok(!first.kernel.log.some((l) => /memory\d+\/state$/.test(l.file)), 'the state file alone moves the memory: no per-block write');
          assert.is(stateDrift(first.after[0], { kind: 'absent' }), undefined, 'the state file agrees with the blocks');
        }
        if (first.kernel.log.some((l) => auto(l.file))) assert.ok(first.kernel.log.some((l) => l.file.endsWith('kmem/new_id')), 'the default is overridden only to bind kmem');
        const second = converge(root, to, backend.sim);
        assert.is(second.outcomes.length, 0);
        assert.equal(second.kernel.log, []);
      });
    }
  }
}
matrix.run();

const rereads = suite('apply: the reads between steps');

rereads("after the checkpoint, a device's re-reads take its driver, state file, blocks and extent, not its node, UUID or the kernel's settings again", () => {
  for (const backend of BACKENDS) {
    const root = host({ ...backend.spec, devices: [{ name: 'dax0.0', node: 1, blocks: 4, state: 'devdax' }] });
    const kernel = new SimulatedKernel(root, backend.sim);
    const observed = observe(kernel);
    const change = changes(plan(policyTo('online_movable'), observed))[0];
    // The files each re-read phase reads (apply --timings names them reread:DEV).
    const phases: string[][] = [];
    let inReread = false;
    const read = kernel.read.bind(kernel);
    kernel.read = (rel: string) => (inReread && phases.at(-1)!.push(rel), read(rel));
    const timings = (phase: string) => {
      inReread = phase.startsWith('reread:');
      if (inReread) phases.push([]);
      return () => void (inReread = false);
    };
    assert.is(new Applier(kernel, observed.kernel, { timings }).apply(change).result, 'applied', backend.name);
    const [checkpoint, ...later] = phases;
    const identity = /\/(uuid|target_node|nodelist|block_size_bytes|auto_online_blocks)$/;
    assert.ok(checkpoint.some((f) => identity.test(f)), `${backend.name}: the checkpoint is a whole read`);
    assert.ok(later.length >= change.steps.length, `${backend.name}: a read after each step`);
    for (const files of later) {
      assert.equal(files.filter((f) => identity.test(f)), [], backend.name);
      assert.ok(files.some((f) => /memory\d+\/state$/.test(f)), `${backend.name}: the blocks are read again`);
    }
  }
});

rereads.run();

const faults = suite('apply: faults end in a reported, consistent state');

function onlyOutcome(outcomes: Outcome[]): Outcome {
  assert.is(outcomes.length, 1);
  return outcomes[0];
}

faults('EBUSY offlining ZONE_NORMAL memory: the blocks already offlined go back online, device restored', () => {
  const root = host({ devices: [{ name: 'dax0.0', node: 1, blocks: 4, state: 'online' }] });
  // blocks 32..35; offlining goes highest first, so 35 and 34 succeed, 33 is busy
  const { outcomes, after, kernel } = converge(root, 'online_movable', {}, { busyBlocks: [33] });
  const o = onlyOutcome(outcomes);
  assert.is(o.result, 'failed');
  assert.match(o.message!, 'offlining memory33 failed: EBUSY');
  assert.match(o.message!, 'rolled back');
  assert.is(o.restored, true);
  assert.is(after[0].state, 'online');
  assert.ok(after[0].blocks.every((b) => b.state === 'online' && b.zone === 'Normal'));
  const writes = kernel.log.map((l) => `${l.file.replace('devices/system/memory/', '')}=${l.value}${l.error ? `!${l.error}` : ''}`);
  assert.equal(writes, ['memory35/state=offline', 'memory34/state=offline', 'memory33/state=offline!EBUSY', 'memory34/state=online_kernel', 'memory35/state=online_kernel']);
});

faults('EBUSY writing unplugged to the state file: the kernel keeps every block, the device is reported where it is', () => {
  const root = host({ stateFile: true, devices: [{ name: 'dax0.0', node: 1, blocks: 4, state: 'online' }] });
  const { outcomes, kernel } = converge(root, 'online_movable', { stateFile: true }, { busyBlocks: [34] });
  const o = onlyOutcome(outcomes);
  assert.is(o.result, 'failed');
  assert.match(o.message!, 'writing unplugged to bus/dax/devices/dax0.0/state failed: EBUSY');
  assert.match(o.message!, 'rolled back: dax0.0 is online (4/4 blocks online, Normal) as before');
  assert.is(o.restored, true);
  assert.is(o.final!.state, 'online');
  assert.equal(kernel.log.map((l) => `${l.value}${l.error ? `!${l.error}` : ''}`), ['unplugged!EBUSY']);
});

faults('Linux 7.3: memory already where the policy wants it under a stale state word is not unplugged and replugged; a stale device that must move goes through the state file alone', () => {
  const stale: HostSpec = { stateFile: true, devices: [{ name: 'dax0.0', node: 1, blocks: 4, state: 'online_movable', stateWord: 'online' }] };
  const stays = converge(host(stale), 'online_movable', { stateFile: true });
  assert.equal(stays.outcomes, []);
  assert.equal(stays.kernel.log, [], 'nothing written');
  const { outcomes, kernel, after } = converge(host(stale), 'online', { stateFile: true });
  assert.is(onlyOutcome(outcomes).result, 'applied');
  assert.equal(kernel.log.map((l) => `${l.file.replace(/^.*\/dax0\.0\//, '')}=${l.value}`), ['state=unplugged', 'state=online_kernel']);
  assert.is(after[0].stateFile, 'online_kernel');
  assert.is(stateDrift(after[0], { kind: 'absent' }), undefined);
});

faults('Linux 7.3: a mixed device whose move fails is rolled back through the state file, never block by block', () => {
  const root = host({ stateFile: true, devices: [{ name: 'dax0.0', node: 1, blocks: 4, state: 'NoNo', stateWord: 'online' }] });
  // Another agent takes a block offline once the device is online_movable: verification fails, and a rollback follows.
  const { outcomes, kernel, after } = converge(root, 'online_movable', { stateFile: true }, {
    afterWrite: (k, file, value) => {
      if (file.endsWith('dax0.0/state') && value === 'online_movable') k.meddle(33, 'o');
    },
  });
  const o = onlyOutcome(outcomes);
  assert.is(o.result, 'failed');
  assert.equal(kernel.log.map((l) => `${l.file.replace(/^.*\/dax0\.0\//, '')}=${l.value}`), ['state=unplugged', 'state=online_movable', 'state=unplugged', 'state=online_kernel']);
  assert.match(o.message!, 'a mixed device is not put back block by block where the state file moves it: brought back through it to online');
  assert.is(after[0].state, 'online');
  assert.is(stateDrift(after[0], { kind: 'absent' }), undefined);
});

faults('Linux 7.3: a device the kernel added offline is unplugged before it is onlined (EBUSY otherwise)', () => {
  const root = host({ stateFile: true, devices: [{ name: 'dax0.0', node: 1, blocks: 4, state: 'offline' }] });
  const { outcomes, kernel } = converge(root, 'online_movable', { stateFile: true });
  assert.is(onlyOutcome(outcomes).result, 'applied');
  assert.equal(kernel.log.map((l) => l.value), ['unplugged', 'online_movable']);
});

for (const stateFile of [false, true]) {
  faults(`${stateFile ? 'Linux 7.3' : 'per-block'}: devdax -> online_movable under auto_online_blocks=online never passes through ZONE_NORMAL, and the default is put back`, () => {
    const root = host({ stateFile, autoOnline: 'online', devices: [{ name: 'dax0.0', node: 1, blocks: 4, state: 'devdax' }] });
    const { outcomes, kernel, after } = converge(root, 'online_movable', { stateFile }, {
      afterWrite: (k, file) => {
        if (file.endsWith('new_id') || file.endsWith('/bind')) assert.ok(observe(k).devices[0].blocks.every((b) => b.state === 'online' && b.zone === 'Movable'), 'arrived movable');
      },
    });
    assert.is(onlyOutcome(outcomes).result, 'applied');
    assert.equal(
      kernel.log.map((l) => `${l.file.replace(/^.*\//, '')}=${l.value}`),
      ['unbind=dax0.0', 'auto_online_blocks=online_movable', 'new_id=dax0.0', 'auto_online_blocks=online'],
    );
    assert.ok(after[0].blocks.every((b) => b.state === 'online' && b.zone === 'Movable'));
  });
}

faults('a device resized under daxplan between two steps: no further write, reported, nothing rolled back onto the new extent', () => {
  const root = host({ autoOnline: 'offline', devices: [{ name: 'dax0.0', node: 1, blocks: 4, state: 'devdax' }] });
  const { outcomes, kernel } = converge(root, 'online_movable', {}, {
    afterWrite: (k, file) => {
      if (file.endsWith('device_dax/unbind')) fs.writeFileSync(path.join(root, k.deviceDir('dax0.0'), 'mapping0/end'), '0x2fffffff\n');
    },
  });
  const o = onlyOutcome(outcomes);
  assert.is(o.result, 'failed');
  assert.match(o.message!, /dax0\.0 changed under daxplan: its ranges 0x[0-9a-f]+-0x2fffffff, was 0x[0-9a-f]+-0x[0-9a-f]+/);
  assert.match(o.message!, 'ROLLBACK INCOMPLETE');
  assert.equal(kernel.log.map((l) => l.file.replace(/^.*\//, '')), ['unbind'], 'nothing written after the change');
});

faults('a device resized during its last step is not verified: reported failed, not applied', () => {
  const root = host({ autoOnline: 'offline', devices: [{ name: 'dax0.0', node: 1, blocks: 4, state: 'devdax' }] });
  const { outcomes } = converge(root, 'online_movable', {}, {
    afterWrite: (k, file) => {
      // Its size, not its ranges: the blocks read the same, only the extent check can tell.
      if (file.includes('drivers/kmem/')) fs.writeFileSync(path.join(root, k.deviceDir('dax0.0'), 'size'), '1\n');
    },
  });
  const o = onlyOutcome(outcomes);
  assert.is(o.result, 'failed');
  assert.match(o.message!, 'dax0.0 changed under daxplan');
});

faults('auto_online_blocks stuck: the value first owed stays owed, not the one this run found when its own bind could not put it back either', async () => {
  const root = host({ autoOnline: 'online_movable', devices: [{ name: 'dax0.0', node: 1, blocks: 2, state: 'devdax' }] });
  const lockFile = path.join(tempDir(), 'lock');
  // A run that died binding dax9.0 in this boot left auto_online_blocks overridden; it was "online" before.
  const debt = { device: 'dax9.0', restore: 'online', set: 'online_movable', boot_id: readProcFacts().bootId };
  fs.writeFileSync(lockFile, JSON.stringify({ pid: 999999999, trigger: 'udev', started: 'then', moving: { device: 'dax9.0', from: 'devdax', to: 'online_movable' }, owed: debt }) + '\n');
  // The file takes only the bind's own value: any other write is refused (EBUSY) and leaves the value before it.
  let held = 'online_movable';
  const kernel = new SimulatedKernel(root, {}, {
    afterWrite: (_kernel, file, value) => {
      if (!file.endsWith('auto_online_blocks')) return;
      if (value === 'online_kernel') return void (held = value);
      fs.writeFileSync(path.join(root, file), held + '\n');
      throw new SysfsWriteError(file, value, 'EBUSY');
    },
  });
  const done = await convergeUnderLock({ sysfs: kernel, target: { policy: policyTo('online') }, lock: { file: lockFile, timeoutSeconds: 0, trigger: 'manual' } });
  assert.is(done.clean, false);
  assert.equal(JSON.parse(fs.readFileSync(lockFile, 'utf8')).owed, debt);
});

faults('a failed bind still puts auto_online_blocks back', () => {
  const root = host({ autoOnline: 'online', devices: [{ name: 'dax0.0', node: 1, blocks: 2, state: 'unbound' }] });
  fs.rmSync(path.join(root, 'bus/dax/drivers/kmem'), { recursive: true });
  const { outcomes, kernel } = converge(root, 'online_movable', {});
  const o = onlyOutcome(outcomes);
  assert.is(o.result, 'failed');
  assert.match(o.message!, 'driver kmem is not loaded');
  assert.is(kernel.read('devices/system/memory/auto_online_blocks'), 'online');
  assert.equal(kernel.log.map((l) => l.value), ['online_movable', 'online']);
});

faults('a competing controller onlining blocks between steps is detected; daxplan restores what it changed and says where the device is', () => {
  const root = host({ devices: [{ name: 'dax0.0', node: 1, blocks: 4, state: 'online' }] });
  let meddled = false;
  const { outcomes, after } = converge(
    root,
    'online_movable',
    {},
    {
      afterWrite: (k, file, value) => {
        // after daxplan's offline step completes, a udev rule onlines block 32 into ZONE_NORMAL
        if (!meddled && file.endsWith('memory32/state') && value === 'offline') {
          meddled = true;
          k.meddle(32, 'N');
        }
      },
    },
  );
  const o = onlyOutcome(outcomes);
  assert.is(o.result, 'failed');
  assert.match(o.message!, 'another agent onlined block(s) 32 after daxplan offlined them');
  assert.is(after[0].state, o.final!.state);
  assert.ok(o.restored === true ? after[0].state === 'online' : /ROLLBACK INCOMPLETE/.test(o.message!));
});

faults('a device that moved after planning is skipped with nothing written', () => {
  const root = host({ devices: [{ name: 'dax0.0', node: 1, blocks: 2, state: 'online' }] });
  const kernel = new SimulatedKernel(root);
  const observed = observe(kernel);
  const p = plan(policyTo('online_movable'), observed);
  kernel.meddle(32, 'o');
  const o = new Applier(kernel, observed.kernel).apply(changes(p)[0]);
  assert.is(o.result, 'skipped');
  assert.match(o.message!, 'changed since it was planned');
  assert.equal(kernel.log, []);
});

faults('kmem is never unbound while a block is online', () => {
  const root = host({ devices: [{ name: 'dax0.0', node: 1, blocks: 2, state: 'online' }] });
  const kernel = new SimulatedKernel(root);
  const observed = observe(kernel);
  const change = changes(plan(policyTo('unplug'), observed))[0];
  // a tampered plan that skips the offline step
  const unsafe = { ...change, steps: change.steps.filter((s) => s.step.op === 'unbind') };
  const o = new Applier(kernel, observed.kernel).apply(unsafe);
  assert.is(o.result, 'failed');
  assert.match(o.message!, 'refusing to unbind dax0.0 from kmem');
  assert.equal(kernel.leaked, []);
  assert.is(o.final!.state, 'online');
});

faults('a block onlined by another agent after the offline step was read back: kmem is not unbound, the agent is named', () => {
  const root = host({ devices: [{ name: 'dax0.0', node: 1, blocks: 2, state: 'online_movable' }] });
  const kernel = new SimulatedKernel(root);
  const observed = observe(kernel);
  const [change] = changes(plan(policyTo('unplug'), observed));
  // the moment between daxplan's read after the offline step and its unbind
  const events = { step: (_d: unknown, _i: number, _n: number, s: { step: { op: string } }) => s.step.op === 'unbind' && kernel.meddle(33, 'M') };
  const o = new Applier(kernel, observed.kernel, events).apply(change);
  assert.is(o.result, 'failed');
  assert.match(o.message!, 'refusing to unbind dax0.0 from kmem: block(s) 33 are online (another agent onlined them after daxplan read them offline)');
  assert.equal(kernel.leaked, []);
  assert.ok(kernel.log.every((l) => !l.file.endsWith('kmem/unbind')), 'no unbind written');
  assert.is(o.final!.driver, 'kmem');
});

faults('a block onlined in the instant before the unbind write: the memory the kernel keeps until reboot is named, with the agent', () => {
  const root = host({ devices: [{ name: 'dax0.0', node: 1, blocks: 2, state: 'online_movable' }] });
  const { outcomes, kernel } = converge(root, 'unplug', {}, { beforeWrite: (k, file) => file.endsWith('kmem/unbind') && k.meddle(33, 'M') });
  const o = onlyOutcome(outcomes);
  assert.equal(kernel.leaked, [33]);
  assert.is(o.result, 'failed');
  assert.is(o.restored, false);
  assert.match(o.message!, 'another agent onlined block(s) 33 in the instant before kmem was unbound: the kernel keeps them in the system until reboot');
  assert.match(o.message!, 'ROLLBACK INCOMPLETE');
});

faults('a block another agent moves to where daxplan was moving it, in the instant before daxplan writes it, is not a failure', () => {
  for (const [from, to, letter] of [['online', 'online_movable', 'M'], ['online_movable', 'unplug', 'o']] as const) {
    const root = host({ devices: [{ name: 'dax0.0', node: 1, blocks: 3, state: from }] });
    const beforeWrite: Faults['beforeWrite'] = (k, file, value) => file.endsWith('memory33/state') && value !== 'offline' === (letter !== 'o') && k.meddle(33, letter);
    const { outcomes, kernel, after } = converge(root, to, { rejectSameState: true }, { beforeWrite });
    assert.is(onlyOutcome(outcomes).result, 'applied', `${from} -> ${to}: ${onlyOutcome(outcomes).message}`);
    assert.ok(satisfies(after[0].state, to));
    assert.ok(kernel.log.some((l) => l.file.endsWith('memory33/state') && l.error === 'EINVAL'), 'the kernel refused the write the agent made needless');
  }
});

faults('a kernel that rejects writing a block state it already has is handled by reading first', () => {
  const root = host({ devices: [{ name: 'dax0.0', node: 1, blocks: 4, state: 'NoNo' }] });
  const { outcomes, kernel } = converge(root, 'online', { rejectSameState: true });
  assert.is(onlyOutcome(outcomes).result, 'applied');
  assert.ok(kernel.log.every((l) => !l.error));
});

for (const mode of ['online', 'online_kernel'] as AutoOnline[]) {
  faults(`auto_online_blocks=${mode}: onlining into ZONE_MOVABLE still succeeds (where daxctl gives up)`, () => {
    const root = host({ autoOnline: mode, devices: [{ name: 'dax0.0', node: 1, blocks: 4, state: 'devdax' }] });
    const { outcomes, after } = converge(root, 'online_movable', {});
    assert.is(onlyOutcome(outcomes).result, 'applied');
    assert.ok(after[0].blocks.every((b) => b.state === 'online' && b.zone === 'Movable'));
  });
}

faults('auto_online_blocks reading a value daxplan could not put back: the bind is blocked at plan time, and refused when it turns so after planning; nothing written', () => {
  const root = host({ devices: [{ name: 'dax0.0', node: 1, blocks: 2, state: 'unbound' }] });
  const auto = path.join(root, 'devices/system/memory/auto_online_blocks');
  fs.writeFileSync(auto, 'sideways\n');
  const blocked = converge(root, 'online_movable', {});
  assert.equal(blocked.outcomes, []);
  assert.equal(blocked.kernel.log, []);
  fs.writeFileSync(auto, 'offline\n');
  const kernel = new SimulatedKernel(root, {});
  const observed = observe(kernel);
  const [change] = changes(plan(policyTo('online_movable'), observed));
  fs.writeFileSync(auto, 'sideways\n');
  const o = new Applier(kernel, observed.kernel).apply(change);
  assert.is(o.result, 'failed');
  assert.match(o.message!, 'auto_online_blocks reads "sideways", not a value daxplan could put back after the bind');
  assert.equal(kernel.log, []);
});

faults.run();
