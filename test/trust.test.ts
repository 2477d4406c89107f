// What root reads and writes on someone's say-so is vetted before it is
// opened (host/trust.ts), and the real /sys is known however it is reached.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { run } from './support/cli.js';
import { host, policyFile, tempDir } from './support/host.js';
import { NOT_ROOT, unless } from './support/skip.js';
import { readTrusted, RefusedFileError, writeTrusted } from '../src/host/trust.js';
import { findPolicyFile } from '../src/policy/load.js';
import { hostRoot } from '../src/cli/root.js';
import { lockFile } from '../src/cli/common.js';
import { DEFAULT_LOCK_FILE } from '../src/apply/lock.js';
import { NOBODY, runAsNobody } from './support/nobody.js';

const POLICY = 'version: 1\nrules:\n  - name: far\n    match: { numa_node: 1 }\n    state: online_movable\n';
const DEVDAX = { devices: [{ name: 'dax0.0', node: 1, blocks: 2, state: 'devdax' }] };

function refusal(read: () => unknown): string {
  try {
    read();
  } catch (err) {
    assert.instance(err, RefusedFileError);
    return (err as RefusedFileError).reason;
  }
  return assert.unreachable('accepted') as never;
}

const vet = (file: string, asRootToo = true) => readTrusted(file, { maxBytes: 64, exitCode: 64, asRoot: asRootToo });

/** A directory others may enter (tempDir() is private to root). */
function openDir(): string {
  const dir = tempDir();
  fs.chmodSync(dir, 0o755);
  return dir;
}

/** Runs the built daxplan as nobody (as root), or as this user. */
function asNobody(args: string[], cwd: string, env: NodeJS.ProcessEnv = {}) {
  return runAsNobody(args, { cwd, timeout: 20_000, env: { ...process.env, NO_COLOR: '1', ...env } });
}

const sys = suite('trust: the real /sys is known by identity, not by spelling');

sys('a link to /sys, "/sys/." and "/sys/" get the host files (the pause) and the one lock; a tree gets neither', () => {
  const link = path.join(tempDir(), 'sys');
  fs.symlinkSync('/sys', link);
  for (const root of ['/sys', '/sys/.', '/sys/', link]) {
    assert.is(hostRoot({ 'sysfs-root': root }), '/', root);
    assert.is(lockFile({ 'sysfs-root': root }), DEFAULT_LOCK_FILE, root);
  }
  const tree = host(DEVDAX);
  assert.is(hostRoot({ 'sysfs-root': tree }), undefined);
  assert.is.not(lockFile({ 'sysfs-root': tree }), DEFAULT_LOCK_FILE);
});

sys('two paths to one tree (a symlink, a path through "..") take one lock; another tree another', () => {
  const tree = host(DEVDAX);
  const link = path.join(tempDir(), 'sys');
  fs.symlinkSync(tree, link);
  for (const other of [link, path.join(tree, 'bus', '..')]) assert.is(lockFile({ 'sysfs-root': other }), lockFile({ 'sysfs-root': tree }), other);
  assert.is.not(lockFile({ 'sysfs-root': host(DEVDAX) }), lockFile({ 'sysfs-root': tree }));
});

unless(sys, NOT_ROOT)('a bind mount of a tree takes the tree\'s lock (mounting takes root)', () => {
  const tree = host(DEVDAX);
  const bind = path.join(tempDir(), 'bound');
  fs.mkdirSync(bind);
  const mount = spawnSync('mount', ['--bind', tree, bind], { encoding: 'utf8' });
  assert.is(mount.status, 0, mount.stderr);
  try {
    assert.is(lockFile({ 'sysfs-root': bind }), lockFile({ 'sysfs-root': tree }));
  } finally {
    spawnSync('umount', [bind]);
  }
});

sys.run();

const reads = suite('trust: what daxplan reads');

reads('never a link, a FIFO, a directory or an oversized file; a FIFO does not block', () => {
  const dir = tempDir();
  const real = path.join(dir, 'real');
  fs.writeFileSync(real, 'ok');
  assert.is(vet(real), 'ok');
  fs.symlinkSync(real, path.join(dir, 'link'));
  assert.match(refusal(() => vet(path.join(dir, 'link'))), 'is a symbolic link');
  spawnSync('mkfifo', [path.join(dir, 'fifo')]);
  assert.match(refusal(() => vet(path.join(dir, 'fifo'))), 'not a regular file');
  assert.match(refusal(() => vet(dir)), 'not a regular file');
  fs.writeFileSync(path.join(dir, 'big'), 'x'.repeat(65));
  assert.match(refusal(() => vet(path.join(dir, 'big'))), 'larger than 64 bytes');
});

unless(reads, NOT_ROOT)('never a device node (making one takes root)', () => {
  const zero = path.join(tempDir(), 'zero');
  spawnSync('mknod', [zero, 'c', '1', '5']);
  assert.match(refusal(() => vet(zero)), 'not a regular file');
});

