// plan --state over many snapshots: one run plans a fleet, each host exactly
// as plan --state FILE plans it alone, then the fleet's totals.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { run } from './support/cli.js';
import { host, policyFile, REAL_612, REPO, tempDir } from './support/host.js';
import { fleetMarkdown, type FleetHost } from '../src/render/fleet.js';
import { addHost, emptyTotals } from '../src/plan/fleet.js';
import { MARKDOWN_LIMIT } from '../src/render/markdown.js';
import { DirSysfs } from '../src/host/sysfs.js';
import { observe } from '../src/host/observe.js';
import { parsePolicy } from '../src/policy/parse.js';
import { plan } from '../src/plan/plan.js';

const EXAMPLE = path.join(REPO, 'examples/debian-6.12-qemu/daxplan.yaml');
const CXL = path.join(REPO, 'examples/cxl-movable-pmem-app/host/sys');

/** Snapshots of a host that changes (the 6.12 example), one that is blocked (dax2.0's node has no tier) and one that matches the policy. */
async function fleet(): Promise<{ dir: string; files: Record<'changing' | 'blocked' | 'unchanged', string> }> {
  const dir = tempDir();
  const snap = async (name: string, root: string) => {
    const file = path.join(dir, `${name}.json`);
    const r = await run(['snapshot', '--sysfs-root', root, '--hostname', name]);
    assert.is(r.code, 0, r.stderr);
    fs.writeFileSync(file, r.stdout);
    return file;
  };
  return {
    dir,
    files: {
      changing: await snap('web-01', REAL_612),
      blocked: await snap('cxl-02', CXL),
      unchanged: await snap('db-10', host({ devices: [{ name: 'dax0.0', node: 1, blocks: 2, state: 'online_movable' }] })),
    },
  };
}

const test = suite('fleet plan: plan --state over many snapshots');

test('each host gets its summary and its changes, then the fleet totals; unchanged devices are not listed', async () => {
  const { files } = await fleet();
  const r = await run(['plan', '-c', EXAMPLE, '--state', files.changing, '--state', files.blocked, '--state', files.unchanged]);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, `web-01 (${files.changing}): Plan: 3 to change, 1 unchanged, 0 unmanaged.`);
  assert.match(r.stdout, `cxl-02 (${files.blocked}): Plan: 2 to change, 0 unchanged, 0 unmanaged, 1 blocked.`);
  assert.match(r.stdout, `db-10 (${files.unchanged}): No changes. Memory matches policy.`);
  assert.match(r.stdout, '  ~ dax1.0  online -> online_movable');
  assert.match(r.stdout, '  ! dax2.0  devdax  blocked:');
  assert.not.match(r.stdout, '  = dax0.0', 'unchanged devices are left out of a fleet plan');
  assert.ok(r.stdout.endsWith('Fleet: 3 hosts: 1 to change, 1 blocked, 1 unchanged.\nMemory moving: ZONE_NORMAL +0 B / -5.38 GiB, ZONE_MOVABLE +8.63 GiB / -0 B.\n'), r.stdout.slice(-300));
});

test('JSON: one document, each host the plan plan --state FILE prints alone, totals beside them; streamed byte for byte as JSON.stringify would print it', async () => {
  const { files } = await fleet();
  const r = await run(['plan', '-c', EXAMPLE, '--state', files.changing, '--state', files.blocked, '--state', files.unchanged, '-f', 'json']);
  assert.is(r.code, 0, r.stderr);
  const doc = JSON.parse(r.stdout);
  assert.is(r.stdout, JSON.stringify(doc, null, 2) + '\n');
  assert.is(doc.kind, 'fleet-plan');
  assert.ok(EXAMPLE.endsWith(doc.policy), doc.policy);
  assert.equal(doc.hosts.map((h: { host: string }) => h.host), ['web-01', 'cxl-02', 'db-10']);
  for (const [i, file] of [files.changing, files.blocked, files.unchanged].entries()) {
    const alone = await run(['plan', '-c', EXAMPLE, '--state', file, '-f', 'json']);
    assert.equal(doc.hosts[i].plan, JSON.parse(alone.stdout), file);
    assert.is(doc.hosts[i].file, file);
  }
  const movable = doc.hosts.flatMap((h: { plan: { capacity: Record<string, { movable: number }> } }) => Object.values(h.plan.capacity).map((c) => Math.max(c.movable, 0)));
  assert.equal(doc.totals, {
    hosts: 3,
    changing: 1,
    blocked: 1,
    unchanged: 1,
    zones: { normal: { added: 0, removed: 5.375 * 2 ** 30 }, movable: { added: movable.reduce((a: number, b: number) => a + b, 0), removed: 0 } },
  });
});

