// A saved plan applies only what was reviewed: the four ways issue 19 found
// to apply something else, each on the simulated kernel or a copy of a tree a
// real kernel wrote, each refused before any write.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import { run } from './support/cli.js';
import { copyTree, host, policyFile, REPO, tempDir, treeDigest } from './support/host.js';
import { SIM_CONFIG } from './sim/kernel.js';

const FAR_MOVABLE = 'version: 1\nrules:\n  - name: far\n    match: { numa_node: [1, 2] }\n    state: online_movable\n';
const REFUSE = FAR_MOVABLE.replace('version: 1\n', 'version: 1\nsafety: { on_movable_excess: refuse }\n');

/** The tree's own /proc, beside its sys/: where a tree's boot id and kernel release are read. */
function bootOf(root: string, bootId: string, release = '7.3.4+deb13-amd64'): void {
  const proc = path.join(path.dirname(root), 'proc/sys/kernel');
  fs.mkdirSync(path.join(proc, 'random'), { recursive: true });
  fs.writeFileSync(path.join(proc, 'random/boot_id'), bootId + '\n');
  fs.writeFileSync(path.join(proc, 'osrelease'), release + '\n');
}

async function save(root: string, policy: string): Promise<string> {
  const file = path.join(tempDir(), 'plan.json');
  const r = await run(['plan', '--sysfs-root', root, '-c', policyFile(policy), '--out', file]);
  assert.is(r.code, 0, r.stderr);
  return file;
}

/** Rewrites a saved plan and seals it again the way daxplan does: anyone can. */
function forge(file: string, edit: (doc: Record<string, any>) => void): void {
  const { digest: _, ...body } = JSON.parse(fs.readFileSync(file, 'utf8'));
  edit(body);
  const digest = createHash('sha256').update(JSON.stringify(body)).digest('hex');
  fs.writeFileSync(file, JSON.stringify({ ...body, digest }, null, 2));
}

const holes = suite('saved plan: the four holes of issue 19');

holes('1: a saved plan runs the same movable-ratio guard as apply -c (on_movable_excess: refuse)', async () => {
  const root = host({ bootBlocks: 4, devices: [{ name: 'dax0.0', node: 1, blocks: 16, state: 'devdax' }] }, {});
  const before = treeDigest(root);
  const direct = await run(['apply', '--auto-approve', '--sysfs-root', root, '-c', policyFile(REFUSE)]);
  assert.is(direct.code, 1);
  const saved = await save(root, REFUSE);
  const r = await run(['apply', saved, '--sysfs-root', root]);
  assert.is(r.code, 1, r.stdout);
  assert.match(r.stderr, 'refusing to apply (safety.on_movable_excess: refuse)');
  assert.is(treeDigest(root), before);
});

/** region0 <-> region1: each region now sits on the other's memdev (same device names, same blocks). */
function swapMemdevs(root: string): void {
  const regions = path.join(root, 'devices/platform/ACPI0017:00/root0/decoder0.0');
  const target = (r: string) => path.join(regions, r, 'target0');
  const [a, b] = [fs.readFileSync(target('region0'), 'utf8'), fs.readFileSync(target('region1'), 'utf8')];
  fs.writeFileSync(target('region0'), b);
  fs.writeFileSync(target('region1'), a);
}

holes('2: the CXL chain is part of a device: a plan for serial 0x1234abcd is refused once another memdev sits behind its region', async () => {
  const root = copyTree(path.join(REPO, 'test/fixtures/real-cxl-7.3/default-boot/sys'));
  fs.writeFileSync(path.join(root, SIM_CONFIG), '{}');
  const policy = 'version: 1\nrules:\n  - name: retire\n    match: { serial: 0x1234abcd }\n    state: unplug\n';
  const saved = await save(root, policy);
  const doc = JSON.parse(fs.readFileSync(saved, 'utf8'));
  assert.equal(doc.actions.map((a: { device: string }) => a.device), ['dax0.0']);
  swapMemdevs(root);
  const before = treeDigest(root);
  const r = await run(['apply', saved, '--sysfs-root', root]);
  assert.is(r.code, 1, r.stdout + r.stderr);
  assert.match(r.stderr, 'is stale');
  assert.match(r.stderr, /dax0\.0 is another device now: .*0x5678ef01/);
  assert.is(treeDigest(root), before);
});

