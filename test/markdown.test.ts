import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { DirSysfs } from '../src/host/sysfs.js';
import { observe } from '../src/host/observe.js';
import { parsePolicy, type Policy } from '../src/policy/parse.js';
import { plan } from '../src/plan/plan.js';
import { MARKDOWN_LIMIT, planMarkdown } from '../src/render/markdown.js';
import { reportOf } from '../src/report/report.js';
import type { DeviceShape, DeviceSpec } from './sim/tree.js';
import { host } from './support/host.js';

function policy(state: string, match = '{ device: "*" }', name = 'all'): Policy {
  const result = parsePolicy(`version: 1\nrules:\n  - name: ${name}\n    match: ${match}\n    state: ${state}\n`, 'policies/fleet/daxplan.yaml');
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  return result.policy;
}

const roots = new Map<DeviceSpec[], string>();

function markdown(devices: DeviceSpec[], p: Policy): string {
  if (!roots.has(devices)) roots.set(devices, host({ autoOnline: 'online', devices }));
  return planMarkdown(reportOf(plan(p, observe(new DirSysfs(roots.get(devices)!)))));
}

const one = (state: DeviceShape): DeviceSpec[] => [{ name: 'dax0.0', node: 1, blocks: 4, state }];
const BANNER = 'This plan removes system memory';

const md = suite('markdown: a pull-request comment');

md('summary first, per-device table, details folded in <details>', () => {
  const text = markdown([...one('devdax'), { name: 'dax1.0', node: 2, blocks: 2, state: 'online_movable' }], policy('online_movable'));
  const lines = text.split('\n');
  assert.is(lines[0], '### daxplan: Plan: 1 to change, 1 unchanged, 0 unmanaged.');
  assert.ok(lines.includes('| `dax0.0` | 1 | ? | 512 MiB | devdax | **online_movable** | per-block | rule "all" (policies/fleet/daxplan.yaml:3) |'), text);
  const open = text.indexOf('<details><summary>Details</summary>');
  assert.ok(open > text.indexOf('| `dax0.0`'), 'details come after the table');
  assert.ok(text.trimEnd().endsWith('</details>'));
  assert.match(text.slice(open), '1. unbind from device_dax');
  assert.match(text.slice(open), '| `dax1.0` | online_movable | unchanged:');
});

md('the warning banner appears when, and only when, memory would be removed', () => {
  assert.match(markdown(one('online'), policy('devdax')), `> [!WARNING]\n> ${BANNER}: node 1 -512 MiB.`);
  assert.match(markdown(one('online_movable'), policy('unplug')), BANNER);
  assert.not.match(markdown(one('devdax'), policy('online_movable')), BANNER, 'adding memory');
  assert.not.match(markdown(one('online'), policy('online_movable')), BANNER, 'moving between zones');
  assert.not.match(markdown(one('online'), policy('online')), BANNER, 'no change');
});

md('titles and reasons cannot inject HTML or break the table', () => {
  const text = planMarkdown(reportOf(plan(policy('devdax'), observe(new DirSysfs(host({ devices: one('online') }))))), 'daxplan on <img src=x>|');
  assert.match(text.split('\n')[0], '### daxplan on &lt;img src=x>\\|: ');
});

const big = suite('markdown: stays under 64 KiB for a PR comment');

function fleet(count: number): DeviceSpec[] {
  const shapes: DeviceShape[] = ['online', 'devdax', 'No', 'online_movable'];
  return Array.from({ length: count }, (_, i) => ({ name: `dax${i}.0`, node: 1 + (i % 8), blocks: 2, state: shapes[i % shapes.length] }));
}

const FLEET = fleet(256);

const LONG = 'all-the-dax-devices-of-the-fleet-with-a-long-rule-name';

for (const [what, p] of [
  ['to devdax (memory removed)', policy('devdax', undefined, LONG)],
  ['to online_movable', policy('online_movable', undefined, LONG)],
  ['by a tier the kernel cannot show (every device blocked)', policy('online', '{ tier: 99 }', LONG)],
] as const) {
  big(`256 devices, ${what}`, () => {
    const text = markdown(FLEET, p);
    assert.ok(Buffer.byteLength(text) <= MARKDOWN_LIMIT, `${Buffer.byteLength(text)} bytes`);
    assert.match(text, '<details>');
    assert.ok(text.trimEnd().endsWith('</details>'));
  });
}

big('512 devices: the table says how many it leaves out, the summary still counts all', () => {
  markdown(FLEET, policy('devdax'));
  const observed = observe(new DirSysfs(roots.get(FLEET)!));
  const twice = { ...observed, devices: [...observed.devices, ...observed.devices.map((d, i) => ({ ...d, name: `dax${256 + i}.0` }))] };
  const text = planMarkdown(reportOf(plan(policy('devdax', undefined, LONG), twice)));
  assert.ok(Buffer.byteLength(text) <= MARKDOWN_LIMIT, `${Buffer.byteLength(text)} bytes`);
  assert.match(text.split('\n')[0], 'Plan: 384 to change, 128 unchanged');
  assert.match(text, /_…and \d+ more devices to change: run `daxplan plan` for all of them._/);
  assert.match(text, BANNER);
  assert.match(text, 'Details cut to fit a pull-request comment');
});

md.run();
big.run();
