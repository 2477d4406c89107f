// One daxplan run at a time per sysfs tree, without a helper process (Node
// has no flock call, and spawning flock(1) costs a fork and three execs at
// every apply). The lock is a listening Unix socket in the abstract
// namespace, named after the lock file's device and inode: bind() fails with
// EADDRINUSE while another process holds the name, and the kernel frees it
// when the holder closes it, exits or is killed, so a crashed run never
// leaves a stale lock. The lock file itself holds the holder record.
// Abstract names are per network namespace: every daxplan on a host must run
// in the same one (the contrib units therefore set no PrivateNetwork=).
// The lock file stays open while the lock is held: the holder's records go
// through that descriptor, vetted once (host/trust.ts), not at every write.
// A transient lock file (a tree's own) is removed by a clean release; a run
// that opened it before the removal finds, once it holds the old file's lock,
// that the path names another file (or none), and starts over on the new one.
import { accessSync, closeSync, constants, existsSync, fstatSync, ftruncateSync, mkdirSync, readSync, rmSync, statSync, writeSync } from 'node:fs';
import type * as net from 'node:net';
import { tmpdir } from 'node:os';
import { dirname } from 'node:path';
import { DaxplanError, EXIT, HostError, LockHeldError } from '../model/errors.js';
import { openTrusted, RefusedFileError } from '../host/trust.js';
import { describeSocketHolder, lockSocketName, socketHolders, squatters } from '../host/lock-socket.js';
import { describeHolder, MAX_HOLDER_BYTES, parseHolder, type Holder } from '../host/lock-record.js';
import type { Ledger } from './owed.js';
import { builtin } from '../model/builtin.js';

export const DEFAULT_LOCK_FILE = '/run/daxplan/lock';
/** How often a waiting run tries the lock again. */
const RETRY_MS = 50;
// A lock file is vetted like every file root writes (host/trust.ts): a regular
// file no other user can write, in a directory no other user can change.
const VETTING = { exitCode: EXIT.runtime };

/** Also the ledger of what a bind owes auto_online_blocks (apply/owed.ts): every record carries the debt until it is cleared. */
export interface Lock extends Ledger {
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

/** The lock file cannot be made or opened by this user (EX_CANTCREAT): where it tried, and how to choose. */
export class LockFileError extends DaxplanError {
  constructor(file: string, code: string) {
    const uid = process.getuid?.();
    const how =
      uid === 0
        ? 'choose another with --lock-file FILE'
        : `choose another with --lock-file FILE; a --sysfs-root tree's default lock goes in TMPDIR (now ${tmpdir()})${file === DEFAULT_LOCK_FILE ? `; apply on this host's /sys runs as root` : ''}`;
    super(`cannot create the lock file ${file} (${code}${uid === 0 || uid === undefined ? '' : `, as uid ${uid}`}): ${how}`, EXIT.cannotCreate);
  }
}

/** Thrown inside acquireLock when the lock won belongs to a transient file removed meanwhile. */
const REMOVED = new Error('the lock file was removed while waiting');

/**
 * Takes the lock, waiting up to `timeoutSeconds` (0: do not wait). `onWait`
 * hears who holds it before waiting starts. A `transient` lock file is removed
 * when released with nothing on record (no run leaves it behind).
 */
export async function acquireLock(
  file: string,
  options: { timeoutSeconds: number; trigger: string; transient?: boolean; onWait?: (holder: string) => void },
): Promise<Lock> {
  const fd = openLockFile(file);
  let socket: net.Server | undefined;
  try {
    const name = lockName(fd);
    socket = await tryHold(file, name);
    if (!socket && options.timeoutSeconds > 0) {
      options.onWait?.(heldBy(fd, name));
      const deadline = Date.now() + options.timeoutSeconds * 1000;
      while (!socket && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, Math.min(RETRY_MS, deadline - Date.now())));
        socket = await tryHold(file, name);
      }
    }
    if (!socket)
      throw new LockHeldError(
        `lock ${file} is held by ${heldBy(fd, name)}${options.timeoutSeconds ? ` (waited ${options.timeoutSeconds}s)` : ''}`,
      );
    if (options.transient && !namesFile(file, fd)) throw REMOVED;
    const interrupted = readRecord(fd);
    const holder: Holder = { pid: process.pid, trigger: options.trigger, started: new Date().toISOString() };
    // What is owed stays on record, whatever this run moves, until a run has put it back.
    let owed = interrupted?.owed;
    let moving: Holder['moving'];
    const write = () => writeRecord(fd, JSON.stringify({ ...holder, ...(moving ? { moving } : {}), ...(owed ? { owed } : {}) }) + '\n');
    write();
    const held = socket;
    let released = false;
    return {
      file,
      interrupted,
      get owed() {
        return owed;
      },
      record(now) {
        moving = now;
        write();
      },
      owe(debt) {
        owed = debt;
        write();
      },
      async release() {
        if (released) return;
        released = true;
        try {
          // Empty: released cleanly, nothing owed. A debt stays on record, with no device moving.
          moving = undefined;
          if (owed) write();
          else {
            writeRecord(fd, '');
            // Removed while still held: whoever opened it meanwhile sees it gone once it holds it.
            if (options.transient) rmSync(file, { force: true });
          }
        } finally {
          try {
            closeSync(fd);
          } finally {
            await new Promise((resolve) => held.close(resolve));
          }
        }
      },
    };
  } catch (err) {
    socket?.close();
    closeSync(fd);
    if (err === REMOVED) return acquireLock(file, options);
    throw err;
  }
}

