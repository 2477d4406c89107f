// The trees real kernels wrote (test/fixtures/real-*, captured by the VM
// suite; ../shared/fixtures for 6.12 by hand): daxplan must read them as the
// capture's README says, and plan against them. The 7.3 tree's kmem `state`
// files: test/real-7.3.test.ts.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DirSysfs } from '../src/host/sysfs.js';
import { observe } from '../src/host/observe.js';
import { parsePolicy } from '../src/policy/parse.js';
import { plan } from '../src/plan/plan.js';
import { REPO } from './support/host.js';

const STATES = [
  ['dax0.0', 'online_movable', 1],
  ['dax1.0', 'online', 2],
  ['dax2.0', 'devdax', 2],
  ['dax3.0', 'mixed', 2],
];

for (const [kernel, auto] of [
  ['6.1', 'offline'],
  ['6.12', 'online'],
  ['7.3', 'online'],
] as const) {
  const root = path.join(REPO, `test/fixtures/real-${kernel}/sys`);
  const real = suite(`real kernel ${kernel}`);

  real('every device reads in the state its README gives, with its UUID', () => {
    const observed = observe(new DirSysfs(root));
    assert.equal(observed.devices.map((d) => [d.name, d.state, d.targetNode]), STATES);
    const readme = fs.readFileSync(path.join(root, '../README.md'), 'utf8');
    for (const d of observed.devices) {
      assert.ok(d.uuid && readme.includes(`${d.name}: \`${d.uuid}\``), `${d.name} uuid ${d.uuid}`);
      assert.equal(d.problems, []);
    }
    assert.is(observed.kernel.autoOnlineBlocks, auto);
    assert.is(observed.kernel.stateFile, kernel === '7.3' ? 'seen' : 'not-seen');
    assert.equal(observed.kernel.nodeTiers, { 0: 4, 1: 4, 2: 22 });
  });

  real('a policy making all far memory movable plans the kernel-specific steps', () => {
    const policy = parsePolicy('version: 1\nrules:\n  - name: far\n    match: { tier: [4, 22] }\n    state: online_movable\n', 'p.yaml');
    assert.ok(policy.ok);
    if (!policy.ok) return;
    const result = plan(policy.policy, observe(new DirSysfs(root)));
    const dax2 = result.entries.find((e) => e.device.name === 'dax2.0');
    assert.ok(dax2 && dax2.kind === 'change');
    if (dax2?.kind !== 'change') return;
    const ops = dax2.steps.map((s) => s.step.op).join(' ');
    // the bind sets auto_online_blocks to online_movable for its moment: no ZONE_NORMAL detour on either kernel
    assert.is(ops, 'unbind bind');
    // 7.3: dax0.0's blocks are Movable but its state file reads `online` (moved block by block): its memory stays where it is
    assert.is(result.summary.change, 3);
    assert.is(result.entries.find((e) => e.device.name === 'dax0.0')?.kind, 'unchanged');
  });

  real.run();
}
