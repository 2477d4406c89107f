import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { DirSysfs } from '../src/host/sysfs.js';
import { observe } from '../src/host/observe.js';
import { parsePolicy, type Policy } from '../src/policy/parse.js';
import { plan, type Entry } from '../src/plan/plan.js';
import type { Step } from '../src/model/steps.js';
import { describeStep } from '../src/render/words.js';
import type { AutoOnline } from '../src/model/device.js';
import type { DeviceShape, HostSpec } from './sim/tree.js';
import { summaryLine } from '../src/render/words.js';
import { REAL_612 } from './support/host.js';
import { fakeHost } from './support/observed.js';

function policy(yaml: string): Policy {
  const result = parsePolicy(yaml, 'policy.yaml');
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  return result.policy;
}

const allTo = (state: string) => policy(`version: 1\nrules:\n  - name: all\n    match: { device: "*" }\n    state: ${state}\n`);

function ops(steps: { step: Step }[]): string {
  return steps
    .map(({ step }) => {
      switch (step.op) {
        case 'bind':
          return step.driver === 'kmem' ? `bind:kmem=${step.arrive}` : 'bind:device_dax';
        case 'unbind':
          return `${step.op}:${step.driver}`;
        case 'state':
          return `state:${step.write}`;
        case 'online_blocks':
          return `online:${step.zone}`;
        case 'offline_blocks':
          return 'offline';
      }
    })
    .join(' ');
}

function planOne(state: DeviceShape, to: string, extra: Partial<HostSpec> = {}): Entry {
  return plan(allTo(to), fakeHost({ ...extra, devices: [{ name: 'dax0.0', node: 1, blocks: 4, state }] })).entries[0];
}

function stepsFor(state: DeviceShape, to: string, extra: Partial<HostSpec> = {}): string {
  const entry = planOne(state, to, extra);
  if (entry.kind === 'unchanged') return '=';
  if (entry.kind !== 'change') return `${entry.kind}: ${entry.reason}`;
  return `${entry.method} ${ops(entry.steps)}`;
}

const perBlock = suite('plan: per-block transitions (no state file, auto_online_blocks=offline)');

const PER_BLOCK: [DeviceShape, string, string][] = [
  ['devdax', 'online_movable', 'per-block unbind:device_dax bind:kmem=online_movable'],
  ['devdax', 'online', 'per-block unbind:device_dax bind:kmem=online_kernel'],
  ['devdax', 'unplug', 'per-block unbind:device_dax'],
  ['devdax', 'devdax', '='],
  ['unbound', 'online_movable', 'per-block bind:kmem=online_movable'],
  ['unbound', 'devdax', 'per-block bind:device_dax'],
  ['unbound', 'unplug', '='],
  ['offline', 'online', 'per-block online:normal'],
  ['offline', 'unplug', 'per-block unbind:kmem'],
  ['offline', 'devdax', 'per-block unbind:kmem bind:device_dax'],
  ['online', 'online_movable', 'per-block offline online:movable'],
  ['online', 'unplug', 'per-block offline unbind:kmem'],
  ['online', 'devdax', 'per-block offline unbind:kmem bind:device_dax'],
  ['online_movable', 'online', 'per-block offline online:normal'],
  ['online_movable', 'online_movable', '='],
  ['NoNo', 'online', 'per-block online:normal'],
  ['NoNo', 'online_movable', 'per-block offline online:movable'],
  ['MoMo', 'online_movable', 'per-block online:movable'],
  ['NMoo', 'online_movable', 'per-block offline online:movable'],
  ['NMoo', 'unplug', 'per-block offline unbind:kmem'],
];

for (const [from, to, expected] of PER_BLOCK) {
  perBlock(`${from} -> ${to}`, () => assert.is(stepsFor(from, to), expected));
}
perBlock.run();

const auto = suite('plan: kernels that online new memory at once');

auto('auto_online_blocks=online: devdax -> online_movable binds kmem with the default set to online_movable for the moment, never through ZONE_NORMAL, and says so', () => {
  const entry = planOne('devdax', 'online_movable', { autoOnline: 'online' });
  assert.is(entry.kind, 'change');
  if (entry.kind !== 'change') return;
  assert.is(ops(entry.steps), 'unbind:device_dax bind:kmem=online_movable');
  assert.is(entry.steps[1].expect, 'online_movable');
  assert.is(
    describeStep(entry.steps[1], entry.device, 'online'),
    'bind to kmem with auto_online_blocks=online_movable for the moment of the bind (then back to online): the new blocks arrive online in ZONE_MOVABLE',
  );
});

