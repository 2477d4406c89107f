import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parsePatch } from 'diff';
import { run } from './support/cli.js';
import { host, policyFile, tempDir } from './support/host.js';

const OLD = 'version: 1\nrules:\n  - name: far\n    match: { numa_node: 2 }\n    state: online_movable\n  - name: pmem\n    match: { numa_node: 1 }\n    state: devdax\n';
const COSMETIC = '# reviewed 2026-11\n\nversion: 1\nrules:\n  # far memory first\n  - name: far\n    match: { numa_node: [2] }\n    state: online_movable\n\n  - name: pmem\n    match:\n      numa_node: 1\n    state: devdax\n';
const FAR_DEVDAX = OLD.replace('state: online_movable', 'state: devdax');

async function snapshot(spec: Parameters<typeof host>[0], name: string): Promise<string> {
  const r = await run(['snapshot', '--sysfs-root', host(spec)]);
  assert.is(r.code, 0, r.stderr);
  const file = path.join(tempDir(), name);
  fs.writeFileSync(file, r.stdout);
  return file;
}

const farHost = () => snapshot({ devices: [{ name: 'dax0.0', node: 1, blocks: 2, state: 'devdax' }, { name: 'dax1.0', node: 2, blocks: 4, state: 'online' }] }, 'far.json');
const pmemHost = () => snapshot({ devices: [{ name: 'dax0.0', node: 1, blocks: 2, state: 'online' }] }, 'pmem.json');

const diff = suite('diff: what a policy change does to each host');

diff('comments, layout and moved lines change no plan: exit 0 even with --detailed-exitcode', async () => {
  const far = await farHost();
  const r = await run(['diff', policyFile(OLD, 'old.yaml'), policyFile(COSMETIC, 'new.yaml'), '--state', far, '--detailed-exitcode']);
  assert.is(r.code, 0, r.stderr);
  assert.is(r.stdout, `${far}: plan unchanged\n`);
  assert.match(r.stderr, 'changes the plan of 0 of 1 host');
});

diff('a changed plan is a unified diff headed by the snapshot; exit 2 with --detailed-exitcode, else 0', async () => {
  const far = await farHost();
  const pmem = await pmemHost();
  const oldFile = policyFile(OLD, 'old.yaml');
  const newFile = policyFile(FAR_DEVDAX, 'new.yaml');
  const r = await run(['diff', oldFile, newFile, '--state', far, '--state', pmem, '--detailed-exitcode']);
  assert.is(r.code, 2, r.stderr);
  assert.match(r.stdout, `${pmem}: plan unchanged\n`);
  const patches = parsePatch(r.stdout.replace(`${pmem}: plan unchanged\n`, ''));
  assert.is(patches.length, 1);
  assert.is(patches[0].oldFileName, far);
  assert.is(patches[0].newFileName, far);
  assert.is(patches[0].newHeader, `plan with ${newFile}`);
  const lines = patches[0].hunks.flatMap((h) => h.lines);
  assert.ok(lines.includes('-  ~ dax1.0  online -> online_movable  (node 2, tier 22, 512 MiB; per-block: no state file on this kernel)'), lines.join('\n'));
  assert.ok(lines.includes('+  - dax1.0  online -> devdax  (node 2, tier 22, 512 MiB; per-block: no state file on this kernel)'), lines.join('\n'));
  // dax0.0 is decided by the same rule at the same place: context, not change
  assert.ok(lines.some((l) => l.startsWith('   = dax0.0  devdax')), lines.join('\n'));
  assert.match(r.stderr, 'changes the plan of 1 of 2 hosts');
  assert.is((await run(['diff', oldFile, newFile, '--state', far])).code, 0);
});

diff('a renamed rule is a change; without --state the host itself (--sysfs-root) is planned', async () => {
  const root = host({ devices: [{ name: 'dax0.0', node: 2, blocks: 2, state: 'online_movable' }] });
  const r = await run(['diff', policyFile(OLD), policyFile(OLD.replace('name: far', 'name: far-memory')), '--sysfs-root', root, '--detailed-exitcode']);
  assert.is(r.code, 2);
  assert.match(r.stdout, `Index: ${root}`);
  assert.match(r.stdout, '+  = dax0.0  online_movable  (node 2, tier 22, 256 MiB; rule "far-memory"');
});

