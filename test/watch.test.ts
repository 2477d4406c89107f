import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import { pollStateWords, tick, type TickMemory, type WatchSetup } from '../src/cli/watch.js';
import { SimulatedKernel, type SimConfig } from './sim/kernel.js';
import { acquireLock } from '../src/apply/lock.js';
import { writePause } from '../src/host/pause.js';
import { readProcFacts } from '../src/host/proc.js';
import type { HostSpec } from './sim/tree.js';
import { run } from './support/cli.js';
import { host, policyFile, REPO, tempDir } from './support/host.js';

const MOVABLE = 'version: 1\nrules:\n  - name: far\n    match: { numa_node: [1, 2] }\n    state: online_movable\n';
const AT = new Date('2026-11-25T18:10:00.250Z');
const TWO: HostSpec = { devices: [{ name: 'dax0.0', node: 1, blocks: 2, state: 'devdax' }, { name: 'dax1.0', node: 2, blocks: 2, state: 'online' }] };

interface Watched {
  setup: WatchSetup;
  kernel: SimulatedKernel;
  policy: string;
  warnings: string[];
  next(trigger?: string): Promise<string>;
  /** What the poll between ticks finds changed in the state files since the last tick. */
  poll(): string[];
}

/** A watched simulated host; next() runs one tick and returns its line. */
function watched(spec: HostSpec, options: { apply?: boolean; sim?: SimConfig; policy?: string } = {}): Watched {
  const root = host(spec, options.sim ?? {});
  const kernel = SimulatedKernel.fromTree(root);
  const policy = policyFile(options.policy ?? MOVABLE);
  const warnings: string[] = [];
  const setup: WatchSetup = {
    policy: { config: policy, cwd: process.cwd(), asRoot: false },
    sysfs: kernel,
    root: path.join(root, '..'),
    apply: options.apply ? { lock: { file: path.join(tempDir(), 'lock'), transient: false }, timeoutSeconds: 0, binding: () => ({ ...readProcFacts(path.join(root, '../proc')), source: 'tree' }) } : undefined,
    warn: (line) => warnings.push(line),
  };
  let memory: TickMemory = {};
  return {
    setup,
    kernel,
    policy,
    warnings,
    async next(trigger?: string) {
      const done = await tick(setup, memory, AT, trigger);
      memory = done.memory;
      assert.not.match(done.line, '\n', 'one line per tick');
      return done.line;
    },
    poll: () => pollStateWords(setup.sysfs, memory),
  };
}

const sha = (file: string) => createHash('sha256').update(fs.readFileSync(file)).digest('hex').slice(0, 8);

const ticks = suite('watch: one line per tick, saying what drifted and what was done');

ticks('first tick converges, the next finds no drift', async () => {
  const w = watched(TWO, { apply: true });
  assert.is(await w.next(), '2026-11-25T18:10:00Z tick: 2 to change (first tick); applied 2, failed 0');
  assert.is(await w.next(), '2026-11-25T18:10:00Z tick: no drift');
});

ticks('the host drifted: the device that moved, and the correction', async () => {
  const w = watched(TWO, { apply: true });
  await w.next();
  w.kernel.meddle(34, 'o');
  w.kernel.meddle(35, 'o');
  assert.is(await w.next(), '2026-11-25T18:10:00Z tick: 1 to change (host drifted: dax1.0 online_movable -> offline); applied 1, failed 0');
  assert.is(await w.next(), '2026-11-25T18:10:00Z tick: no drift');
});

ticks('the policy changed: its sha256 before and after', async () => {
  const w = watched(TWO, { apply: true });
  await w.next();
  const before = sha(w.policy);
  fs.writeFileSync(w.policy, MOVABLE.replace('online_movable', 'devdax'));
  assert.is(await w.next(), `2026-11-25T18:10:00Z tick: 2 to change (policy changed (sha ${before} -> ${sha(w.policy)})); applied 2, failed 0`);
  fs.appendFileSync(w.policy, '# reviewed\n');
  assert.match(await w.next(), /tick: no drift; policy changed \(sha [0-9a-f]{8} -> [0-9a-f]{8}\)$/);
});

ticks('without --apply: drift is logged and stays pending', async () => {
  const w = watched(TWO);
  assert.is(await w.next(), '2026-11-25T18:10:00Z tick: 2 to change (first tick); not applied (watch without --apply)');
  assert.is(await w.next(), '2026-11-25T18:10:00Z tick: 2 to change (still pending); not applied (watch without --apply)');
  assert.equal(w.kernel.log, [], 'nothing written');
});

ticks('a lock held by another run: the tick skips its apply and the next one catches up', async () => {
  const w = watched(TWO, { apply: true });
  const lock = await acquireLock(w.setup.apply!.lock.file, { timeoutSeconds: 0, trigger: 'udev' });
  try {
    assert.match(await w.next(), new RegExp(`tick: 2 to change \\(first tick\\); skipped: lock held by pid ${process.pid} \\(trigger udev, since [^)]+\\)$`));
    assert.equal(w.kernel.log, []);
  } finally {
    await lock.release();
  }
  assert.match(await w.next(), 'tick: 2 to change (still pending); applied 2, failed 0');
});

