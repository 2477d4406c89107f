// What an operator reads: plan marks as terraform users know them, the memory
// that really moves, status without blocks a device does not have, colour
// only when wanted, help that fits the terminal.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { run } from './support/cli.js';
import { host, policyFile, REPO, tempDir } from './support/host.js';

const EXAMPLE = path.join(REPO, 'examples/debian-6.12-qemu');
const rule = (state: string, nodes = '[1, 2]') => `version: 1\nrules:\n  - name: r\n    match: { numa_node: ${nodes} }\n    state: ${state}\n`;
const plan = (sys: string, policy: string, ...extra: string[]) => run(['plan', '--sysfs-root', sys, '-c', policyFile(policy), ...extra]);

const marks = suite('plan marks');

marks('+ memory joins the system, ~ it changes zone, - it leaves, · unmanaged, = unchanged', async () => {
  const sys = host({
    devices: [
      { name: 'dax0.0', node: 1, blocks: 2, state: 'devdax' },
      { name: 'dax1.0', node: 1, blocks: 2, state: 'online' },
      { name: 'dax2.0', node: 2, blocks: 2, state: 'online_movable' },
      { name: 'dax3.0', node: 2, blocks: 2, state: 'offline' },
      { name: 'dax4.0', node: 3, blocks: 2, state: 'online' },
      { name: 'dax5.0', node: 2, blocks: 2, state: 'online' },
    ],
  });
  const policy = `version: 1
rules:
  - { name: add, match: { device: "dax0.0" }, state: online_movable }
  - { name: zone, match: { device: "dax1.0" }, state: online_movable }
  - { name: remove, match: { device: "dax2.0" }, state: unplug }
  - { name: offline-to-ram, match: { device: "dax3.0" }, state: online }
  - { name: keep, match: { device: "dax5.0" }, state: online }
`;
  const { stdout, code } = await plan(sys, policy);
  assert.is(code, 0);
  assert.match(stdout, '\n  + dax0.0  devdax -> online_movable');
  assert.match(stdout, '\n  ~ dax1.0  online -> online_movable');
  assert.match(stdout, '\n  - dax2.0  online_movable -> unplug');
  assert.match(stdout, '\n  + dax3.0  offline -> online');
  assert.match(stdout, '\n  · dax4.0  online  unmanaged: no rule matches');
  assert.match(stdout, '\n  = dax5.0  online');
});

marks('devdax to unplug neither adds nor removes system memory: ~', async () => {
  const sys = host({ devices: [{ name: 'dax0.0', node: 1, blocks: 2, state: 'devdax' }] });
  assert.match((await plan(sys, rule('unplug'))).stdout, '\n  ~ dax0.0  devdax -> unplug');
});

marks.run();

const sizes = suite('sizes are the memory that moves');

sizes('offlining a mixed device counts its online blocks only; onlining counts every block that joins', async () => {
  const { stdout } = await run(['plan', '-c', path.join(EXAMPLE, 'daxplan.yaml'), '--sysfs-root', path.join(EXAMPLE, 'host/sys'), '--device', 'dax3.0']);
  assert.match(stdout, '1. offline 4 blocks (512 MiB), highest first');
  assert.match(stdout, '2. online 7 blocks (896 MiB) into ZONE_MOVABLE, lowest first');
});

sizes('a kmem bind whose memory arrives online says how much', async () => {
  const sys = host({ autoOnline: 'online', devices: [{ name: 'dax0.0', node: 1, blocks: 3, state: 'devdax' }] });
  assert.match((await plan(sys, rule('online_movable'))).stdout, '(then back to online): the new 3 blocks (384 MiB) arrive online in ZONE_MOVABLE');
});

sizes('outcomes: a half-movable device moving to ZONE_MOVABLE moves only the blocks not there yet', async () => {
  const sys = host({ devices: [{ name: 'dax0.0', node: 1, blocks: 4, state: 'MMoo' }] });
  const r = await run(['apply', '--auto-approve', '--sysfs-root', sys, '-c', policyFile(rule('online_movable'))]);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, '1. online 2 blocks (256 MiB) into ZONE_MOVABLE');
  assert.match(r.stderr, 'dax0.0: step 1/1: online 2 blocks (256 MiB) into ZONE_MOVABLE');
  assert.match(r.stdout, '✓ dax0.0: mixed -> online_movable (per-block, 256 MiB on node 1): applied');
});

sizes('outcomes: devdax to unplug moves no memory and says no size', async () => {
  const sys = host({ devices: [{ name: 'dax0.0', node: 1, blocks: 4, state: 'devdax' }] });
  const r = await run(['apply', '--auto-approve', '--sysfs-root', sys, '-c', policyFile(rule('unplug'))]);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, '✓ dax0.0: devdax -> unplug (per-block, node 1): applied');
});

sizes('a device on no known node is "node ?" in the plan, the apply outcome and Markdown alike; JSON keys it -1 as its schema says', async () => {
  const root = host({ devices: [{ name: 'dax0.0', node: 1, blocks: 2, state: 'devdax' }] });
  fs.writeFileSync(path.join(fs.realpathSync(path.join(root, 'bus/dax/devices/dax0.0')), 'target_node'), '-1\n');
  const policy = policyFile('version: 1\nrules:\n  - name: all\n    match: { device: "*" }\n    state: online_movable\n');
  const text = (await run(['plan', '-c', policy, '--sysfs-root', root])).stdout;
  assert.match(text, '  node ?: ZONE_MOVABLE +256 MiB');
  const markdown = (await run(['plan', '-c', policy, '--sysfs-root', root, '-f', 'markdown'])).stdout;
  assert.match(markdown, 'Capacity: node ?: ZONE_MOVABLE +256 MiB');
  assert.equal(JSON.parse((await run(['plan', '-c', policy, '--sysfs-root', root, '-f', 'json'])).stdout).capacity, { '-1': { normal: 0, movable: 268435456 } });
  const applied = await run(['apply', '--auto-approve', '-c', policy, '--sysfs-root', root, '--lock-file', path.join(tempDir(), 'lock')]);
  assert.is(applied.code, 0, applied.stderr);
  assert.match(applied.stdout, 'dax0.0: devdax -> online_movable (per-block, 256 MiB on node ?)');
  assert.match(applied.stdout, '\n  node ?: ZONE_MOVABLE +256 MiB');
  assert.not.match(applied.stdout + text + markdown, 'node -1');
});