diff('invalid policies exit 65 with file:line:col for each; bad hosts and arguments exit 64', async () => {
  const far = await farHost();
  const badOld = policyFile('version: 1\nrules:\n  - name: a\n    match: { numa_node: 1 }\n    state: sideways\n', 'old.yaml');
  const badNew = policyFile('version: 1\nrules: 7\n', 'new.yaml');
  const both = await run(['diff', badOld, badNew, '--state', far]);
  assert.is(both.code, 65);
  assert.match(both.stderr, /old\.yaml:5:12: rules\[0\]\.state: must be one of/);
  assert.match(both.stderr, /new\.yaml:2:8: rules: must be a list/);
  assert.is(both.stdout, '');
  assert.is((await run(['diff', policyFile(OLD), badNew, '--state', far])).code, 65);
  const missing = await run(['diff', policyFile(OLD), policyFile(FAR_DEVDAX), '--state', path.join(tempDir(), 'gone.json')]);
  assert.is(missing.code, 64);
  assert.match(missing.stderr, 'gone.json');
  assert.is((await run(['diff', policyFile(OLD)])).code, 64);
  assert.is((await run(['diff', policyFile(OLD), policyFile(OLD), '--state', far, '--sysfs-root', tempDir()])).code, 64);
});

diff('--format json: every host with both plans and the unified diff', async () => {
  const far = await farHost();
  const pmem = await pmemHost();
  const newFile = policyFile(FAR_DEVDAX, 'new.yaml');
  const r = await run(['diff', policyFile(OLD, 'old.yaml'), newFile, '--state', far, '--state', pmem, '-f', 'json', '--detailed-exitcode']);
  assert.is(r.code, 2);
  const doc = JSON.parse(r.stdout);
  assert.equal([doc.kind, doc.new_policy, doc.summary], ['diff', newFile, { hosts: 2, changed: 1 }]);
  assert.equal(doc.hosts.map((h: { host: string; changed: boolean }) => [h.host, h.changed]), [[far, true], [pmem, false]]);
  assert.equal(doc.hosts[0].before.actions.map((a: { to: string }) => a.to), ['online_movable']);
  assert.equal(doc.hosts[0].after.actions.map((a: { to: string }) => a.to), ['devdax']);
  assert.match(doc.hosts[0].patch, '+  - dax1.0  online -> devdax');
  assert.is(doc.hosts[1].patch, null);
});

diff('--format markdown: a PR comment that warns when the new policy removes more memory, diffs folded', async () => {
  const far = await farHost();
  const pmem = await pmemHost();
  const r = await run(['diff', policyFile(OLD, 'old.yaml'), policyFile(FAR_DEVDAX, 'new.yaml'), '--state', far, '--state', pmem, '-f', 'markdown']);
  assert.is(r.code, 0);
  assert.match(r.stdout, /^### daxplan diff: `[^`]*new\.yaml` changes the plan of 1 of 2 hosts\n/);
  assert.match(r.stdout, `> On \`${far}\` the plan with the new policy removes more system memory: node 2 -512 MiB (before: 0 B).`);
  assert.match(r.stdout, `| \`${far}\` | Plan: 1 to change, 1 unchanged, 0 unmanaged. | **Plan: 1 to change, 1 unchanged, 0 unmanaged.** |`);
  assert.match(r.stdout, 'Plan unchanged on 1 host.');
  assert.match(r.stdout, '<details><summary>Details</summary>');
  assert.match(r.stdout, '```diff\n@@ ');
  assert.match(r.stdout, '\n+  - dax1.0  online -> devdax');
});

diff('--format markdown stays under 64 KiB with many changed hosts, and a file name with backticks cannot close the code block', async () => {
  const hosts: string[] = [];
  for (let i = 0; i < 20; i++) hosts.push(await snapshot({ devices: Array.from({ length: 8 }, (_, d) => ({ name: `dax${d}.0`, node: 2, blocks: 2, state: 'online' })) }, `h${i}.json`));
  // The policy's file name is in every plan line a rule decided: backticks in it must not end the code block.
  const r = await run(['diff', policyFile(OLD, 'old.yaml'), policyFile(FAR_DEVDAX, 'new```.yaml'), ...hosts.flatMap((h) => ['--state', h]), '-f', 'markdown']);
  assert.is(r.code, 0, r.stderr);
  assert.ok(Buffer.byteLength(r.stdout) < 64 * 1024, `${Buffer.byteLength(r.stdout)} bytes`);
  assert.match(r.stdout, '_Details cut to fit a pull-request comment; run `daxplan diff` for all of them._');
  assert.match(r.stdout, '````diff');
  assert.match(r.stdout, /^### daxplan diff: ````[^`\n]*new```\.yaml```` changes/);
  assert.ok(r.stdout.trimEnd().endsWith('</details>'));
});

diff.run();
