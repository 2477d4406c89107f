// The tree Debian's 7.3 wrote for one RAM region interleaved 2 ways over two
// real (QEMU-emulated) CXL expanders, serials 0x1234abcd (target0, at
// 0000:0d:00.0) and 0x5678ef01 (target1, at 0000:0e:00.0), booted with
// memhp_default_state=offline (test/fixtures/real-cxl-7.3/interleaved, made
// by the VM suite's cxl-interleaved scenario).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DirSysfs } from '../src/host/sysfs.js';
import { observe } from '../src/host/observe.js';
import { parsePolicy, type Policy } from '../src/policy/parse.js';
import { plan } from '../src/plan/plan.js';
import { SIM_CONFIG } from './sim/kernel.js';
import { run } from './support/cli.js';
import { copyTree, policyFile, REPO } from './support/host.js';

const SYS = path.join(REPO, 'test/fixtures/real-cxl-7.3/interleaved/sys');
const GiB = 1n << 30n;

function policy(match: string, state = 'online_movable'): Policy {
  const result = parsePolicy(`version: 1\nrules:\n  - name: expanders\n    match: ${match}\n    state: ${state}\n`, 'policy.yaml');
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  return result.policy;
}

const real = suite('cxl: a 2-way interleaved region (Debian 7.3 under QEMU 10)');

real('one device over both expanders, memdevs in interleave order, its 2 GiB offline as it arrived; the kernel settings as the capture has them', () => {
  const { kernel, devices } = observe(new DirSysfs(SYS));
  assert.equal(kernel.problems, []);
  assert.equal(kernel.hotplug, { kind: 'read', onlinePolicy: 'contig-zones', autoMovableRatio: 301, numaAware: true, memmapOnMemory: 'off' });
  assert.is(devices.length, 1);
  const [d] = devices;
  assert.equal(d.problems, []);
  assert.equal([d.name, d.state, d.stateFile, d.driver, d.blocks.length, d.targetNode], ['dax0.0', 'offline', 'offline', 'kmem', 16, 1]);
  assert.equal(d.cxl, {
    region: 'region0',
    mode: 'ram',
    start: 0x110000000n,
    size: 2n * GiB,
    interleaveWays: 2,
    qosClass: 0,
    memdevs: [
      { name: 'mem1', serial: 0x1234abcdn, serialSharedWith: [], pci: '0000:0d:00.0', numaNode: undefined },
      { name: 'mem0', serial: 0x5678ef01n, serialSharedWith: [], pci: '0000:0e:00.0', numaNode: undefined },
    ],
  });
});

real('memdevs: all needs every serial; any takes one; pci likewise; the plan goes through unplugged as the kernel wants', () => {
  const observed = observe(new DirSysfs(SYS));
  const decide = (match: string) => {
    const [e] = plan(policy(match), observed).entries;
    return e.kind === 'change' ? `change: ${e.reason}: ${e.steps.map((s) => (s.step.op === 'state' ? s.step.write : s.step.op)).join(', ')}` : e.kind;
  };
  assert.is(decide('{ serial: [0x1234abcd, 0x5678ef01] }'), 'change: matches serial 0x1234abcd, 0x5678ef01 (all of 2 memdevs): unplugged, online_movable');
  assert.is(decide('{ serial: 0x1234abcd }'), 'unmanaged');
  assert.is(decide('{ serial: 0x5678ef01, memdevs: any }'), 'change: matches serial 0x5678ef01 (any of 2 memdevs): unplugged, online_movable');
  assert.is(decide('{ serial: 0x99, memdevs: any }'), 'unmanaged');
  assert.is(decide('{ pci: ["0000:0d:00.0", "0e:00.0"] }'), 'change: matches pci 0000:0d:00.0, 0000:0e:00.0 (all of 2 memdevs): unplugged, online_movable');
  assert.is(decide('{ pci: "0000:0e:00.0" }'), 'unmanaged');
});

real('apply (simulated kernel, on a copy of the capture): memdevs all by both serials makes it movable, memdevs any by one unplugs it', async () => {
  const sys = copyTree(SYS);
  fs.writeFileSync(path.join(sys, SIM_CONFIG), JSON.stringify({ stateFile: true }));
  const all = policyFile('version: 1\nrules:\n  - name: both\n    match: { serial: [0x1234abcd, "0x5678ef01"], memdevs: all }\n    state: online_movable\n');
  const first = await run(['apply', '--auto-approve', '--sysfs-root', sys, '-c', all]);
  assert.is(first.code, 0, first.stderr);
  const [moved] = observe(new DirSysfs(sys)).devices;
  assert.equal([moved.state, moved.stateFile, moved.blocks.length], ['online_movable', 'online_movable', 16]);
  const any = policyFile('version: 1\nrules:\n  - name: either\n    match: { serial: 0x5678ef01, memdevs: any }\n    state: unplug\n');
  const second = await run(['apply', '--auto-approve', '--sysfs-root', sys, '-c', any]);
  assert.is(second.code, 0, second.stderr);
  const [gone] = observe(new DirSysfs(sys)).devices;
  assert.equal([gone.state, gone.stateFile, gone.blocks.length, gone.driver], ['unplug', 'unplugged', 0, 'kmem']);
});

real.run();
