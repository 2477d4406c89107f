// One daxplan run at a time: an flock(2) on a file under /run/daxplan, held
// by a flock(1) child for as long as this process lives (Node has no flock
// call). The kernel drops the lock when either process dies, so a crashed run
// never leaves a stale lock behind.
import type * as ChildProcesses from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { once } from 'node:events';
import { HostError, LockHeldError } from '../model/errors.js';
import { writeFileNoFollow } from '../host/safewrite.js';
import { builtin } from '../lazy.js';
import { describeHolder, readHolder, type Holder } from '../host/lock-record.js';

const childProcess = builtin<typeof ChildProcesses>('node:child_process');

export const DEFAULT_LOCK_FILE = '/run/daxplan/lock';
const HELD_EXIT = 75;

export interface Lock {
  file: string;
  /**
   * The previous holder, when it died holding the lock (a clean release
   * empties the file): what it was doing is what the host may be left in.
   */
  interrupted: Holder | undefined;
  /** Records the device being moved (or none), for whoever finds the lock next. */
  record(moving: Holder['moving']): void;
  release(): Promise<void>;
}

/**
 * Takes the lock, waiting up to `timeoutSeconds` (0: do not wait). `onWait`
 * hears who holds it before waiting starts.
 */
export async function acquireLock(
  file: string,
  options: { timeoutSeconds: number; trigger: string; onWait?: (holder: string) => void },
): Promise<Lock> {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o755 });
  // flock(1) opens with O_CREAT and follows links: make sure it finds a regular file.
  const stat = fs.lstatSync(file, { throwIfNoEntry: false });
  if (stat && !stat.isFile()) throw new HostError(`refusing the lock file ${file}: it is not a regular file`);
  if (!stat) writeFileNoFollow(file, '');
  let child = await tryFlock(file, 0);
  if (!child && options.timeoutSeconds > 0) {
    options.onWait?.(describeHolder(readHolder(file)));
    child = await tryFlock(file, options.timeoutSeconds);
  }
  if (!child)
    throw new LockHeldError(
      `lock ${file} is held by ${describeHolder(readHolder(file))}${options.timeoutSeconds ? ` (waited ${options.timeoutSeconds}s)` : ''}`,
    );
  const interrupted = readHolder(file);
  const holder: Holder = { pid: process.pid, trigger: options.trigger, started: new Date().toISOString() };
  writeFileNoFollow(file, JSON.stringify(holder) + '\n');
  const held = child;
  return {
    file,
    interrupted,
    record(moving) {
      writeFileNoFollow(file, JSON.stringify({ ...holder, ...(moving ? { moving } : {}) }) + '\n');
    },
    async release() {
      writeFileNoFollow(file, '');
      held.stdin?.end();
      if (held.exitCode === null) await once(held, 'exit');
    },
  };
}

/** A flock(1) child holding the lock, or undefined when it is held elsewhere. */
async function tryFlock(file: string, waitSeconds: number): Promise<ChildProcess | undefined> {
  const wait = waitSeconds > 0 ? ['--wait', String(waitSeconds)] : ['--nonblock'];
  const child = childProcess().spawn('flock', ['--exclusive', ...wait, '--conflict-exit-code', String(HELD_EXIT), file, 'sh', '-c', 'echo locked; exec cat >/dev/null'], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const first = await new Promise<'locked' | { code: number | null }>((resolve, reject) => {
    child.stdout!.once('data', () => resolve('locked'));
    child.once('exit', (code) => resolve({ code }));
    child.once('error', (err) => reject(new HostError(`cannot run flock(1) to take the lock ${file}: ${err.message} (install util-linux)`)));
  });
  if (first === 'locked') {
    child.stdout!.destroy();
    return child;
  }
  if (first.code === HELD_EXIT) return undefined;
  throw new HostError(`flock(1) failed on ${file} (exit ${first.code})`);
}