ticks('a failed device is in the line; an invalid policy and a disabled daxplan skip the tick', async () => {
  const w = watched({ devices: [{ name: 'dax0.0', node: 1, blocks: 2, state: 'online' }] }, { apply: true, sim: { busyBlocks: [33] } });
  assert.match(await w.next(), /tick: 1 to change \(first tick\); applied 0, failed 1 \(dax0\.0: step 1 \(offline_blocks\) failed: offlining memory33 failed: EBUSY.*rolled back/);
  fs.writeFileSync(w.policy, 'version: 1\nrules:\n  - name: far\n    match: { numa_node: 1 }\n    state: sideways\n');
  assert.match(await w.next(), /tick: skipped: the policy is invalid: .*daxplan\.yaml:5:12: rules\[0\]\.state: must be one of/);
  writePause(w.setup.root!, 'firmware update', 'ops');
  assert.match(await w.next(), /tick: skipped: daxplan is disabled since .* by ops: firmware update$/);
});

ticks('policy warnings are told once per version of the policy, not at every tick', async () => {
  const shadowed = MOVABLE + '  - name: again\n    match: { numa_node: [1] }\n    state: devdax\n';
  const w = watched(TWO, { policy: shadowed });
  await w.next();
  await w.next();
  assert.is(w.warnings.length, 1);
  assert.match(w.warnings[0], 'rule "again" is shadowed');
});

ticks('Linux 7.3: a state file another agent wrote (no uevent) is seen by the poll, and the tick it starts corrects it', async () => {
  const w = watched({ ...TWO, stateFile: true }, { apply: true, sim: { stateFile: true } });
  assert.equal(w.poll(), [], 'nothing to compare with before the first tick');
  await w.next();
  assert.equal(w.poll(), [], 'the tick left the words it read');
  // Another agent, through the file: the kernel sends no event for it.
  w.kernel.write('bus/dax/devices/dax1.0/state', 'unplugged');
  const changed = w.poll();
  assert.equal(changed, ['dax1.0 online_movable -> unplugged']);
  assert.is(
    await w.next(`state file changed: ${changed.join(', ')}`),
    '2026-11-25T18:10:00Z tick (state file changed: dax1.0 online_movable -> unplugged): 1 to change (host drifted: dax1.0 online_movable -> unplug); applied 1, failed 0',
  );
  assert.equal(w.poll(), []);
});

ticks('the poll reads only the state files of devices bound to kmem, and nothing on a kernel without them', async () => {
  const w = watched({ devices: [...TWO.devices, { name: 'dax2.0', node: 3, blocks: 2, state: 'devdax' }] }, { policy: 'version: 1\nrules: []\n' });
  await w.next();
  const before = w.kernel.reads;
  assert.equal(w.poll(), []);
  assert.is(w.kernel.reads - before, 0, 'no state file on this kernel: no read');
  const s = watched({ stateFile: true, devices: [...TWO.devices, { name: 'dax2.0', node: 3, blocks: 2, state: 'devdax' }] }, { policy: 'version: 1\nrules: []\n', sim: { stateFile: true } });
  await s.next();
  const start = s.kernel.reads;
  assert.equal(s.poll(), []);
  assert.is(s.kernel.reads - start, 1, 'one read: dax1.0, the one device bound to kmem');
});

ticks.run();

const cli = suite('watch: the command');

cli('usage errors exit 64: a bad cron expression, no schedule, a bad lock timeout; an invalid policy at start exits 65', async () => {
  const policy = policyFile(MOVABLE);
  const root = host(TWO);
  const bad = await run(['watch', '--schedule', '61 * * * *', '-c', policy, '--sysfs-root', root]);
  assert.is(bad.code, 64);
  assert.match(bad.stderr, '--schedule "61 * * * *" is not a cron expression');
  assert.is((await run(['watch', '--schedule', 'every ten minutes', '-c', policy, '--sysfs-root', root])).code, 64);
  assert.is((await run(['watch', '-c', policy, '--sysfs-root', root])).code, 64);
  assert.is((await run(['watch', '--schedule', '* * * * *', '--lock-timeout', 'soon', '-c', policy, '--sysfs-root', root])).code, 64);
  const poll = await run(['watch', '--schedule', '* * * * *', '--poll-state', '0.2', '-c', policy, '--sysfs-root', root]);
  assert.is(poll.code, 64);
  assert.match(poll.stderr, '--poll-state takes 0 (never) or at least 1 seconds (got 0.2)');
  const invalid = await run(['watch', '--schedule', '* * * * *', '-c', policyFile('version: 1\nrules: 7\n'), '--sysfs-root', root]);
  assert.is(invalid.code, 65);
  assert.match(invalid.stderr, 'daxplan.yaml:2:8');
});

const BIN = path.join(REPO, 'dist/daxplan-sim.mjs');

/** The bundle, rebuilt when a source file is newer than it. */
function freshBundle(): void {
  const newest = (dir: string): number =>
    Math.max(0, ...fs.readdirSync(dir, { withFileTypes: true }).map((e) => (e.isDirectory() ? newest(path.join(dir, e.name)) : fs.statSync(path.join(dir, e.name)).mtimeMs)));
  if (fs.existsSync(BIN) && fs.statSync(BIN).mtimeMs >= Math.max(newest(path.join(REPO, 'src')), newest(path.join(REPO, 'test/sim')))) return;
  const built = spawnSync('npm', ['run', 'build'], { cwd: REPO, encoding: 'utf8' });
  assert.is(built.status, 0, built.stderr);
}

/** The bundle's watch as a process: until() waits for its standard output to hold something, stop() sends SIGTERM. */
function spawnWatch(args: string[]) {
  freshBundle();
  const child = spawn(process.execPath, [BIN, 'watch', ...args], { env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const within = (ms: number, what: string) => new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`${what} took over ${ms} ms\n${stdout}\n${stderr}`)), ms).unref());
  return {
    /** Waits until `seen` holds for what the process printed so far; returns its standard output. */
    async until(seen: (stdout: string, stderr: string) => boolean, ms: number, what: string): Promise<string> {
      const reached = new Promise<void>((resolve) => {
        const check = () => seen(stdout, stderr) && resolve();
        child.stdout.on('data', check);
        child.stderr.on('data', check);
        check();
      });
      try {
        await Promise.race([reached, within(ms, what)]);
      } catch (err) {
        child.kill('SIGKILL');
        throw err;
      }
      return stdout;
    },
    async stop(): Promise<{ code: number | null; stderr: string }> {
      child.kill('SIGTERM');
      const code = await Promise.race([exited, within(5_000, 'stopping')]);
      return { code, stderr };
    },
  };
}

