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
  // show plans again from the recorded policy on the recorded host: the reviewer sees the forgery without reading YAML.
  const shown = await run(['show', saved]);
  assert.is(shown.code, 1, shown.stderr);
  assert.match(shown.stdout, "Its policy does not make this plan of the host it records; daxplan apply refuses it:\n  ! dax0.0 is not what its policy makes of the recorded host: the file says unplug");
  assert.match(shown.stdout, 'by rule "cleanup", the policy online_movable');
  assert.not.match(shown.stdout, '! dax1.0', 'dax1.0 (node 3) is in no action');
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
  assert.is(printed.code, 0, printed.stdout);
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

const lying = suite("saved plan: a tree's proc/ is hostile input like the rest of the tree");

lying('a boot id with control characters never reaches a terminal, and plan --out never writes a file show refuses', async () => {
  const root = host({ devices: [{ name: 'dax0.0', node: 1, blocks: 2, state: 'online' }] }, {});
  bootOf(root, 'b0000000-0000-4000-8000-000000000001');
  const saved = await save(root, FAR_MOVABLE);
  bootOf(root, 'b0000000-0000-4000-8000-000000000001\x1b]0;owned\x07\x9b2J');
  const before = treeDigest(root);
  const refused = await run(['apply', saved, '--sysfs-root', root]);
  assert.is(refused.code, 1, refused.stderr);
  assert.match(refused.stderr, 'the host rebooted (boot id b0000000-0000-4000-8000-000000000001 -> unknown)');
  assert.not.match(refused.stderr + refused.stdout, /[\x1b\x07\x9b]/);
  assert.is(treeDigest(root), before);
  const again = await save(root, FAR_MOVABLE);
  assert.is(JSON.parse(fs.readFileSync(again, 'utf8')).host.boot_id, null);
  assert.is((await run(['show', again])).code, 0);
});

lying('a boot id or kernel release file too large to be one binds to no boot (read bounded, never whole)', async () => {
  const root = host({ devices: [{ name: 'dax0.0', node: 1, blocks: 2, state: 'online' }] }, {});
  bootOf(root, 'b'.repeat(1 << 20), '7'.repeat(1 << 20));
  const saved = await save(root, FAR_MOVABLE);
  const { host: bound } = JSON.parse(fs.readFileSync(saved, 'utf8'));
  assert.ok(bound.boot_id === null && bound.kernel_release === null, `bound to ${String(bound.boot_id).slice(0, 40)}…, ${String(bound.kernel_release).slice(0, 40)}…`);
});

lying.run();

const c1 = suite('C1 control characters (U+0080-U+009F, CSI among them) are escaped or refused like C0');

c1('a state file with a CSI reaches plan escaped; its snapshot is read back; a snapshot carrying one raw is refused', async () => {
  const root = host({ stateFile: true, devices: [{ name: 'dax0.0', node: 1, blocks: 2, state: 'online' }] }, {});
  const state = fs.realpathSync(path.join(root, 'bus/dax/devices/dax0.0')) + '/state';
  fs.writeFileSync(state, '\x9b2J\n');
  const planned = await run(['plan', '--sysfs-root', root, '-c', policyFile(FAR_MOVABLE)]);
  assert.match(planned.stdout, '\\u009b2J');
  assert.not.match(planned.stdout + planned.stderr, /[\x80-\x9f]/);
  const snap = await run(['snapshot', '--sysfs-root', root]);
  assert.is(snap.code, 0, snap.stderr);
  const file = path.join(tempDir(), 'host.json');
  fs.writeFileSync(file, snap.stdout);
  const again = await run(['plan', '--state', file, '-c', policyFile(FAR_MOVABLE)]);
  assert.is(again.code, 0, again.stderr);
  const doc = JSON.parse(snap.stdout);
  fs.writeFileSync(file, JSON.stringify({ ...doc, host: { boot_id: 'b0000000\x9b2J', kernel_release: null } }));
  const refused = await run(['plan', '--state', file, '-c', policyFile(FAR_MOVABLE), '--out', path.join(tempDir(), 'plan.json')]);
  assert.is(refused.code, 64, refused.stderr);
  assert.match(refused.stderr, '/host/boot_id');
});

c1.run();

const bulk = suite('saved plan: what a schema cannot say is refused before anything reads it');

bulk('a device acted on twice (shown twice, checked once) and more memory blocks than a host has are refused, exit 64', async () => {
  const root = host({ devices: [{ name: 'dax0.0', node: 1, blocks: 2, state: 'online' }] }, {});
  const saved = await save(root, FAR_MOVABLE);
  const twice = path.join(tempDir(), 'twice.json');
  fs.copyFileSync(saved, twice);
  forge(twice, (doc) => {
    doc.actions = [...doc.actions, { ...doc.actions[0], to: 'unplug', method: 'per-block', steps: [{ op: 'offline_blocks', expect: 'offline' }] }];
  });
  for (const command of ['show', 'apply']) {
    const r = await run([command, twice, ...(command === 'apply' ? ['--sysfs-root', root] : [])]);
    assert.is(r.code, 64, `${command}: ${r.stdout}`);
    assert.match(r.stderr, 'device dax0.0 appears twice; not a daxplan saved plan');
  }
  // Each run is in bounds; together they would expand into 2^26 block objects.
  forge(saved, (doc) => {
    const [first] = doc.host.devices;
    doc.host.devices = Array.from({ length: 64 }, (_, i) => ({ identity: { ...first.identity, name: `dax${i + 1}.0` }, memory: { ...first.memory, blocks: [{ first: 0, count: 1048576, state: 'offline' }] } }));
  });
  const huge = await run(['show', saved]);
  assert.is(huge.code, 64, huge.stdout);
  assert.match(huge.stderr, 'more than 1048576 memory blocks; not a daxplan saved plan');
});

bulk.run();

const replanned = suite('show plans again with what the plan recorded of the kernel');

replanned('an honest plan made under the auto-movable online policy is not flagged: show plans again with the recorded memory_hotplug', async () => {
  const hotplug = { kind: 'read', onlinePolicy: 'auto-movable', autoMovableRatio: 301, numaAware: true, memmapOnMemory: 'off' } as const;
  // Under auto-movable a state file reading online over ZONE_MOVABLE is the kernel's choice; under contig-zones it is stale, and the reason says so.
  const root = host({ hotplug, stateFile: true, devices: [{ name: 'dax0.0', node: 1, blocks: 4, state: 'online_movable', stateWord: 'online' }] }, {});
  const saved = await save(root, FAR_MOVABLE.replace('state: online_movable', 'state: unplug'));
  const doc = JSON.parse(fs.readFileSync(saved, 'utf8'));
  assert.is(doc.host.memory_hotplug.online_policy, 'auto-movable');
  assert.equal(doc.actions.map((a: { reason: string }) => a.reason), ['matches node 1']);
  const shown = await run(['show', saved]);
  assert.is(shown.code, 0, shown.stdout);
  assert.not.match(shown.stdout, 'Its policy does not make this plan');
});

replanned.run();
