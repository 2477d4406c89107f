// daxplan init: the policy that keeps a host as it is. plan with it reports no
// change on every tree a real kernel wrote (test/fixtures, each `sys` in it),
// and on generated hosts that need each fallback of identity.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { run } from './support/cli.js';
import { host, REPO, tempDir } from './support/host.js';

/** Every captured tree: a directory named sys holding the dax bus, anywhere under test/fixtures. */
function capturedTrees(dir = path.join(REPO, 'test/fixtures')): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    if (!e.isDirectory()) return [];
    const full = path.join(dir, e.name);
    return e.name === 'sys' && fs.existsSync(path.join(full, 'bus/dax/devices')) ? [full] : capturedTrees(full);
  });
}

async function initAndPlan(argv: string[], planArgv: string[]): Promise<{ policy: string; text: string; plan: Awaited<ReturnType<typeof run>> }> {
  const policy = path.join(tempDir(), 'daxplan.yaml');
  const init = await run(['init', ...argv, '-o', policy]);
  assert.is(init.code, 0, init.stderr);
  const plan = await run(['plan', '-c', policy, ...planArgv, '--detailed-exitcode']);
  return { policy, text: fs.readFileSync(policy, 'utf8'), plan };
}

const init = suite('init: a policy that keeps the host as it is');

init('every captured real tree: plan with the written policy reports no changes, validate --strict and fmt --check pass', async () => {
  const trees = capturedTrees();
  assert.ok(trees.length >= 5, `found ${trees.join(', ')}`);
  for (const tree of trees) {
    const { policy, text, plan } = await initAndPlan(['--sysfs-root', tree], ['--sysfs-root', tree]);
    const where = path.relative(REPO, tree);
    assert.is(plan.code, 0, `${where}: ${plan.stdout}`);
    assert.match(plan.stdout, 'No changes. Memory matches policy.', where);
    assert.is(plan.stderr, '', `${where}: no rule matches nothing`);
    // Every device is accounted for: a rule headed by its comment, or listed as left unmanaged (an offline device has no state to keep).
    const devices = JSON.parse((await run(['status', '--sysfs-root', tree, '-f', 'json'])).stdout).devices as { name: string }[];
    for (const { name } of devices) assert.match(text, new RegExp(`^ *# {1,3}${name.replace('.', '\\.')}: `, 'm'), `${where}: ${name}`);
    assert.is((await run(['validate', '-c', policy, '--sysfs-root', tree, '--strict'])).code, 0, where);
    assert.is((await run(['fmt', '--check', policy])).code, 0, `${where}: init writes canonical form`);
  }
});

init('identity: CXL serial, else namespace UUID, else physical address, node only with nothing else; each rule commented', async () => {
  const root = host({
    devices: [
      { name: 'dax0.0', node: 1, blocks: 2, state: 'online_movable', source: 'cxl', cxl: { memdevs: [{ serial: 0x1234abcdn }, { serial: 0x5678ef01n }] } },
      // Serial 0 is no identity: the range names it instead.
      { name: 'dax1.0', node: 1, blocks: 2, state: 'online', source: 'cxl', cxl: { memdevs: [{ serial: 0n }] } },
      { name: 'dax2.0', node: 2, blocks: 2, state: 'devdax', uuid: '0b8f4e2a-1c3d-4e5f-9a8b-7c6d5e4f3a21' },
      { name: 'dax3.0', node: 3, blocks: 2, state: 'online_movable', source: 'hmem' },
      { name: 'dax4.0', node: 3, blocks: 4, state: 'NNoo', source: 'hmem' },
    ],
  });
  const { text, plan } = await initAndPlan(['--sysfs-root', root], ['--sysfs-root', root]);
  assert.is(plan.code, 0, plan.stdout);
  assert.match(text, /# dax0\.0: CXL region0 \(.*\): mem0 serial 0x1234abcd at 0000:0d:00\.0; mem1 serial 0x5678ef01 .*; node 1, tier 22; online_movable \(2\/2 blocks online, Movable\)\n {2}- name: cxl-1234abcd-5678ef01\n {4}match:\n {6}serial: \[0x1234abcd, 0x5678ef01\]\n {4}state: online_movable\n/);
  assert.match(text, /# dax1\.0: .*\n {2}- name: range-[0-9a-f]+\n {4}match:\n {6}address: \{start: "0x[0-9a-f]+", end: "0x[0-9a-f]+"\}\n {4}state: online\n/);
  assert.match(text, /- name: namespace-0b8f4e2a\n {4}match:\n {6}uuid: 0b8f4e2a-1c3d-4e5f-9a8b-7c6d5e4f3a21\n {4}state: devdax\n/);
  assert.match(text, /# Left unmanaged \(no rule\):\n# {3}dax4\.0: its memory blocks disagree/);
  assert.match(text, 'kernel:\n  auto_online_blocks: ');
});

init('from a snapshot (--state), to standard output', async () => {
  const root = host({ devices: [{ name: 'dax0.0', node: 1, blocks: 2, state: 'online', uuid: '1a2b3c4d-5e6f-4a8b-9c0d-1e2f3a4b5c6d' }] });
  const snapshot = path.join(tempDir(), 'host.json');
  fs.writeFileSync(snapshot, (await run(['snapshot', '--sysfs-root', root])).stdout);
  const r = await run(['init', '--state', snapshot]);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, "# Written by 'daxplan init' from host.json.");
  const policy = path.join(tempDir(), 'p.yaml');
  fs.writeFileSync(policy, r.stdout);
  assert.is((await run(['plan', '-c', policy, '--state', snapshot, '--detailed-exitcode'])).code, 0);
});

init('an existing file is never replaced without --force (exit 1, unchanged); with --force it is', async () => {
  const root = host({ devices: [{ name: 'dax0.0', node: 1, blocks: 2, state: 'online' }] });
  const policy = path.join(tempDir(), 'daxplan.yaml');
  fs.writeFileSync(policy, '# mine\n');
  const refused = await run(['init', '--sysfs-root', root, '-o', policy]);
  assert.is(refused.code, 1);
  assert.is(refused.stderr, `daxplan: ${policy} exists: nothing written (pass --force to replace it, or choose another --out)\n`);
  assert.is(fs.readFileSync(policy, 'utf8'), '# mine\n');
  assert.is((await run(['init', '--sysfs-root', root, '-o', policy, '--force'])).code, 0);
  assert.match(fs.readFileSync(policy, 'utf8'), 'version: 1');
});

init.run();