cli('the bundle ticks every second on a simulated host, and SIGTERM ends it cleanly with exit 0', async () => {
  const root = host(TWO, {});
  // The host's files: a boot id and release, so the watch records the boot's default at its start.
  const hostFiles = path.dirname(root);
  fs.mkdirSync(path.join(hostFiles, 'proc/sys/kernel/random'), { recursive: true });
  fs.writeFileSync(path.join(hostFiles, 'proc/sys/kernel/random/boot_id'), '6e1c1b1a-0d6f-4a3e-9c61-2b8f0a7d4c11\n');
  fs.writeFileSync(path.join(hostFiles, 'proc/sys/kernel/osrelease'), '7.3.4-amd64\n');
  const w = spawnWatch(['--schedule', '* * * * * *', '--apply', '--sysfs-root', root, '--root', hostFiles, '-c', policyFile(MOVABLE)]);
  const stdout = await w.until((out) => (out.match(/ tick: /g) ?? []).length >= 2, 15_000, 'two ticks');
  const lines = stdout.trim().split('\n');
  assert.match(lines[0], /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ tick: 2 to change \(first tick\); applied 2, failed 0$/);
  assert.match(lines[1], /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ tick: no drift$/);
  const { code, stderr } = await w.stop();
  assert.is(code, 0, stderr);
  assert.match(stderr, 'daxplan watch: SIGTERM: stopped');
  const record = JSON.parse(fs.readFileSync(path.join(hostFiles, 'var/lib/daxplan/boot-default.json'), 'utf8')) as { boots: { release: string; firstSeen: string }[] };
  assert.equal(record.boots.map((b) => [b.release, b.firstSeen]), [['7.3.4-amd64', 'offline']], 'the boot recorded before the first tick wrote');
});

cli('the bundle polls the state files from its start: a word another agent writes before the first tick starts one within the poll', async () => {
  const root = host({ ...TWO, stateFile: true }, { stateFile: true });
  const before = SimulatedKernel.fromTree(root).read('bus/dax/devices/dax1.0/state');
  // A schedule whose first tick is months away: only the poll can start a tick here.
  const w = spawnWatch(['--schedule', '0 0 1 1 *', '--poll-state', '1', '--sysfs-root', root, '-c', policyFile(MOVABLE)]);
  // The start line comes after the host is read: a word written from here on is one the poll must see.
  await w.until((_, stderr) => stderr.includes('daxplan watch: '), 15_000, 'the start');
  SimulatedKernel.fromTree(root).write('bus/dax/devices/dax1.0/state', 'unplugged');
  const stdout = await w.until((out) => out.includes(' tick '), 15_000, 'a tick started by the poll');
  assert.match(stdout, new RegExp(`tick \\(state file changed: dax1\\.0 ${before} -> unplugged\\): `));
  assert.is((await w.stop()).code, 0);
});

cli.run();