unless(reads, NOT_ROOT)('as root: a file another user owns or can write, or in a directory another user can change, is refused', () => {
  const dir = tempDir();
  const file = path.join(dir, 'f');
  fs.writeFileSync(file, 'ok');
  fs.chownSync(file, NOBODY, NOBODY);
  assert.match(refusal(() => vet(file)), `owner uid ${NOBODY}`);
  assert.is(vet(file, false), 'ok', 'ownership is root’s rule only');
  fs.chownSync(file, 0, 0);
  fs.chmodSync(file, 0o664);
  assert.match(refusal(() => vet(file)), /mode 664\); fix with: chown root:root .* && chmod go-w/);
  fs.chmodSync(file, 0o644);
  assert.is(vet(file), 'ok');
  const theirs = path.join(dir, 'theirs');
  fs.mkdirSync(theirs);
  fs.writeFileSync(path.join(theirs, 'f'), 'ok');
  fs.chownSync(theirs, NOBODY, NOBODY);
  assert.match(refusal(() => vet(path.join(theirs, 'f'))), `directory ${theirs} is owned by uid ${NOBODY}`);
  assert.match(refusal(() => vet(path.join(theirs, '.', 'f'))), `directory ${theirs} is owned by uid ${NOBODY}`);
  // A link to their directory is judged where it leads.
  fs.symlinkSync(theirs, path.join(dir, 'via'));
  assert.match(refusal(() => vet(path.join(dir, 'via', 'f'))), `directory ${theirs} is owned by uid ${NOBODY}`);
  fs.chownSync(theirs, 0, 0);
  fs.chmodSync(theirs, 0o777);
  assert.match(refusal(() => vet(path.join(theirs, 'f'))), 'writable by group or others (mode 777) without the sticky bit');
  // Sticky, as /tmp: others cannot replace root's file there.
  fs.chmodSync(theirs, 0o1777);
  assert.is(vet(path.join(theirs, 'f')), 'ok');
});

reads('as root the policy is --config or /etc/daxplan/daxplan.yaml, never found in the working directory or the caller’s HOME', () => {
  const cwd = tempDir();
  fs.writeFileSync(path.join(cwd, 'daxplan.yaml'), POLICY);
  const home = tempDir();
  fs.mkdirSync(path.join(home, '.config'));
  fs.writeFileSync(path.join(home, '.config', 'daxplan.yaml'), POLICY);
  assert.is(findPolicyFile({ cwd, asRoot: false }), path.join(cwd, 'daxplan.yaml'));
  // Root's one place to look is this machine's own: it answers one way or the other, never with the working directory's file.
  if (fs.existsSync('/etc/daxplan/daxplan.yaml')) assert.is(findPolicyFile({ cwd, asRoot: true }), '/etc/daxplan/daxplan.yaml');
  else assert.throws(() => findPolicyFile({ cwd, asRoot: true }), /as root daxplan reads only --config FILE or \/etc\/daxplan\/daxplan\.yaml/);
});

unless(reads, NOT_ROOT)('as root a policy, saved plan or snapshot another user owns is refused with its exit code; nothing changes', async () => {
  const root = host(DEVDAX);
  const policy = policyFile(POLICY);
  const saved = path.join(tempDir(), 'plan.json');
  assert.is((await run(['plan', '-c', policy, '--sysfs-root', root, '--out', saved])).code, 0);
  const snapshot = path.join(tempDir(), 'host.json');
  fs.writeFileSync(snapshot, (await run(['snapshot', '--sysfs-root', root])).stdout);
  for (const file of [policy, saved, snapshot]) fs.chownSync(file, NOBODY, NOBODY);
  const p = await run(['plan', '-c', policy, '--sysfs-root', root]);
  assert.is(p.code, 65);
  assert.match(p.stderr, `owner uid ${NOBODY}`);
  const a = await run(['apply', '--auto-approve', saved, '--sysfs-root', root, '--lock-file', path.join(tempDir(), 'lock')]);
  assert.is(a.code, 64);
  assert.match(a.stderr, `${saved}: a non-root user can write it`);
  const s = await run(['status', '--state', snapshot]);
  assert.is(s.code, 64);
  assert.match(s.stderr, `${snapshot}: a non-root user can write it`);
  assert.is(fs.readlinkSync(path.join(root, 'bus/dax/devices/dax0.0/driver')).endsWith('device_dax'), true, 'nothing applied');
});

reads('a normal user: the policy is searched from the working directory; a FIFO given as a snapshot is refused at once', () => {
  const cwd = openDir();
  fs.writeFileSync(path.join(cwd, 'daxplan.yaml'), POLICY);
  const tree = host(DEVDAX);
  fs.chmodSync(path.dirname(tree), 0o755);
  const found = asNobody(['plan', '--sysfs-root', tree], cwd);
  assert.is(found.status, 0, found.stderr);
  assert.match(found.stdout, 'devdax -> online_movable');
  spawnSync('mkfifo', [path.join(cwd, 'fifo')]);
  const fifo = asNobody(['status', '--state', path.join(cwd, 'fifo')], cwd);
  assert.is(fifo.status, 64, fifo.stderr);
  assert.match(fifo.stderr, 'not a regular file');
});