for (const [mode, to, expected] of [
  ['online', 'online', 'per-block unbind:device_dax bind:kmem=online_kernel'],
  ['online_movable', 'online_movable', 'per-block unbind:device_dax bind:kmem=online_movable'],
  ['online_kernel', 'online_movable', 'per-block unbind:device_dax bind:kmem=online_movable'],
  ['online', 'unplug', 'per-block unbind:device_dax'],
] as [AutoOnline, string, string][]) {
  auto(`auto_online_blocks=${mode}: devdax -> ${to}`, () => assert.is(stepsFor('devdax', to, { autoOnline: mode }), expected));
}
auto.run();

const state = suite('plan: the state file (Linux 7.3)');

const STATE: [DeviceShape, string, string][] = [
  ['online', 'online_movable', 'state state:unplugged state:online_movable'],
  ['online_movable', 'online', 'state state:unplugged state:online_kernel'],
  ['online', 'unplug', 'state state:unplugged'],
  ['unplug', 'online_movable', 'state state:online_movable'],
  ['unplug', 'devdax', 'state unbind:kmem bind:device_dax'],
  ['offline', 'online', 'state state:unplugged state:online_kernel'],
  ['offline', 'unplug', 'state state:unplugged'],
  ['NoNo', 'online_movable', 'state state:unplugged state:online_movable'],
  ['online', 'devdax', 'state state:unplugged unbind:kmem bind:device_dax'],
  ['online_movable', 'online_movable', '='],
];
for (const [from, to, expected] of STATE) {
  state(`${from} -> ${to}`, () => assert.is(stepsFor(from, to, { stateFile: true, autoOnline: 'online' }), expected));
}
state('a devdax device goes through the state file when another kmem device shows it, and arrives as wanted', () => {
  const entry = plan(allTo('online_movable'), fakeHost({
    stateFile: true,
    autoOnline: 'online',
    devices: [
      { name: 'dax0.0', node: 1, blocks: 2, state: 'unplug' },
      { name: 'dax1.0', node: 1, blocks: 2, state: 'devdax' },
    ],
  })).entries[1];
  assert.is(entry.kind === 'change' && `${entry.method} ${ops(entry.steps)}`, 'state unbind:device_dax bind:kmem=online_movable');
});
state('a stale state word over memory already where the policy wants it: nothing written (no unplug and replug); one that must move goes through the file alone', () => {
  assert.is(planOne('online_movable', 'online_movable', { stateFile: true }).kind, 'unchanged', 'consistent: nothing to do');
  const host = fakeHost({ stateFile: true, devices: [{ name: 'dax0.0', node: 1, blocks: 4, state: 'online_movable', stateWord: 'online' }] });
  const stays = plan(allTo('online_movable'), host).entries[0];
  assert.is(stays.kind, 'unchanged');
  assert.match(stays.reason, "the kernel's state file reads online but the memory blocks are 4/4 blocks online, Movable: the memory is where the policy wants it, so it stays");
  const moves = plan(allTo('online'), host).entries[0];
  assert.is(moves.kind === 'change' && `${moves.method} ${ops(moves.steps)}`, 'state state:unplugged state:online_kernel');
  assert.match(moves.reason, 'repaired through the state file');
  const offlined = fakeHost({ stateFile: true, devices: [{ name: 'dax0.0', node: 1, blocks: 4, state: 'offline', stateWord: 'online_movable' }] });
  const again = plan(allTo('online_movable'), offlined).entries[0];
  assert.is(again.kind === 'change' && ops(again.steps), 'state:unplugged state:online_movable', 'writing the word it reads would online nothing');
});
state.run();

const rules = suite('plan: rules');

rules('the first matching rule wins and every entry names it with file:line', () => {
  const p = policy(`version: 1
rules:
  - name: node2-normal
    match: { numa_node: 2 }
    state: online
  - name: far-movable
    match: { tier: 22 }
    state: online_movable
`);
  const result = plan(p, observe(new DirSysfs(REAL_612)));
  const view = result.entries.map((e) => [e.device.name, e.kind, 'decider' in e && e.decider?.kind === 'rule' ? `${e.decider.name}@${e.decider.line}` : '-']);
  assert.equal(view, [
    ['dax0.0', 'unmanaged', '-'],
    ['dax1.0', 'unchanged', 'node2-normal@3'],
    ['dax2.0', 'change', 'node2-normal@3'],
    ['dax3.0', 'change', 'node2-normal@3'],
  ]);
  assert.is(summaryLine(result.summary), 'Plan: 2 to change, 1 unchanged, 1 unmanaged.');
});