test('one snapshot is still a single-host plan (the output is a contract)', async () => {
  const { files } = await fleet();
  const text = await run(['plan', '-c', EXAMPLE, '--state', files.changing]);
  assert.not.match(text.stdout, 'Fleet:');
  assert.ok(text.stdout.startsWith('Kernel: block size 128 MiB'), text.stdout);
  assert.is(JSON.parse((await run(['plan', '-c', EXAMPLE, '--state', files.changing, '-f', 'json'])).stdout).kind, 'plan');
  assert.match((await run(['plan', '-c', EXAMPLE, '--state', files.changing, '-f', 'markdown'])).stdout, /^### daxplan on web-01: /);
});

test('a directory: its *.json snapshots in name order (host-2 before host-10), nothing else; an empty one exits 64', async () => {
  const dir = tempDir();
  const snapshot = (await run(['snapshot', '--sysfs-root', REAL_612])).stdout;
  for (const name of ['host-10.json', 'host-2.json', 'host-1.json']) fs.writeFileSync(path.join(dir, name), snapshot);
  fs.writeFileSync(path.join(dir, 'README.md'), 'not a snapshot');
  fs.mkdirSync(path.join(dir, 'old.json'));
  const doc = JSON.parse((await run(['plan', '-c', EXAMPLE, '--state', dir, '-f', 'json'])).stdout);
  assert.equal(doc.hosts.map((h: { host: string }) => h.host), ['host-1.json', 'host-2.json', 'host-10.json']);
  const empty = await run(['plan', '-c', EXAMPLE, '--state', tempDir()]);
  assert.is(empty.code, 64);
  assert.match(empty.stderr, 'no snapshots (*.json) in this directory');
});

test('a bad snapshot anywhere in the fleet exits 64 naming it, a --device one host lacks 66, before any host is printed', async () => {
  const { files } = await fleet();
  const bad = path.join(tempDir(), 'bad.json');
  fs.writeFileSync(bad, '{"format_version":"2.0","kind":"plan"}');
  const r = await run(['plan', '-c', EXAMPLE, '--state', files.changing, '--state', bad]);
  assert.is(r.code, 64);
  assert.is(r.stdout, '');
  assert.match(r.stderr, `${bad}: is a daxplan plan, not a daxplan snapshot`);
  const absent = await run(['plan', '-c', EXAMPLE, '--state', files.changing, '--state', files.unchanged, '--device', 'dax1.0']);
  assert.is(absent.code, 66, 'a --device one host lacks');
  assert.is(absent.stdout, '');
  assert.match(absent.stderr, `--device dax1.0: no such device in ${files.unchanged}`);
  const out = await run(['plan', '-c', EXAMPLE, '--state', files.changing, '--state', files.blocked, '--out', path.join(tempDir(), 'plan.json')]);
  assert.is(out.code, 64, 'a fleet plan saves no plan');
  assert.match(out.stderr, '--out saves one host');
  const both = await run(['plan', '-c', EXAMPLE, '--state', files.changing, '--state', files.blocked, '--sysfs-root', REAL_612]);
  assert.is(both.code, 64);
  assert.match(both.stderr, '--state FILE and --sysfs-root DIR both name the host');
});

test('a snapshot file name with control characters is shown escaped, never sent to the terminal (text and Markdown)', async () => {
  const dir = tempDir();
  const snapshot = (await run(['snapshot', '--sysfs-root', REAL_612])).stdout;
  fs.writeFileSync(path.join(dir, 'evil\x1b]0;owned\x07\x9b2J.json'), snapshot);
  fs.writeFileSync(path.join(dir, 'plain.json'), snapshot);
  for (const format of ['text', 'markdown']) {
    const r = await run(['plan', '-c', EXAMPLE, '--state', dir, '-f', format]);
    assert.is(r.code, 0, r.stderr);
    assert.not.match(r.stdout, /[\x1b\x07\x9b]/, `${format}: a control character reached the output`);
    assert.match(r.stdout, 'evil\\x1b]0;owned\\x07\\x9b2J.json', format);
  }
});

test('--detailed-exitcode over the fleet: 1 when any host is blocked, else 2 when any changes, else 0', async () => {
  const { files } = await fleet();
  const code = async (...states: string[]) => (await run(['plan', '-c', EXAMPLE, '--detailed-exitcode', ...states.flatMap((s) => ['--state', s])])).code;
  assert.is(await code(files.changing, files.blocked, files.unchanged), 1);
  assert.is(await code(files.changing, files.unchanged), 2);
  assert.is(await code(files.unchanged, files.unchanged), 0);
});

test('a rule is warned about only when it matches no device on any host', async () => {
  const { files } = await fleet();
  const policy = policyFile('version: 1\nrules:\n  - name: only-cxl\n    match: { device: "dax2.0" }\n    state: devdax\n  - name: nowhere\n    match: { numa_node: 9 }\n    state: devdax\n');
  const r = await run(['plan', '-c', policy, '--state', files.unchanged, '--state', files.blocked]);
  assert.not.match(r.stderr, 'only-cxl');
  assert.match(r.stderr, 'rule "nowhere" matches no device on any of the 2 snapshots');
});

test('Markdown: totals, blocked hosts, a table of the hosts that change, details folded; 5,000 hosts still fit a pull-request comment', async () => {
  const { files } = await fleet();
  const small = (await run(['plan', '-c', EXAMPLE, '--state', files.changing, '--state', files.blocked, '--state', files.unchanged, '-f', 'markdown'])).stdout;
  assert.match(small, '### daxplan fleet plan: 2 of 3 hosts to change, 1 blocked');
  assert.match(small, '> `cxl-02`: `dax2.0` is blocked:');
  assert.match(small, '| `web-01` | Plan: 3 to change, 1 unchanged, 0 unmanaged. | node 2: ZONE_NORMAL -1.38 GiB, ZONE_MOVABLE +2.63 GiB |');
  assert.match(small, 'No changes on 1 host.');
  assert.match(small, '<details><summary>Details</summary>');

  const parsed = parsePolicy(fs.readFileSync(EXAMPLE, 'utf8'), EXAMPLE);
  if (!parsed.ok) throw new Error('example policy');
  const report = { plan: plan(parsed.policy, observe(new DirSysfs(REAL_612))), warnings: [], conflicts: [] };
  let out = '';
  const md = fleetMarkdown((s) => (out += s), EXAMPLE);
  const totals = emptyTotals();
  for (let i = 0; i < 5000; i++) {
    const h: FleetHost = { name: `rack${i}-host-with-a-long-name.example.net`, file: `snapshots/rack${i}.json`, report };
    md.host(h);
    addHost(totals, report.plan);
  }
  md.end(totals);
  assert.ok(Buffer.byteLength(out) < MARKDOWN_LIMIT, `${Buffer.byteLength(out)} bytes`);
  assert.match(out, '### daxplan fleet plan: 5000 of 5000 hosts to change, 0 blocked');
  assert.match(out, /_…and \d+ more hosts to change: run `daxplan plan --state` for all of them._/);
  assert.match(out, '_Details cut to fit a pull-request comment');
  assert.ok(out.endsWith('</details>\n'));
});

test.run();
