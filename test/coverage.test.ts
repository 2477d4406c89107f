// A rule that matches no device on the host (or on any snapshot given) is
// most likely a typo: plan warns, validate warns (and --strict fails), and
// validate can check a policy against snapshots of the hosts it is for.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { run } from './support/cli.js';
import { host, policyFile, REPO, tempDir } from './support/host.js';
import { main } from '../src/cli/main.js';
import { DirSysfs } from '../src/host/sysfs.js';

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
  assert.is(r.stderr, `${policy}:6:5: warning: rules[1]: rule "typo" matches no device on ${sys}\n`);
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

const CXL = path.join(REPO, 'test/fixtures/real-cxl-7.3/default-boot/sys');
// The expander meant for an application, a serial with one digit wrong, and a catch-all below it.
const SERIAL_TYPO = `version: 1
rules:
  - name: app-expander
    match: { serial: 0x1234abce }
    state: devdax
  - name: rest
    match: { numa_node: 1 }
    state: online_movable
`;

coverage('a serial typo: a warning in the plan itself names the key, what the host has, and that the device falls through', async () => {
  const policy = policyFile(SERIAL_TYPO);
  const r = await run(['plan', '--sysfs-root', CXL, '-c', policy]);
  assert.is(r.code, 0);
  assert.is(r.stderr, '');
  assert.match(
    r.stdout,
    `\nWarning: ${policy}:3:5: rules[0]: rule "app-expander" matches no device on ${CXL}: no device has serial 0x1234abce (${CXL} has 0x1234abcd (dax0.0), 0x5678ef01 (dax1.0)); a device it means falls through to the rules below it\n`,
  );
  const json = JSON.parse((await run(['plan', '--sysfs-root', CXL, '-c', policy, '-f', 'json'])).stdout);
  assert.equal(
    json.warnings.map((w: { kind: string; line: number; column: number; path: string }) => [w.kind, w.line, w.column, w.path]),
    [['unmatched-rule', 3, 5, 'rules[0]']],
  );
  assert.match((await run(['plan', '--sysfs-root', CXL, '-c', policy, '-f', 'markdown'])).stdout, '> [!WARNING]');
});

coverage('plan --strict: an identity rule that matches nothing is an error (exit 65), before any plan', async () => {
  const r = await run(['plan', '--sysfs-root', CXL, '-c', policyFile(SERIAL_TYPO), '--strict']);
  assert.is(r.code, 65);
  assert.is(r.stdout, '');
  assert.match(r.stderr, /:3:5: rules\[0\]: rule "app-expander" matches no device .*no device has serial 0x1234abce/);
  // A rule by node that matches nothing is only a warning, even under --strict: it may be written for other hosts.
  assert.is((await run(['plan', '--sysfs-root', CXL, '-c', policyFile(POLICY), '--strict'])).code, 0);
});

coverage('pci, uuid and address typos name the key and list what the host has', async () => {
  const policy = (match: string) => policyFile(`version: 1\nrules:\n  - name: a\n    match: ${match}\n    state: devdax\n`);
  assert.match((await run(['plan', '--sysfs-root', CXL, '-c', policy('{ pci: "0000:0d:00.1" }')])).stdout, 'no device has pci 0000:0d:00.1 (' + CXL + ' has 0000:0d:00.0 (dax0.0), 0000:0e:00.0 (dax1.0))');
  assert.match((await run(['plan', '--sysfs-root', CXL, '-c', policy('{ uuid: 0b8f4e2a-1c3d-4e5f-9a8b-7c6d5e4f3a21 }')])).stdout, `(${CXL} has no device with a uuid)`);
  assert.match((await run(['plan', '--sysfs-root', CXL, '-c', policy('{ address: { start: "0x0", end: "0xfff" } }')])).stdout, 'no device has address 0x0-0xfff (' + CXL + ' has 0x110000000-0x14fffffff (dax0.0)');
});

coverage('validate --strict on a host whose dax bus is empty (a CI runner): the host is not checked, exit 0', async () => {
  const empty = tempDir();
  fs.mkdirSync(path.join(empty, 'bus/dax/devices'), { recursive: true });
  fs.mkdirSync(path.join(empty, 'devices/system/memory'), { recursive: true });
  let looked = '';
  const io = {
    stdout: { write: (t: string) => (looked += t) },
    stderr: { write: (t: string) => (looked += t) },
    env: {},
    cwd: process.cwd(),
    // This host's /sys, as the runner has it: the bus is there, with no device on it.
    openSysfs: (root: string) => {
      assert.is(root, '/sys');
      return new DirSysfs(empty);
    },
  };
  assert.is(await main(['validate', '-c', policyFile(POLICY), '--strict'], io), 0, looked);
  assert.match(looked, '2 rules, valid (this host has no dax devices: the policy alone was checked; --state FILE checks it against a host snapshot)');
  // Named with --sysfs-root, an empty tree is checked: the rules match nothing there.
  assert.is((await run(['validate', '-c', policyFile(POLICY), '--strict', '--sysfs-root', empty])).code, 65);
});

coverage.run();
