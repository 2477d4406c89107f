// daxplan show PLAN_FILE: a saved plan printed as plan printed it, from the
// file alone; an edited file is refused as apply would refuse it.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { run } from './support/cli.js';
import { copyTree, policyFile, REAL_612, REPO, tempDir } from './support/host.js';

const POLICY = fs.readFileSync(path.join(REPO, 'examples/debian-6.12-qemu/daxplan.yaml'), 'utf8') + 'kernel:\n  auto_online_blocks: offline\n';

async function saved(): Promise<{ file: string; planned: string; policy: string }> {
  const sys = copyTree(REAL_612);
  const file = path.join(path.dirname(sys), 'plan.json');
  const policy = policyFile(POLICY);
  const r = await run(['plan', '--sysfs-root', sys, '-c', policy, '--out', file]);
  assert.is(r.code, 0, r.stderr);
  // The host is gone: show reads the file alone.
  fs.rmSync(sys, { recursive: true });
  return { file, planned: r.stdout, policy };
}

const show = suite('show');

show('prints the kernel settings and changes with the lines plan printed for them, and where the plan came from', async () => {
  const { file, planned, policy } = await saved();
  const r = await run(['show', file]);
  assert.is(r.code, 0, r.stderr);
  const lines = r.stdout.split('\n');
  assert.match(lines[0], `Saved plan ${file}: made `);
  assert.match(lines[0], `from ${policy} (sha256 `);
  // Every line plan printed for a change is there, as plan printed it, but for what a saved plan does not record: sizes.
  const unrecorded = (l: string) => l.replace(/ \(\d+(\.\d+)? [KMGT]?i?B\)/g, '').replace(/the new \d+ blocks/, 'the new blocks');
  const changeLines = planned.split('\n\n')[1].split('\n').filter((l) => !l.startsWith('  = '));
  assert.ok(changeLines.length >= 10, changeLines.join('\n'));
  for (const line of changeLines) assert.ok(lines.includes(unrecorded(line)), `missing: ${unrecorded(line)}\n${r.stdout}`);
  assert.match(r.stdout, '\n  + dax2.0  devdax -> online_movable');
  assert.match(r.stdout, '\n  ~ kernel auto_online_blocks  online -> offline');
  assert.match(r.stdout, '\nPlan: 4 to change; 1 other device left as it is.\n');
});

show('a saved plan changed after daxplan wrote it: exit 1, as apply refuses it', async () => {
  const { file } = await saved();
  fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('"to": "online_movable"', '"to": "unplug"'));
  const r = await run(['show', file]);
  assert.is(r.code, 1);
  assert.match(r.stderr, 'it was changed after daxplan wrote it');
  assert.is(r.stdout, '');
});

show('a file that is not a saved plan, or no file: exit 64', async () => {
  const dir = tempDir();
  const snapshot = path.join(dir, 'host.json');
  fs.writeFileSync(snapshot, (await run(['snapshot', '--sysfs-root', REAL_612])).stdout);
  const r = await run(['show', snapshot]);
  assert.is(r.code, 64);
  assert.match(r.stderr, 'not a daxplan saved plan');
  assert.is((await run(['show', path.join(dir, 'missing.json')])).code, 64);
  assert.is((await run(['show'])).code, 64);
});

show('colour on a terminal, none with --no-color', async () => {
  const { file } = await saved();
  const tty = { stdout: { isTTY: true, columns: 100, write: () => true } };
  assert.match((await run(['show', file], {}, undefined, tty)).stdout, '\x1b[');
  assert.not.match((await run(['show', file, '--no-color'], {}, undefined, tty)).stdout, '\x1b[');
});

show.run();