rules('keys in one match are ANDed, list values ORed, uuids case-insensitive', () => {
  const p = policy(`version: 1
rules:
  - name: pick
    match:
      uuid: [EEF74789-5768-47EF-8C17-13F50C24BEED, f9a22c9a-e8f7-11f1-bd30-73eb7d34bf7f]
      numa_node: 2
    state: unplug
`);
  const result = plan(p, observe(new DirSysfs(REAL_612)));
  assert.equal(result.entries.filter((e) => e.kind !== 'unmanaged').map((e) => e.device.name), ['dax2.0']);
});

rules('defaults.state takes the devices no rule matches', () => {
  const p = policy(`version: 1\ndefaults: { state: unplug }\nrules:\n  - name: n1\n    match: { numa_node: 1 }\n    state: online_movable\n`);
  const result = plan(p, observe(new DirSysfs(REAL_612)));
  assert.equal(result.entries.map((e) => e.kind), ['unchanged', 'change', 'change', 'change']);
  assert.match(result.entries[1].reason, 'defaults.state');
});

rules('a tier selector on a node with no online memory blocks the device and says why', () => {
  const observed = fakeHost({ devices: [{ name: 'dax0.0', node: 3, blocks: 2, state: 'devdax' }] });
  const p = policy(`version: 1\nrules:\n  - name: far\n    match: { tier: 22 }\n    state: online_movable\n`);
  const entry = plan(p, observed).entries[0];
  assert.is(entry.kind, 'blocked');
  assert.match(entry.reason, 'node 3 is in no memory tier');
  assert.match(entry.reason, 'tiers:');
});

rules('tiers: declared in the policy resolve such a node', () => {
  const observed = fakeHost({ devices: [{ name: 'dax0.0', node: 3, blocks: 2, state: 'devdax' }] });
  const p = policy(`version: 1\ntiers:\n  22: [3]\nrules:\n  - name: far\n    match: { tier: 22 }\n    state: online_movable\n`);
  assert.is(plan(p, observed).entries[0].kind, 'change');
});

rules('a device whose sysfs does not parse is blocked, never changed', () => {
  const observed = fakeHost({ devices: [{ name: 'dax0.0', node: 1, blocks: 2, state: 'devdax' }] });
  observed.devices[0].problems.push('size: cannot parse "x"');
  const entry = plan(allTo('online'), observed).entries[0];
  assert.is(entry.kind, 'blocked');
  assert.match(entry.reason, 'cannot read the device');
});

rules('no changes reads as such', () => {
  const result = plan(allTo('devdax'), fakeHost({ devices: [{ name: 'dax0.0', node: 1, blocks: 2, state: 'devdax' }] }));
  assert.is(summaryLine(result.summary), 'No changes. Memory matches policy.');
});

rules.run();

const selectors = suite('plan: device-name selectors');

selectors('a plain name decides only that device; a glob (picomatch syntax) every name it matches', () => {
  const names = ['dax0.0', 'dax1.0', 'dax2.0', 'dax10.0', 'dax12.0', 'dax3.0'];
  const host = fakeHost({ devices: names.map((name) => ({ name, node: 1, blocks: 2, state: 'devdax' as DeviceShape })) });
  const p = policy(
    'version: 1\nrules:\n' +
      '  - name: plain\n    match: { device: dax1.0 }\n    state: online\n' +
      '  - name: globs\n    match: { device: ["dax[02].0", "dax1?.0"] }\n    state: online_movable\n',
  );
  const decided = Object.fromEntries(plan(p, host).entries.map((e) => [e.device.name, 'decider' in e && e.decider?.kind === 'rule' ? e.decider.name : e.kind]));
  assert.equal(decided, { 'dax0.0': 'globs', 'dax1.0': 'plain', 'dax2.0': 'globs', 'dax10.0': 'globs', 'dax12.0': 'globs', 'dax3.0': 'unmanaged' });
});

selectors.run();