/**
 * Throws LockFileError now when this user cannot create or open the lock file
 * (watch --apply at start: every tick would fail the same way). A transient
 * lock file it had to create is removed again.
 */
export function checkLockFile(file: string, transient: boolean): void {
  const existed = existsSync(file);
  closeSync(openLockFile(file));
  if (transient && !existed) rmSync(file, { force: true });
}

/** Opens (creating) the lock file; a directory or file this user may not create or open is a LockFileError. */
function openLockFile(file: string): number {
  try {
    mkdirSync(dirname(file), { recursive: true, mode: 0o755 });
    return openTrusted(file, VETTING);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? (err instanceof RefusedFileError ? deniedAccess(file) : undefined);
    if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') throw new LockFileError(file, code);
    throw err;
  }
}

/** Why this user may not open the file, or create it in its directory, if that is why it was refused. */
function deniedAccess(file: string): string | undefined {
  try {
    accessSync(existsSync(file) ? file : dirname(file), constants.R_OK | constants.W_OK);
    return undefined;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code;
  }
}

/** Whether the path still names the open file (a transient lock file may have been removed since it was opened). */
function namesFile(file: string, fd: number): boolean {
  const now = statSync(file, { throwIfNoEntry: false });
  const held = fstatSync(fd);
  return now !== undefined && now.dev === held.dev && now.ino === held.ino;
}

/** The abstract socket name (without its NUL) for the open lock file: its identity, not its path. */
function lockName(fd: number): string {
  return lockSocketName(fstatSync(fd, { bigint: true }));
}

/**
 * Who holds the lock: the run the lock file names, unless /proc shows the
 * socket held by another process (something squatting the name, while the
 * record names a run that may be long dead).
 */
function heldBy(fd: number, name: string): string {
  const holders = socketHolders(name);
  const record = readRecord(fd);
  const others = squatters(holders, record?.pid);
  if (!others.length) return describeHolder(record);
  return `${others.map(describeSocketHolder).join(', ')}${record ? `, not by the daxplan run its file names (${describeHolder(record)})` : ''}`;
}

/** The holder the open lock file records (see parseHolder); none when the file is larger than a record may be, as for readHolder. */
function readRecord(fd: number): Holder | undefined {
  const buffer = Buffer.alloc(MAX_HOLDER_BYTES + 1);
  const length = readSync(fd, buffer, 0, buffer.length, 0);
  return length > MAX_HOLDER_BYTES ? undefined : parseHolder(buffer.toString('utf8', 0, length));
}

/** Writes a record over the last one, then cuts the file to it: a run killed in between leaves the new record first. */
function writeRecord(fd: number, text: string): void {
  const bytes = Buffer.from(text);
  for (let done = 0; done < bytes.length; ) done += writeSync(fd, bytes, done, bytes.length - done, done);
  ftruncateSync(fd, bytes.length);
}

/** The socket holding the lock, or undefined when another process holds it. */
function tryHold(file: string, name: string): Promise<net.Server | undefined> {
  // Nobody is meant to connect; whoever does is hung up on.
  const server = builtin('node:net').createServer((peer) => peer.destroy());
  return new Promise((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE') resolve(undefined);
      else reject(new HostError(`cannot take the lock ${file}: ${err.code ?? err.message}`));
    });
    server.listen({ path: `\0${name}`, backlog: 1 }, () => {
      // The lock never keeps the process alive; exiting releases it.
      server.unref();
      resolve(server);
    });
  });
}
