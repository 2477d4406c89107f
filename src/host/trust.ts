// Files daxplan reads or writes on someone's say-so: the policy, saved plans,
// snapshots, plan --out, the lock, the pause marker. daxplan runs as root, so
// each is vetted before it is opened and again on the open descriptor:
//   - always: a regular file (never a symlink at the last component, a FIFO,
//     a device node or a directory, so nothing blocks or follows a planted
//     link), and at most a size cap; a file written has no other hard link;
//   - as root: owned by root and writable by no one else, in a directory that
//     no one else can change: every directory from it up to / owned by root
//     and not writable by group or others unless sticky (as /tmp). A file
//     another user could have written or swapped is not root's to trust.
import { type Stats, closeSync, constants, fstatSync, ftruncateSync, lstatSync, openSync, readSync, realpathSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { DaxplanError } from '../model/errors.js';

/** A file refused by the vetting: `reason` says why and how to fix it. */
export class RefusedFileError extends DaxplanError {
  constructor(
    readonly file: string,
    readonly reason: string,
    exitCode: number,
  ) {
    super(`${file}: ${reason}`, exitCode);
  }
}

export interface Vetting {
  /** The exit code of a refusal (the caller's error class: 64 for documents, 65 for the policy, 1 for writes). */
  exitCode: number;
  /** Whether the ownership rules apply (default: running as root). */
  asRoot?: boolean;
}

export function runningAsRoot(): boolean {
  return process.geteuid?.() === 0;
}

const STICKY = 0o1000;
const A_LINK = 'is a symbolic link; daxplan reads and writes only regular files (name the real file)';
const NOT_REGULAR = 'is not a regular file (a directory, FIFO or device node)';
const { O_RDONLY, O_WRONLY, O_RDWR, O_CREAT, O_NOFOLLOW, O_NONBLOCK, O_NOCTTY } = constants;

/** The text of a vetted file of at most `maxBytes`; throws RefusedFileError. */
export function readTrusted(file: string, vetting: Vetting & { maxBytes: number }): string {
  const { target, asRoot, refuse } = locate(file, vetting);
  const seen = lstatSync(target, { throwIfNoEntry: false });
  if (!seen) return refuse('does not exist');
  checkFile(seen, asRoot, refuse, file);
  if (seen.size > vetting.maxBytes) refuse(`is larger than ${vetting.maxBytes} bytes`);
  const fd = open(target, O_RDONLY, refuse);
  try {
    const stat = fstatSync(fd);
    if (stat.dev !== seen.dev || stat.ino !== seen.ino) refuse('was replaced while being opened');
    checkFile(stat, asRoot, refuse, file);
    // Read one byte past the cap: the size lstat saw may have grown since.
    const buffer = Buffer.alloc(Math.min(stat.size, vetting.maxBytes) + 1);
    let length = 0;
    for (let n; length < buffer.length && (n = readSync(fd, buffer, length, buffer.length - length, null)) > 0; ) length += n;
    if (length > vetting.maxBytes) refuse(`is larger than ${vetting.maxBytes} bytes`);
    return buffer.toString('utf8', 0, length);
  } finally {
    closeSync(fd);
  }
}

/** Replaces the content of a vetted file, creating it (with `mode`) when absent; throws RefusedFileError. */
export function writeTrusted(file: string, text: string, vetting: Vetting & { mode?: number }): void {
  const fd = openForWrite(file, vetting, O_WRONLY);
  try {
    ftruncateSync(fd, 0);
    writeFileSync(fd, text);
  } finally {
    closeSync(fd);
  }
}

/** A vetted file opened for reading and writing, created (with `mode`) when absent, its content untouched; the caller closes it. */
export function openTrusted(file: string, vetting: Vetting & { mode?: number }): number {
  return openForWrite(file, vetting, O_RDWR);
}

function openForWrite(file: string, vetting: Vetting & { mode?: number }, access: number): number {
  const { target, asRoot, refuse } = locate(file, vetting);
  // Looked at before it is opened: opening a device node can act (a watchdog starts counting).
  const seen = lstatSync(target, { throwIfNoEntry: false });
  if (seen) checkWritable(seen, asRoot, refuse, file);
  // No O_TRUNC: a file that fails the checks below is left as it was.
  const fd = open(target, access | O_CREAT, refuse, vetting.mode ?? 0o644);
  try {
    checkWritable(fstatSync(fd), asRoot, refuse, file);
    return fd;
  } catch (err) {
    closeSync(fd);
    throw err;
  }
}

type Refuse = (reason: string) => never;

/** Where to open: as root, the file's name in its real directory, once that directory's chain is vetted. */
function locate(file: string, vetting: Vetting): { target: string; asRoot: boolean; refuse: Refuse } {
  const refuse: Refuse = (reason) => {
    throw new RefusedFileError(file, reason, vetting.exitCode);
  };
  const asRoot = vetting.asRoot ?? runningAsRoot();
  const absolute = resolve(file);
  if (!asRoot) return { target: absolute, asRoot, refuse };
  let dir: string;
  try {
    dir = realpathSync(dirname(absolute));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return refuse(code === 'ENOENT' ? `its directory ${dirname(absolute)} does not exist` : `its directory cannot be resolved (${code})`);
  }
  const unsafe = unsafeDirectory(dir);
  if (unsafe) refuse(`a non-root user can replace it: ${unsafe}; keep it in a directory only root can write (e.g. /etc/daxplan, /root)`);
  return { target: join(dir, basename(absolute)), asRoot, refuse };
}

/** Why a real directory (or one above it) lets another user swap its entries, or undefined. */
function unsafeDirectory(dir: string): string | undefined {
  for (let d = dir; ; d = dirname(d)) {
    const stat = statSync(d);
    if (stat.uid !== 0) return `directory ${d} is owned by uid ${stat.uid}`;
    if ((stat.mode & 0o022) !== 0 && (stat.mode & STICKY) === 0)
      return `directory ${d} is writable by group or others (mode ${(stat.mode & 0o777).toString(8)}) without the sticky bit`;
    if (d === dirname(d)) return undefined;
  }
}

function checkFile(stat: Stats, asRoot: boolean, refuse: Refuse, file: string): void {
  if (stat.isSymbolicLink()) refuse(A_LINK);
  if (!stat.isFile()) refuse(NOT_REGULAR);
  if (asRoot && (stat.uid !== 0 || (stat.mode & 0o022) !== 0))
    refuse(
      `a non-root user can write it while daxplan runs as root (owner uid ${stat.uid}, mode ${(stat.mode & 0o777).toString(8)}); fix with: chown root:root ${file} && chmod go-w ${file}`,
    );
}

/** A file to write: as one to read, and its only name (a hard link's other name, say /etc/shadow, would be written too). */
function checkWritable(stat: Stats, asRoot: boolean, refuse: Refuse, file: string): void {
  checkFile(stat, asRoot, refuse, file);
  if (stat.nlink > 1) refuse(`has ${stat.nlink} hard links: writing it would change the file under its other names too; remove it, or name another file`);
}

/** open(2) that never follows a last-component link, never waits on a FIFO and never takes a terminal. */
function open(target: string, flags: number, refuse: Refuse, mode?: number): number {
  try {
    return openSync(target, flags | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY, mode);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ELOOP') return refuse(A_LINK);
    if (code === 'ENXIO' || code === 'EISDIR') return refuse(NOT_REGULAR);
    return refuse(code === 'ENOENT' ? 'does not exist' : `cannot be opened (${code})`);
  }
}