reads.run();

const writes = suite('trust: what daxplan writes');

writes('plan --out refuses a FIFO', async () => {
  const dir = tempDir();
  spawnSync('mkfifo', [path.join(dir, 'fifo')]);
  const fifo = await run(['plan', '-c', policyFile(POLICY), '--sysfs-root', host(DEVDAX), '--out', path.join(dir, 'fifo')]);
  assert.is(fifo.code, 1);
  assert.match(fifo.stderr, 'not a regular file');
});

writes('plan --out and --lock-file refuse a file with another hard link, leaving both names as they were', async () => {
  const root = host(DEVDAX);
  const policy = policyFile(POLICY);
  const dir = tempDir();
  const precious = path.join(dir, 'shadow');
  fs.writeFileSync(precious, 'root:x:0:0\n');
  const link = path.join(dir, 'plan.json');
  fs.linkSync(precious, link);
  const out = await run(['plan', '-c', policy, '--sysfs-root', root, '--out', link]);
  assert.is(out.code, 1);
  assert.match(out.stderr, `${link}: has 2 hard links`);
  const lock = await run(['apply', '--auto-approve', '-c', policy, '--sysfs-root', root, '--lock-file', link]);
  assert.is(lock.code, 1);
  assert.match(lock.stderr, `${link}: has 2 hard links`);
  assert.is(fs.readFileSync(precious, 'utf8'), 'root:x:0:0\n');
  assert.ok(fs.readlinkSync(path.join(root, 'bus/dax/devices/dax0.0/driver')).endsWith('device_dax'), 'nothing applied');
});

unless(writes, NOT_ROOT)('as root, plan --out, the lock and the pause marker refuse a device node and a file or directory another user controls', async () => {
  const root = host(DEVDAX);
  const policy = policyFile(POLICY);
  const dir = tempDir();
  // A device node is refused before it is opened (opening one can act: a watchdog starts counting).
  spawnSync('mknod', [path.join(dir, 'null'), 'c', '1', '3']);
  const node = await run(['plan', '-c', policy, '--sysfs-root', root, '--out', path.join(dir, 'null')]);
  assert.is(node.code, 1);
  assert.match(node.stderr, 'not a regular file');
  const theirs = path.join(dir, 'theirs');
  fs.writeFileSync(theirs, 'theirs\n');
  fs.chownSync(theirs, NOBODY, NOBODY);
  const out = await run(['plan', '-c', policy, '--sysfs-root', root, '--out', theirs]);
  assert.is(out.code, 1);
  assert.match(out.stderr, `${theirs}: a non-root user can write it`);
  assert.is(fs.readFileSync(theirs, 'utf8'), 'theirs\n', 'left as it was');
  const lock = await run(['apply', '--auto-approve', '-c', policy, '--sysfs-root', root, '--lock-file', theirs]);
  assert.is(lock.code, 1);
  assert.match(lock.stderr, `${theirs}: a non-root user can write it`);
  assert.is(fs.readFileSync(theirs, 'utf8'), 'theirs\n');
  assert.ok(fs.readlinkSync(path.join(root, 'bus/dax/devices/dax0.0/driver')).endsWith('device_dax'), 'nothing applied');
  const their = path.join(dir, 'their-dir');
  fs.mkdirSync(their);
  fs.chownSync(their, NOBODY, NOBODY);
  const into = await run(['plan', '-c', policy, '--sysfs-root', root, '--out', path.join(their, 'plan.json')]);
  assert.is(into.code, 1);
  assert.match(into.stderr, `directory ${their} is owned by uid ${NOBODY}`);
  assert.not.ok(fs.existsSync(path.join(their, 'plan.json')));
  const hostFiles = tempDir();
  fs.mkdirSync(path.join(hostFiles, 'var/lib/daxplan'), { recursive: true });
  fs.chownSync(path.join(hostFiles, 'var/lib/daxplan'), NOBODY, NOBODY);
  const pause = await run(['disable', '--reason', 'x', '--root', hostFiles]);
  assert.is(pause.code, 1);
  assert.match(pause.stderr, `directory ${path.join(hostFiles, 'var/lib/daxplan')} is owned by uid ${NOBODY}`);
});

unless(writes, NOT_ROOT)('as root, a name another user planted in a sticky directory (as in /tmp) is refused, not written through', () => {
  const sticky = tempDir();
  fs.chmodSync(sticky, 0o1777);
  const planted = path.join(sticky, 'plan.json');
  fs.writeFileSync(planted, '');
  fs.chownSync(planted, NOBODY, NOBODY);
  assert.throws(() => writeTrusted(planted, 'x', { exitCode: 1 }), /owner uid 65534/);
  assert.is(fs.readFileSync(planted, 'utf8'), '');
  writeTrusted(path.join(sticky, 'mine.json'), 'x', { exitCode: 1 });
  assert.is(fs.statSync(path.join(sticky, 'mine.json')).uid, 0);
});

writes.run();