holes('3: a rewritten, resealed plan is refused unless it forges the policy too, which show prints', async () => {
  const root = host({ devices: [{ name: 'dax0.0', node: 1, blocks: 2, state: 'online' }, { name: 'dax1.0', node: 3, blocks: 2, state: 'online' }] }, {});
  bootOf(root, 'b0000000-0000-4000-8000-000000000001');
  const saved = await save(root, FAR_MOVABLE);
  forge(saved, (doc) => {
    doc.actions = doc.actions.map((a: Record<string, unknown>) => ({ ...a, to: 'unplug', rule: { name: 'cleanup', file: 'x.yaml', line: 3 } }));
  });
  const before = treeDigest(root);
  const shown = await run(['show', saved]);
  assert.is(shown.code, 0, shown.stderr);
  const refused = await run(['apply', saved, '--sysfs-root', root]);
  assert.is(refused.code, 1, refused.stdout);
  assert.match(refused.stderr, 'not what its policy makes of this host');
  assert.is(treeDigest(root), before);

  // A forger must forge the policy as well: then the reviewer reads it in show.
  const evil = 'version: 1\nrules:\n  - name: cleanup\n    match: { numa_node: [1, 3] }\n    state: unplug # nothing to see here\n';
  const forged = await save(root, FAR_MOVABLE);
  const honest = JSON.parse(fs.readFileSync(await save(root, evil), 'utf8'));
  forge(forged, (doc) => {
    doc.policy = { ...honest.policy, file: doc.policy.file };
    doc.actions = honest.actions.map((a: { rule: object }) => ({ ...a, rule: { ...a.rule, file: doc.policy.file } }));
  });
  const printed = await run(['show', forged]);
  assert.match(printed.stdout, 'state: unplug # nothing to see here');
});

holes('3: the host binding is checked, and a plan made on a tree is bound to the tree, not to this machine', async () => {
  const root = host({ devices: [{ name: 'dax0.0', node: 1, blocks: 2, state: 'online' }] }, {});
  bootOf(root, 'b0000000-0000-4000-8000-000000000001');
  const saved = await save(root, FAR_MOVABLE);
  const doc = JSON.parse(fs.readFileSync(saved, 'utf8'));
  assert.is(doc.host.boot_id, 'b0000000-0000-4000-8000-000000000001');
  assert.is(doc.host.kernel_release, '7.3.4+deb13-amd64');
  bootOf(root, 'b0000000-0000-4000-8000-000000000002');
  const before = treeDigest(root);
  const rebooted = await run(['apply', saved, '--sysfs-root', root]);
  assert.is(rebooted.code, 1);
  assert.match(rebooted.stderr, 'the host rebooted (boot id b0000000-0000-4000-8000-000000000001 -> b0000000-0000-4000-8000-000000000002)');
  bootOf(root, 'b0000000-0000-4000-8000-000000000001', '7.4.0');
  assert.match((await run(['apply', saved, '--sysfs-root', root])).stderr, 'kernel 7.3.4+deb13-amd64 -> 7.4.0');
  assert.is(treeDigest(root), before);
  bootOf(root, 'b0000000-0000-4000-8000-000000000001');
  const applied = await run(['apply', saved, '--sysfs-root', root]);
  assert.is(applied.code, 0, applied.stderr);
});

holes.run();

const carried = suite('saved plan: what it carries reaches a terminal escaped, and binds where it was read');

carried('show prints the recorded policy with its control characters escaped; a control character elsewhere is refused', async () => {
  const root = host({ devices: [{ name: 'dax0.0', node: 1, blocks: 2, state: 'online' }] }, {});
  const saved = await save(root, FAR_MOVABLE.replace('rules:', '# \x1b[2J\x9b cleared\nrules:'));
  const shown = await run(['show', saved]);
  assert.is(shown.code, 0, shown.stderr);
  assert.match(shown.stdout, '  | # \\x1b[2J\\x9b cleared');
  assert.not.match(shown.stdout, /[\x1b\x9b]/);
  forge(saved, (doc) => {
    doc.actions[0].reason = 'matches node 1\x1b]0;owned\x07';
  });
  const refused = await run(['show', saved]);
  assert.is(refused.code, 64);
  assert.match(refused.stderr, '/actions/0/reason must match pattern');
});

carried('a plan saved from a snapshot is bound to the boot the snapshot recorded', async () => {
  const root = host({ devices: [{ name: 'dax0.0', node: 1, blocks: 2, state: 'online' }] }, {});
  bootOf(root, 'b0000000-0000-4000-8000-000000000001');
  const snap = await run(['snapshot', '--sysfs-root', root]);
  assert.is(snap.code, 0, snap.stderr);
  assert.equal(JSON.parse(snap.stdout).host, { boot_id: 'b0000000-0000-4000-8000-000000000001', kernel_release: '7.3.4+deb13-amd64' });
  const state = path.join(tempDir(), 'host.json');
  fs.writeFileSync(state, snap.stdout);
  const saved = path.join(tempDir(), 'plan.json');
  assert.is((await run(['plan', '--state', state, '-c', policyFile(FAR_MOVABLE), '--out', saved])).code, 0);
  assert.is(JSON.parse(fs.readFileSync(saved, 'utf8')).host.source, 'snapshot');
  bootOf(root, 'b0000000-0000-4000-8000-000000000002');
  const rebooted = await run(['apply', saved, '--sysfs-root', root]);
  assert.is(rebooted.code, 1);
  assert.match(rebooted.stderr, 'the host rebooted');
  bootOf(root, 'b0000000-0000-4000-8000-000000000001');
  const applied = await run(['apply', saved, '--sysfs-root', root]);
  assert.is(applied.code, 0, applied.stderr);
  assert.match(applied.stdout, 'Apply: 1 applied');
});

carried.run();
