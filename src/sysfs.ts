// The one door to sysfs. Everything daxplan reads or writes goes through a
// Sysfs so that a fixture tree, a snapshot or a simulated kernel can stand in
// for /sys. Paths are relative to the root ("bus/dax/devices").
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PARALLEL_MIN, readMany } from './readmany.js';

export interface Sysfs {
  readonly root: string;
  /** File content with the trailing newline removed, or undefined when absent. */
  read(rel: string): string | undefined;
  /** rels.map(read), perhaps faster (DirSysfs reads thousands of files with two threads). */
  readMany?(rels: string[]): (string | undefined)[];
  /** Target of a symlink, relative to the link's directory, or undefined. */
  link(rel: string): string | undefined;
  /** Entry names of a directory (empty when absent). */
  list(rel: string): string[];
  exists(rel: string): boolean;
  /** Writes like `echo value > file`; throws SysfsWriteError with the errno code. */
  write(rel: string, value: string): void;
}

export class SysfsWriteError extends Error {
  constructor(
    readonly file: string,
    readonly value: string,
    readonly code: string,
  ) {
    super(`write "${value}" to ${file} failed: ${code}`);
  }
}

// Some copies of sysfs trees (archives, checkouts without symlink support)
// turn a symlink into a small file holding its target. Real sysfs attribute
// files never hold a relative path, so reading such a file as a link is safe.
const FLATTENED_LINK = /^\.\.\/[^\n]*$/;
const MAX_FLATTENED_LINK_BYTES = 4096;

export function normalise(rel: string): string {
  const clean = path.posix.normalize(rel.replace(/^\/+/, ''));
  if (clean === '..' || clean.startsWith('../')) throw new Error(`path escapes the sysfs root: ${rel}`);
  return clean;
}

/** Whether normalise() would return rel unchanged: no leading, doubled or trailing slash, no "." or ".." segment. */
export function isClean(rel: string): boolean {
  const n = rel.length;
  if (n === 0 || rel.charCodeAt(0) === SLASH || rel.charCodeAt(n - 1) === SLASH) return false;
  for (let start = 0, i = 0; i <= n; i++) {
    if (i < n && rel.charCodeAt(i) !== SLASH) continue;
    const len = i - start;
    if (len === 0) return false;
    if (rel.charCodeAt(start) === DOT && (len === 1 || (len === 2 && rel.charCodeAt(start + 1) === DOT))) return false;
    start = i + 1;
  }
  return true;
}
const SLASH = 47;
const DOT = 46;

// One buffer for every read: sysfs attributes are at most a page, and reads
// of a memory block's state are the hot path (32k blocks on a 4 TiB host).
const READ_BUFFER = Buffer.allocUnsafe(4096);

export class DirSysfs implements Sysfs {
  /** The root with one trailing slash: prefix + clean rel === path.join(root, rel). */
  private readonly prefix: string;

  constructor(
    readonly root: string,
    /** How many files readMany() reads on one thread before it takes a second. */
    private readonly parallelMin = PARALLEL_MIN,
  ) {
    this.prefix = path.join(root, '/');
  }

  private abs(rel: string): string {
    return isClean(rel) ? this.prefix + rel : path.join(this.root, normalise(rel));
  }

  read(rel: string): string | undefined {
    return readFile(this.abs(rel));
  }

  readMany(rels: string[]): (string | undefined)[] {
    return readMany(
      rels.map((rel) => this.abs(rel)),
      readFile,
      this.parallelMin,
    );
  }

  link(rel: string): string | undefined {
    const abs = this.abs(rel);
    let stat: fs.Stats;
    try {
      stat = fs.lstatSync(abs);
    } catch (err) {
      if (isMissing(err)) return undefined;
      throw err;
    }
    if (stat.isSymbolicLink()) return fs.readlinkSync(abs);
    if (stat.isFile() && stat.size > 0 && stat.size < MAX_FLATTENED_LINK_BYTES) {
      const text = fs.readFileSync(abs, 'utf8').trim();
      if (FLATTENED_LINK.test(text)) return text;
    }
    return undefined;
  }

  list(rel: string): string[] {
    try {
      return fs.readdirSync(this.abs(rel));
    } catch (err) {
      if (isMissing(err)) return [];
      throw err;
    }
  }

  exists(rel: string): boolean {
    return fs.existsSync(this.abs(rel));
  }

  write(rel: string, value: string): void {
    const abs = this.abs(rel);
    try {
      // No O_CREAT: a mistyped attribute must fail, not appear as a new file.
      const fd = fs.openSync(abs, fs.constants.O_WRONLY | fs.constants.O_TRUNC);
      try {
        fs.writeSync(fd, value + '\n');
      } finally {
        fs.closeSync(fd);
      }
    } catch (err) {
      throw new SysfsWriteError(rel, value, (err as NodeJS.ErrnoException).code ?? 'EIO');
    }
  }
}

/** Resolve a link found at `rel` into a root-relative path. */
export function resolveLink(sysfs: Sysfs, rel: string): string | undefined {
  const target = sysfs.link(rel);
  if (target === undefined) return undefined;
  const joined = path.posix.join(path.posix.dirname(normalise(rel)), target);
  return joined.startsWith('../') ? undefined : joined;
}

/** A file's content without its trailing newline, or undefined when it is missing. */
function readFile(file: string): string | undefined {
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY);
  } catch (err) {
    if (isMissing(err)) return undefined;
    throw err;
  }
  let text: string;
  try {
    text = readAll(fd);
  } finally {
    fs.closeSync(fd);
  }
  return text.endsWith('\n') ? text.slice(0, -1) : text;
}

/** sysfs.readMany(rels), or one read at a time where the Sysfs has no readMany. */
export function readFiles(sysfs: Sysfs, rels: string[]): (string | undefined)[] {
  return sysfs.readMany ? sysfs.readMany(rels) : rels.map((rel) => sysfs.read(rel));
}

/** The rest of an open file as UTF-8, in one read when it fits the buffer (open, read, close: no fstat). */
function readAll(fd: number): string {
  const n = fs.readSync(fd, READ_BUFFER, 0, READ_BUFFER.length, null);
  if (n < READ_BUFFER.length) return READ_BUFFER.toString('utf8', 0, n);
  const chunks = [Buffer.from(READ_BUFFER)];
  for (;;) {
    const chunk = Buffer.allocUnsafe(65536);
    const got = fs.readSync(fd, chunk, 0, chunk.length, null);
    if (got === 0) break;
    chunks.push(chunk.subarray(0, got));
  }
  return Buffer.concat(chunks).toString('utf8');
}

function isMissing(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}
