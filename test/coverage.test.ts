// A rule that matches no device on the host (or on any snapshot given) is
// most likely a typo: plan warns, validate warns (and --strict fails), and
// validate can check a policy against snapshots of the hosts it is for.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { run } from './support/cli.js';
import { host, policyFile, tempDir } from './support/host.js';

const POLICY = `version: 1
rules:
  - name: far
    match: { numa_node: [2] }
    state: online_movable
  - name: typo
    match: { numa_node: [12] }
    state: online
`;
const NODE2 = { devices: [{ name: 'dax0.0', node: 2, blocks: 2, state: 'online' }] };
const NODE12 = { devices: [{ name: 'dax0.0', node: 12, blocks: 2, state: 'online' }] };

async function snapshotOf(spec: Parameters<typeof host>[0], name: string): Promise<string> {
  const file = path.join(tempDir(), name);
  fs.writeFileSync(file, (await run(['snapshot', '--sysfs-root', host(spec)])).stdout);
  return file;
}

const coverage = suite('rules that match no device');

coverage('plan warns on stderr, naming the rule at file:line; the plan itself is unchanged', async () => {
  const sys = host(NODE2);
  const policy = policyFile(POLICY);
  const r = await run(['plan', '--sysfs-root', sys, '-c', policy]);
  assert.is(r.code, 0);
  assert.is(r.stderr, `${policy}:6:1: warning: rules[1]: rule "typo" matches no device on ${sys}\n`);
  assert.match(r.stdout, 'Plan: 1 to change');
});

coverage('plan --device looks at one device only: no warning about the others', async () => {
  const r = await run(['plan', '--sysfs-root', host(NODE2), '-c', policyFile(POLICY), '--device', 'dax0.0']);
  assert.is(r.stderr, '');
});

coverage('validate: a warning against the host; --strict makes it exit 65', async () => {
  const sys = host(NODE2);
  const policy = policyFile(POLICY);
  const r = await run(['validate', '--sysfs-root', sys, '-c', policy]);
  assert.is(r.code, 0);
  assert.match(r.stderr, 'rule "typo" matches no device');
  assert.match(r.stdout, '2 rules, 1 warning');
  assert.is((await run(['validate', '--sysfs-root', sys, '-c', policy, '--strict'])).code, 65);
});

coverage('validate --state: checked against every snapshot; a rule some snapshot matches is fine', async () => {
  const a = await snapshotOf(NODE2, 'a.json');
  const b = await snapshotOf(NODE12, 'b.json');
  const policy = policyFile(POLICY);
  const one = await run(['validate', '-c', policy, '--state', a, '--strict']);
  assert.is(one.code, 65);
  assert.match(one.stderr, 'rule "typo" matches no device on a.json');
  const both = await run(['validate', '-c', policy, '--state', a, '--state', b, '--strict']);
  assert.is(both.code, 0, both.stderr);
  assert.match(both.stdout, '2 rules, valid');
});

coverage('validate --state: selectors a snapshot cannot resolve name the snapshot', async () => {
  const offlineNode = await snapshotOf({ devices: [{ name: 'dax0.0', node: 3, blocks: 2, state: 'devdax' }] }, 'c.json');
  const tiered = 'version: 1\nrules:\n  - name: far\n    match: { tier: 22 }\n    state: online_movable\n';
  const r = await run(['validate', '-c', policyFile(tiered), '--state', offlineNode]);
  assert.match(r.stderr, /: warning: [^\n]*dax0\.0: rule "far" .* selects by tier/);
});

coverage('validate --state and --sysfs-root both name the host: exit 64', async () => {
  const a = await snapshotOf(NODE2, 'a.json');
  assert.is((await run(['validate', '-c', policyFile(POLICY), '--state', a, '--sysfs-root', host(NODE2)])).code, 64);
});

coverage.run();
