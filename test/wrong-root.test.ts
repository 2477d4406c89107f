// The wrong tree is an error, never an empty host: a --sysfs-root that does
// not exist, is not a directory or is no sysfs, and a --device the host does
// not have, fail every command with one line and exit 66.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { run } from './support/cli.js';
import { host, policyFile, tempDir } from './support/host.js';
import { tick } from '../src/cli/watch.js';
import { DirSysfs } from '../src/host/sysfs.js';
import { MEMORY_DIR } from './sim/tree.js';

const POLICY = 'version: 1\nkernel: { auto_online_blocks: offline }\nrules:\n  - name: far\n    match: { numa_node: 1 }\n    state: online_movable\n';

/** Every command that looks at a host, pointed at `root`. */
function commands(root: string, policy: string): string[][] {
  return [
    ['plan', '-c', policy, '--sysfs-root', root],
    ['apply', '--auto-approve', '-c', policy, '--sysfs-root', root, '--lock-file', path.join(tempDir(), 'lock')],
    ['apply', '-c', policy, '--sysfs-root', root, '--dry-run'],
    ['status', '--sysfs-root', root],
    ['snapshot', '--sysfs-root', root],
    ['doctor', '-c', policy, '--sysfs-root', root],
    ['validate', '-c', policy, '--sysfs-root', root],
    ['diff', policy, policy, '--sysfs-root', root],
  ];
}

/** Trees that are not a host: missing, a file, an empty directory, a directory with only one half of sysfs. */
function wrongRoots(): { root: string; says: string }[] {
  const file = path.join(tempDir(), 'sys');
  fs.writeFileSync(file, '');
  const onlyDax = tempDir();
  fs.mkdirSync(path.join(onlyDax, 'bus/dax/devices'), { recursive: true });
  const onlyMemory = host({ devices: [] });
  fs.rmSync(path.join(onlyMemory, 'bus'), { recursive: true });
  return [
    { root: path.join(tempDir(), 'nope'), says: 'does not exist' },
    { root: file, says: 'is not a directory' },
    { root: tempDir(), says: 'is not a sysfs tree: it has neither bus/dax/devices (the dax bus) nor devices/system/memory' },
    { root: onlyDax, says: 'has no devices/system/memory (memory blocks)' },
    { root: onlyMemory, says: 'has no bus/dax/devices (the dax bus): the dax driver is not loaded' },
  ];
}

const wrong = suite('wrong root: every command fails with one line and exit 66');

wrong('a missing, non-directory, empty or half sysfs tree', async () => {
  const policy = policyFile(POLICY);
  for (const { root, says } of wrongRoots()) {
    for (const argv of commands(root, policy)) {
      const r = await run(argv);
      const what = `${argv[0]} on ${root}`;
      assert.is(r.code, 66, `${what}: ${r.stderr}`);
      assert.ok(r.stderr.startsWith(`daxplan: sysfs root ${root} ${says}`), `${what}: ${r.stderr}`);
      assert.is(r.stderr.trimEnd().split('\n').length, 1, `${what}: one line`);
      assert.is(r.stdout, '', `${what}: nothing on stdout`);
    }
  }
});

wrong('a dax bus with no devices is a host with nothing to do', async () => {
  const root = host({ devices: [] });
  const r = await run(['plan', '-c', policyFile('version: 1\nrules:\n  - name: far\n    match: { numa_node: 1 }\n    state: online_movable\n'), '--sysfs-root', root, '--detailed-exitcode']);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, 'No changes');
});

wrong('apply --kernel-only needs only the memory directory: at early boot the dax bus may not be there yet', async () => {
  const root = host({ devices: [], autoOnline: 'online' });
  fs.rmSync(path.join(root, 'bus'), { recursive: true });
  const r = await run(['apply', '--auto-approve', '--kernel-only', '-c', policyFile(POLICY), '--sysfs-root', root, '--lock-file', path.join(tempDir(), 'lock')]);
  assert.is(r.code, 0, r.stderr);
  assert.is(fs.readFileSync(path.join(root, MEMORY_DIR, 'auto_online_blocks'), 'utf8').trim(), 'offline');
  assert.is((await run(['plan', '-c', policyFile(POLICY), '--sysfs-root', root])).code, 66);
});

wrong('a --device the host does not have, on a tree or in a snapshot', async () => {
  const root = host({ devices: [{ name: 'dax0.0', node: 1, blocks: 2, state: 'devdax' }] });
  const policy = policyFile(POLICY);
  for (const argv of [
    ['plan', '-c', policy, '--sysfs-root', root, '--device', 'dax0.0', '--device', 'dax9.0'],
    ['apply', '--auto-approve', '-c', policy, '--sysfs-root', root, '--device', 'dax9.0', '--lock-file', path.join(tempDir(), 'lock')],
    ['status', '--sysfs-root', root, '--device', 'dax9.0'],
    ['snapshot', '--sysfs-root', root, '--device', 'dax9.0'],
  ]) {
    const r = await run(argv);
    assert.is(r.code, 66, argv.join(' '));
    assert.is(r.stderr, `daxplan: --device dax9.0: no such device in ${root} (devices there: dax0.0)\n`);
  }
  const snapshot = path.join(tempDir(), 'host.json');
  fs.writeFileSync(snapshot, (await run(['snapshot', '--sysfs-root', root])).stdout);
  const r = await run(['plan', '-c', policy, '--state', snapshot, '--device', 'dax9.0']);
  assert.is(r.code, 66);
  assert.match(r.stderr, `--device dax9.0: no such device in ${snapshot}`);
  assert.is((await run(['plan', '-c', policy, '--state', snapshot, '--device', 'dax0.0'])).code, 0);
});

wrong('a watch tick on a tree that has gone says so in its line', async () => {
  const root = host({ devices: [{ name: 'dax0.0', node: 1, blocks: 2, state: 'devdax' }] });
  const setup = { policy: { config: policyFile(POLICY), asRoot: false }, sysfs: new DirSysfs(root), warn: () => {} };
  assert.not.match((await tick(setup, {})).line, 'error');
  fs.rmSync(root, { recursive: true });
  assert.match((await tick(setup, {})).line, `tick: error: sysfs root ${root} does not exist`);
  const gone = await tick({ ...setup, sysfs: new DirSysfs(host({ devices: [] })), only: ['dax0.0'] }, {});
  assert.match(gone.line, 'tick: error: --device dax0.0: no such device');
});

wrong.run();
