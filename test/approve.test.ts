// apply asks before it writes (terraform's habit): on a terminal only "yes"
// goes on, --auto-approve is for units and scripts, and without either apply
// refuses before it reads anything. --detailed-exitcode says whether it did
// something.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { run } from './support/cli.js';
import { host, policyFile, REPO, treeDigest } from './support/host.js';
import { missingCommand, unless } from './support/skip.js';
import { writeBlock } from './sim/tree.js';

const FAR_MOVABLE = 'version: 1\nrules:\n  - name: far\n    match: { numa_node: [1, 2] }\n    state: online_movable\n';
const ONE_ONLINE = { devices: [{ name: 'dax0.0', node: 1, blocks: 4, state: 'online' as const }] };

/** A terminal whose operator answers `answer`, doing `meanwhile` while deciding; records what was asked. */
function operator(answer: string | undefined, meanwhile = () => {}) {
  const asked: string[] = [];
  return { asked, terminal: () => ({ ask: async (q: string) => (asked.push(q), meanwhile(), answer) }) };
}

const approve = suite('apply: approval');

approve('on a terminal: the plan, then the question; "yes" applies', async () => {
  const root = host(ONE_ONLINE);
  const op = operator('yes');
  const r = await run(['apply', '--sysfs-root', root, '-c', policyFile(FAR_MOVABLE)], {}, undefined, { terminal: op.terminal });
  assert.is(r.code, 0, r.stderr);
  assert.is(op.asked.length, 1);
  assert.match(op.asked[0], 'Only "yes" is accepted');
  assert.ok(r.stdout.indexOf('Plan: 1 to change') < r.stdout.indexOf('Apply: 1 applied'), r.stdout);
  assert.match((await run(['status', '--sysfs-root', root])).stdout, /dax0\.0\s+online_movable/);
});

approve('any answer but "yes" (or the end of input) writes nothing and exits 1', async () => {
  for (const answer of ['no', 'y', 'YES please', '', undefined]) {
    const root = host(ONE_ONLINE);
    const before = treeDigest(root);
    const r = await run(['apply', '--sysfs-root', root, '-c', policyFile(FAR_MOVABLE)], {}, undefined, operator(answer));
    assert.is(r.code, 1, `answer ${answer}`);
    assert.match(r.stderr, 'apply cancelled: nothing changed');
    assert.is(treeDigest(root), before, `answer ${answer}`);
  }
});

approve('the host moving while the operator decides: nothing written, exit 1, says why', async () => {
  const root = host(ONE_ONLINE);
  const op = operator('yes', () => writeBlock(root, 32, 'o', 1));
  const r = await run(['apply', '--sysfs-root', root, '-c', policyFile(FAR_MOVABLE)], {}, undefined, op);
  assert.is(r.code, 1);
  assert.match(r.stderr, 'the host changed while you decided: nothing written');
  const now = JSON.parse((await run(['status', '--sysfs-root', root, '-f', 'json'])).stdout).devices[0];
  assert.equal([now.state, now.blocks_online], ['mixed', 3]);
});

approve('nothing to change: no question', async () => {
  const root = host({ devices: [{ name: 'dax0.0', node: 1, blocks: 4, state: 'online_movable' }] });
  const op = operator('no');
  const r = await run(['apply', '--sysfs-root', root, '-c', policyFile(FAR_MOVABLE)], {}, undefined, op);
  assert.is(r.code, 0);
  assert.is(op.asked.length, 0);
  assert.match(r.stdout, 'No changes. Memory matches policy.');
});

approve('no terminal and no --auto-approve: exit 64 before the policy is read, nothing written', async () => {
  const root = host(ONE_ONLINE);
  const before = treeDigest(root);
  const broken = policyFile('version: [not yaml\n');
  const r = await run(['apply', '--sysfs-root', root, '-c', broken]);
  assert.is(r.code, 64);
  assert.match(r.stderr, 'there is no terminal to ask: pass --auto-approve');
  assert.is(treeDigest(root), before);
});

approve('--format json cannot ask: on a terminal it needs --auto-approve', async () => {
  const root = host(ONE_ONLINE);
  const r = await run(['apply', '--sysfs-root', root, '-c', policyFile(FAR_MOVABLE), '-f', 'json'], {}, undefined, operator('yes'));
  assert.is(r.code, 64);
  assert.match(r.stderr, 'apply --format json cannot ask before it writes: pass --auto-approve');
});

approve('--auto-approve writes without asking; --dry-run and a saved plan need no approval', async () => {
  const root = host(ONE_ONLINE);
  const dir = path.dirname(root);
  const saved = path.join(dir, 'plan.json');
  assert.is((await run(['plan', '--sysfs-root', root, '-c', policyFile(FAR_MOVABLE), '--out', saved])).code, 0);
  assert.is((await run(['apply', '--dry-run', '--sysfs-root', root, '-c', policyFile(FAR_MOVABLE)])).code, 0);
  const op = operator('no');
  const r = await run(['apply', saved, '--sysfs-root', root], {}, undefined, op);
  assert.is(r.code, 0, r.stderr);
  assert.is(op.asked.length, 0);
  const other = host(ONE_ONLINE);
  const auto = await run(['apply', '--auto-approve', '--sysfs-root', other, '-c', policyFile(FAR_MOVABLE)], {}, undefined, op);
  assert.is(auto.code, 0);
  assert.is(op.asked.length, 0);
});

unless(approve, missingCommand('script'))('a real terminal (a pty from script(1)): "no" cancels, "yes" applies', () => {
  const root = host(ONE_ONLINE);
  const bin = path.join(REPO, 'dist/daxplan-sim.mjs');
  const policy = policyFile(FAR_MOVABLE);
  const inPty = (answer: string) =>
    spawnSync('script', ['-qec', `${process.execPath} ${bin} apply --sysfs-root ${root} -c ${policy}`, '/dev/null'], {
      input: `${answer}\n`,
      encoding: 'utf8',
      env: { ...process.env, NO_COLOR: '1' },
      timeout: 30_000,
    });
  const before = treeDigest(root);
  const no = inPty('no');
  assert.is(no.status, 1, no.stdout);
  assert.match(no.stdout, 'Only "yes" is accepted');
  assert.is(treeDigest(root), before);
  const yes = inPty('yes');
  assert.is(yes.status, 0, yes.stdout);
  assert.match(yes.stdout, 'Apply: 1 applied, 0 failed, 0 skipped.');
});

approve.run();

const detailed = suite('apply --detailed-exitcode');

detailed('2 when changes were applied, 0 when there was nothing to do, 1 on a failure', async () => {
  const root = host(ONE_ONLINE);
  const args = ['apply', '--auto-approve', '--detailed-exitcode', '--sysfs-root', root, '-c', policyFile(FAR_MOVABLE)];
  assert.is((await run(args)).code, 2);
  assert.is((await run(args)).code, 0);
  const busy = host(ONE_ONLINE, { busyBlocks: [33] });
  assert.is((await run(['apply', '--auto-approve', '--detailed-exitcode', '--sysfs-root', busy, '-c', policyFile(FAR_MOVABLE)])).code, 1);
});

detailed('with --dry-run: 2 when there is something to apply, and nothing is written', async () => {
  const root = host(ONE_ONLINE);
  const before = treeDigest(root);
  assert.is((await run(['apply', '--dry-run', '--detailed-exitcode', '--sysfs-root', root, '-c', policyFile(FAR_MOVABLE)])).code, 2);
  assert.is(treeDigest(root), before);
});

detailed.run();