sizes.run();

const status = suite('status');

status('a device without memory blocks shows "-", not 0/N blocks it does not have', async () => {
  const { stdout } = await run(['status', '--sysfs-root', path.join(EXAMPLE, 'host/sys')]);
  assert.match(stdout, /\ndax2\.0\s+devdax\s+device_dax\s+-\s+2\s+22\s+\S+\s+1006 MiB\s+-\s+-\n/);
  assert.match(stdout, /\ndax3\.0\s+mixed\s+kmem\s+-\s+2\s+22\s+\S+\s+1006 MiB\s+4\/7\s+Normal\n/);
});

status('--format daxctl: the fields and rules of daxctl list, so its scripts keep working', async () => {
  const r = await run(['status', '--sysfs-root', path.join(EXAMPLE, 'host/sys'), '-f', 'daxctl']);
  assert.is(r.code, 0);
  const common = { size: 1054867456, align: 2097152 };
  assert.equal(JSON.parse(r.stdout), [
    { chardev: 'dax0.0', ...common, target_node: 1, mode: 'system-ram', online_memblocks: 7, total_memblocks: 7, movable: true },
    { chardev: 'dax1.0', ...common, target_node: 2, mode: 'system-ram', online_memblocks: 7, total_memblocks: 7, movable: false },
    { chardev: 'dax2.0', ...common, target_node: 2, mode: 'devdax' },
    { chardev: 'dax3.0', ...common, target_node: 2, mode: 'system-ram', online_memblocks: 4, total_memblocks: 7, movable: false },
  ]);
  const order = Object.keys(JSON.parse(r.stdout)[0]);
  assert.equal(order, ['chardev', 'size', 'target_node', 'align', 'mode', 'online_memblocks', 'total_memblocks', 'movable']);
});

status('--format daxctl: a device with no driver is "disabled"; offline memory is not movable; a snapshot has no align', async () => {
  const sys = host({ devices: [{ name: 'dax0.0', node: 1, blocks: 2, state: 'unbound' }, { name: 'dax1.0', node: 1, blocks: 2, state: 'offline' }] });
  const [unbound, offline] = JSON.parse((await run(['status', '--sysfs-root', sys, '-f', 'daxctl'])).stdout);
  assert.equal([unbound.mode, unbound.state, unbound.online_memblocks], ['devdax', 'disabled', undefined]);
  assert.equal([offline.mode, offline.online_memblocks, offline.total_memblocks, offline.movable, offline.state], ['system-ram', 0, 2, false, undefined]);
  const snapshot = path.join(path.dirname(sys), 'host.json');
  fs.writeFileSync(snapshot, (await run(['snapshot', '--sysfs-root', path.join(EXAMPLE, 'host/sys')])).stdout);
  const fromSnapshot = JSON.parse((await run(['status', '--state', snapshot, '-f', 'daxctl'])).stdout);
  assert.equal(fromSnapshot.map((d: { align?: number }) => d.align), [undefined, undefined, undefined, undefined]);
  assert.equal(fromSnapshot.map((d: { movable?: boolean }) => d.movable), [true, false, undefined, false]);
});

status.run();

const colour = suite('colour and help');
const TTY = { stdout: { isTTY: true, columns: 60, write: () => true } };
const ESC = '\x1b[';

colour('colour on a terminal; none with --no-color, NO_COLOR or off a terminal', async () => {
  const args = ['plan', '-c', path.join(EXAMPLE, 'daxplan.yaml'), '--sysfs-root', path.join(EXAMPLE, 'host/sys')];
  assert.match((await run(args, {}, undefined, TTY)).stdout, ESC);
  assert.not.match((await run([...args, '--no-color'], {}, undefined, TTY)).stdout, ESC);
  assert.not.match((await run(args, { NO_COLOR: '1' }, undefined, TTY)).stdout, ESC);
  assert.not.match((await run(args)).stdout, ESC);
});

colour('--help wraps to the terminal (80 columns off one) and names every option', async () => {
  for (const command of ['plan', 'apply', 'status', 'validate', 'snapshot', 'diff', 'watch', 'doctor', 'disable', 'enable']) {
    const narrow = await run([command, '--help'], {}, undefined, TTY);
    const wide = await run([command, '--help']);
    assert.is(narrow.code, 0);
    for (const [text, width] of [[narrow.stdout, 60], [wide.stdout, 80]] as const)
      for (const line of text.split('\n')) assert.ok(line.length <= width, `${command} --help, ${width} columns: "${line}"`);
    assert.is(narrow.stdout.replace(/\s+/g, ' '), wide.stdout.replace(/\s+/g, ' '), `${command}: the same words at both widths`);
  }
  const top = await run(['--help'], {}, undefined, TTY);
  for (const line of top.stdout.split('\n')) assert.ok(line.length <= 60, `daxplan --help: "${line}"`);
});

colour.run();
