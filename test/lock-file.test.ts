// Where apply's lock file lives: a tree's own lock is removed after a clean
// run (nothing piles up in /run/daxplan or the temp directory), and a lock
// file this user cannot create is one line saying where and how to choose.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { run } from './support/cli.js';
import { host, policyFile, tempDir, treeDigest } from './support/host.js';
import { AS_NOBODY, NOBODY, runAsNobody } from './support/nobody.js';
import { acquireLock } from '../src/apply/lock.js';
import { lockFile } from '../src/cli/common.js';
import { LockHeldError } from '../src/model/errors.js';

const FAR_MOVABLE = 'version: 1\nrules:\n  - name: far\n    match: { numa_node: 1 }\n    state: online_movable\n';
const DEVDAX = { devices: [{ name: 'dax0.0', node: 1, blocks: 2, state: 'devdax' as const }] };

const tree = suite('lock file: runs on a tree leave none behind');

tree('apply on a tree takes the tree\'s own lock and removes it after a clean run', async () => {
  const root = host(DEVDAX);
  const file = lockFile({ 'sysfs-root': root });
  const r = await run(['apply', '--auto-approve', '--sysfs-root', root, '-c', policyFile(FAR_MOVABLE)]);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, 'Apply: 1 applied');
  assert.not.ok(fs.existsSync(file), `${file} left behind`);
});

tree('a lock file given with --lock-file is the operator\'s: it stays, empty', async () => {
  const root = host(DEVDAX);
  const file = path.join(tempDir(), 'lock');
  const r = await run(['apply', '--auto-approve', '--sysfs-root', root, '-c', policyFile(FAR_MOVABLE), '--lock-file', file]);
  assert.is(r.code, 0, r.stderr);
  assert.is(fs.readFileSync(file, 'utf8'), '');
});

tree('a run waiting on a transient lock file that the holder removes takes the new file\'s lock, not the removed one\'s', async () => {
  const file = path.join(tempDir(), 'lock');
  const first = await acquireLock(file, { timeoutSeconds: 0, trigger: 'udev', transient: true });
  // It opens the file now and waits for its lock.
  const waiting = acquireLock(file, { timeoutSeconds: 20, trigger: 'manual', transient: true });
  await new Promise((resolve) => setTimeout(resolve, 100));
  await first.release();
  const second = await waiting;
  assert.ok(fs.existsSync(file), 'the lock it holds is the file at the path');
  // Another run on the path finds it held; with the removed file's lock it would have taken the path's new one.
  const third = await acquireLock(file, { timeoutSeconds: 0, trigger: 'boot', transient: true }).catch((err: unknown) => err);
  await second.release();
  assert.ok(third instanceof LockHeldError, `a third run took the lock: ${third}`);
  assert.not.ok(fs.existsSync(file));
});

tree.run();

const denied = suite('lock file: one this user cannot create');

/** A simulated host nobody (or this user, when not root) may write, with its policy, in a directory all may enter. */
function openHost(): { root: string; policy: string } {
  const root = host(DEVDAX);
  const dir = path.dirname(root);
  fs.chmodSync(dir, 0o755);
  if (AS_NOBODY.length) for (const f of fs.readdirSync(root, { recursive: true, encoding: 'utf8' })) fs.lchownSync(path.join(root, f), NOBODY, NOBODY);
  if (AS_NOBODY.length) fs.lchownSync(root, NOBODY, NOBODY);
  const policy = path.join(dir, 'daxplan.yaml');
  fs.writeFileSync(policy, FAR_MOVABLE, { mode: 0o644 });
  return { root, policy };
}

/** An open host, and a lock file in a directory nobody may create in: root's, mode 0755; when the test is not root, its own, read-only. */
function closedLock() {
  const closed = tempDir();
  fs.chmodSync(closed, AS_NOBODY.length ? 0o755 : 0o555);
  return { ...openHost(), file: path.join(closed, 'lock') };
}

denied('exit 73 naming the file, --lock-file and TMPDIR; nothing on the host changes', () => {
  const { root, policy, file } = closedLock();
  const before = treeDigest(root);
  const r = runAsNobody(['apply', '--auto-approve', '--sysfs-root', root, '-c', policy, '--lock-file', file], { cwd: '/', env: { ...process.env, NO_COLOR: '1', TMPDIR: '/tmp' } }, 'daxplan-sim.mjs');
  assert.is(r.status, 73, r.stderr);
  assert.is(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.match(r.stderr, `daxplan: cannot create the lock file ${file} (EACCES, as uid `);
  assert.match(r.stderr, "choose another with --lock-file FILE; a --sysfs-root tree's default lock goes in TMPDIR (now /tmp)");
  assert.is(treeDigest(root), before);
});

denied('watch --apply: exit 73 at start, before any tick, naming the file; a tree\'s default lock checked at start is not left behind', () => {
  const { root, policy, file } = closedLock();
  const before = treeDigest(root);
  const env = { ...process.env, NO_COLOR: '1', TMPDIR: '/tmp' };
  // Every second: a watch that ticked would print a tick line within the timeout.
  const r = runAsNobody(['watch', '--schedule', '* * * * * *', '--apply', '--sysfs-root', root, '-c', policy, '--lock-file', file], { cwd: '/', env, timeout: 20_000 }, 'daxplan-sim.mjs');
  assert.is(r.status, 73, r.stderr);
  assert.match(r.stderr, `daxplan: cannot create the lock file ${file} (EACCES, as uid `);
  assert.not.match(r.stdout + r.stderr, 'tick');
  assert.is(treeDigest(root), before);
  // A lock it can create: the check leaves no file in TMPDIR (the first tick makes its own and removes it).
  const tmp = tempDir();
  fs.chmodSync(tmp, 0o777);
  const ok = runAsNobody(['watch', '--schedule', '0 0 1 1 *', '--apply', '--sysfs-root', root, '-c', policy], { cwd: '/', env: { ...env, TMPDIR: tmp }, timeout: 3000 }, 'daxplan-sim.mjs');
  assert.match(ok.stderr + ok.stdout, 'daxplan watch: ');
  assert.equal(fs.readdirSync(tmp), []);
});

denied('without --lock-file the tree\'s lock goes in TMPDIR, and is gone after the run', () => {
  const { root, policy } = openHost();
  const tmp = tempDir();
  fs.chmodSync(tmp, 0o777);
  const r = runAsNobody(['apply', '--auto-approve', '--sysfs-root', root, '-c', policy], { cwd: '/', env: { ...process.env, NO_COLOR: '1', TMPDIR: tmp } }, 'daxplan-sim.mjs');
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stdout, 'Apply: 1 applied');
  assert.equal(fs.readdirSync(tmp), []);
});

denied.run();
