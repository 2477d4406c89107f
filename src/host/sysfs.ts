// The one door to sysfs. Everything daxplan reads or writes goes through a
// Sysfs so that a fixture tree, a snapshot or a simulated kernel can stand in
// for /sys. Paths are relative to the root ("bus/dax/devices"), and the paths
// daxplan uses live here.
import { type StatsBase, closeSync, constants, existsSync, fstatSync, lstatSync, openSync, readSync, readdirSync, readlinkSync, realpathSync, statSync, statfsSync, writeSync } from 'node:fs';
import { basename, dirname, join, posix, resolve } from 'node:path';

export const DAX_DEVICES = 'bus/dax/devices';
export const DAX_DRIVERS = 'bus/dax/drivers';
export const MEMORY = 'devices/system/memory';
export const TIERS = 'devices/virtual/memory_tiering';
export const CXL_DEVICES = 'bus/cxl/devices';
/** A dax device name; checked before a name from outside (flags, udev's environment) touches a path. */
export const DEVICE_NAME = /^dax\d+\.\d+$/;

export interface Sysfs {
  readonly root: string;
  /**
   * File content with the trailing newline removed, or undefined when absent.
   * Throws SysfsReadError for what is there but is no attribute (a FIFO, a
   * directory, a loop, an oversized or unreadable file).
   */
  read(rel: string): string | undefined;
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

export class SysfsReadError extends Error {
  constructor(
    readonly file: string,
    readonly reason: string,
  ) {
    super(`${file}: ${reason}`);
  }
}

/** sysfs attributes are at most a page; anything larger is not one. */
export const MAX_ATTRIBUTE_BYTES = 4096;

/** A value read from a hostile tree, shortened and made printable for a message. */
export function clip(text: string): string {
  // JSON escapes C0 controls; C1 (U+0080-U+009F: CSI and the like) it leaves raw.
  const quoted = JSON.stringify(text.length > 64 ? `${text.slice(0, 64)}…` : text).slice(1, -1);
  return quoted.replace(/[\u0080-\u009f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

export function normalise(rel: string): string {
  const clean = posix.normalize(rel.replace(/^\/+/, ''));
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

// One buffer for every read: reads of a memory block's state are the hot path
// (32k blocks on a 4 TiB host). One byte more than an attribute may hold, to
// tell an oversized file.
const READ_BUFFER = Buffer.allocUnsafe(MAX_ATTRIBUTE_BYTES + 1);

/** Entries of one directory looked up one lstat each before it is listed instead (DirSysfs.isLink). */
const LIST_AFTER = 64;

export class DirSysfs implements Sysfs {
  /** The root with one trailing slash: prefix + clean rel === join(root, rel). */
  private readonly prefix: string;
  private realRoot: string | undefined;
  /**
   * A tree other than the real /sys: every read stays inside it. Trees hold
   * links (bus/dax/devices/daxN.M, driver), followed only where they lead to
   * within the tree; directories resolved once each.
   */
  private readonly confined: Map<string, string> | undefined;
  /** Per real directory of a confined tree: entries looked up so far, or (past LIST_AFTER) its listing, name -> is a link. */
  private readonly entries = new Map<string, number | Map<string, boolean>>();

  /** One byte more than a file may hold, to tell an oversized one. */
  private readonly buffer: Buffer;

  /** `maxBytes`: a page for sysfs; more for trees of other files read through the same door (doctor's /etc, /usr/lib, which links may leave: confine false). */
  constructor(
    readonly root: string,
    maxBytes = MAX_ATTRIBUTE_BYTES,
    confine = !isRealSysfs(root),
  ) {
    this.buffer = maxBytes === MAX_ATTRIBUTE_BYTES ? READ_BUFFER : Buffer.allocUnsafe(maxBytes + 1);
    const real = confine ? realOrUndefined(root) : undefined;
    if (real !== undefined && real !== '/') {
      this.realRoot = real;
      this.confined = new Map();
    }
    // A confined tree's paths are absolute: they are resolved and compared with its real root.
    this.prefix = join(this.confined ? resolve(root) : root, '/');
  }

  private abs(rel: string): string {
    return this.prefix + (isClean(rel) ? rel : normalise(rel));
  }

  /** The tree's root, links resolved. */
  private real(root: string): string {
    return (this.realRoot ??= realpathSync(root));
  }

  /**
   * Where `rel` is, its links followed (all of them, or all but the last
   * component's): undefined when it does not exist; SysfsReadError when it
   * leads out of a confined tree.
   */
  private resolved(rel: string, lastToo: boolean): string | undefined {
    const abs = this.abs(rel);
    if (!this.confined) return abs;
    const real = lastToo ? realOrUndefined(abs) : this.realDirectory(dirname(abs), this.confined);
    if (real === undefined) return undefined;
    const root = this.real(this.root);
    if (real !== root && !real.startsWith(root + '/')) throw new SysfsReadError(rel, `leads out of the tree (to ${clip(real)})`);
    return lastToo ? real : under(real, basename(abs));
  }

  /**
   * A directory's real path, from its parent's (cached): whether it is a
   * link (isLink), then a realpath only for one that is. Undefined when it
   * does not exist.
   */
  private realDirectory(dir: string, cache: Map<string, string>): string | undefined {
    const known = cache.get(dir);
    if (known !== undefined) return known;
    const parent = dirname(dir);
    let real: string | undefined;
    if (parent === dir) real = dir;
    else {
      const up = this.realDirectory(parent, cache);
      if (up === undefined) return undefined;
      const link = this.isLink(up, basename(dir));
      if (link === undefined) return undefined;
      real = link ? realOrUndefined(dir) : under(up, basename(dir));
    }
    if (real !== undefined) cache.set(dir, real);
    return real;
  }

  /**
   * Whether an entry of a (real) directory is a link, undefined when there is
   * none: an lstat each for the first entries looked up, then one listing of
   * the directory (a tree's devices/system/memory holds one entry per block:
   * 32k lstats cost five times its listing). An entry the listing lacks is
   * looked at again: the tree may have gained it since.
   */
  private isLink(dir: string, name: string): boolean | undefined {
    let seen = this.entries.get(dir) ?? 0;
    if (typeof seen === 'number' && seen >= LIST_AFTER) {
      const listing = new Map<string, boolean>();
      try {
        for (const entry of readdirSync(dir, { withFileTypes: true })) listing.set(entry.name, entry.isSymbolicLink());
      } catch {
        // unreadable: entry by entry, as before the listing
      }
      seen = listing;
    }
    const listed = typeof seen === 'number' ? undefined : seen.get(name);
    this.entries.set(dir, typeof seen === 'number' ? seen + 1 : seen);
    if (listed !== undefined) return listed;
    return lstatSync(under(dir, name), { throwIfNoEntry: false })?.isSymbolicLink();
  }

  read(rel: string): string | undefined {
    const file = this.resolved(rel, false);
    // In a confined tree the attribute itself is never a link (sysfs attributes are files).
    return file === undefined ? undefined : readAttribute(file, rel, this.buffer, this.confined ? constants.O_NOFOLLOW : 0);
  }

  link(rel: string): string | undefined {
    const at = this.resolved(rel, false);
    if (at === undefined) return undefined;
    try {
      return readlinkSync(at);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EINVAL') return undefined;
      throw new SysfsReadError(rel, `cannot read the link: ${code}`);
    }
  }

  list(rel: string): string[] {
    const dir = this.resolved(rel, true);
    if (dir === undefined) return [];
    try {
      return readdirSync(dir);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return [];
      throw new SysfsReadError(rel, `cannot list the directory: ${code}`);
    }
  }

  exists(rel: string): boolean {
    const at = this.resolved(rel, true);
    return at !== undefined && existsSync(at);
  }

  write(rel: string, value: string): void {
    const abs = this.abs(rel);
    try {
      // A write never leaves the tree, whatever links inside it point at.
      const real = realpathSync(abs);
      const root = this.real(this.root);
      if (!real.startsWith(root === '/' ? '/' : root + '/')) throw Object.assign(new Error('outside the tree'), { code: 'EXDEV' });
      // No O_CREAT: a mistyped attribute must fail, not appear as a new file.
      // O_NONBLOCK: a FIFO planted in a tree does not hang the run.
      const fd = openSync(real, constants.O_WRONLY | constants.O_TRUNC | constants.O_NOFOLLOW | constants.O_NONBLOCK);
      try {
        if (!fstatSync(fd).isFile()) throw Object.assign(new Error('not a file'), { code: 'EINVAL' });
        writeSync(fd, value + '\n');
      } finally {
        closeSync(fd);
      }
    } catch (err) {
      throw new SysfsWriteError(rel, value, (err as NodeJS.ErrnoException).code ?? 'EIO');
    }
  }
}

/** A file's text through `files`, or undefined when it cannot be read (a directory, no permission, too big): for host files read as evidence. */
export function readIfReadable(files: Sysfs, rel: string): string | undefined {
  try {
    return files.read(rel);
  } catch {
    return undefined;
  }
}

/** `name` in the real (absolute, normalised) directory `dir`: path.join's normalising is a tenth of a block's read in a big tree. */
function under(dir: string, name: string): string {
  return dir === '/' ? `/${name}` : `${dir}/${name}`;
}

/** The path with every link resolved, or undefined when it does not exist; SysfsReadError-free: a loop reads as absent here and fails where it is opened. */
function realOrUndefined(path: string): string | undefined {
  try {
    return realpathSync.native(path);
  } catch {
    return undefined;
  }
}

/** Resolve a link found at `rel` into a root-relative path (undefined when it points outside the root). */
export function resolveLink(sysfs: Sysfs, rel: string): string | undefined {
  const target = sysfs.link(rel);
  if (target === undefined) return undefined;
  const joined = posix.join(posix.dirname(normalise(rel)), target);
  return joined.startsWith('../') || joined.startsWith('/') ? undefined : joined;
}

/**
 * What names a tree whatever path reaches it (a symlink, `..`, a bind mount):
 * its directory's device and inode; the resolved path when it cannot be read.
 */
export function treeIdentity(root: string): string {
  const stat = statSync(root, { throwIfNoEntry: false });
  return stat ? `${stat.dev}:${stat.ino}` : resolve(root);
}

/**
 * Whether `root` is this machine's /sys, however it is reached (a symlink, a
 * bind mount, "/sys/."): the same directory as /sys, or a sysfs mount.
 */
export function isRealSysfs(root: string): boolean {
  let here: StatsBase<number>;
  try {
    here = statSync(root);
  } catch {
    return false;
  }
  try {
    const sys = statSync('/sys');
    if (here.dev === sys.dev && here.ino === sys.ino) return true;
  } catch {
    // no /sys: fall through to the mount check
  }
  return isSysfsMount(root);
}

const SYSFS_MAGIC = 0x62656572;

function isSysfsMount(root: string): boolean {
  try {
    return statfsSync(root).type === SYSFS_MAGIC;
  } catch {
    return false;
  }
}

/**
 * An attribute's content without its trailing newline, undefined when it is
 * missing; SysfsReadError for anything that is not a readable regular file
 * of at most a page (open, read, close: no fstat on the hot path unless the
 * open or read says something is off).
 */
function readAttribute(file: string, rel: string, buffer: Buffer, flags: number): string | undefined {
  const maxBytes = buffer.length - 1;
  let fd: number;
  try {
    // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer.
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK | flags);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw new SysfsReadError(rel, code === 'ELOOP' ? (flags & constants.O_NOFOLLOW ? 'a symbolic link (or a loop), not an attribute' : 'symlink loop') : `cannot open: ${code}`);
  }
  try {
    let n: number;
    try {
      n = readSync(fd, buffer, 0, buffer.length, null);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new SysfsReadError(rel, code === 'EISDIR' ? 'a directory, not an attribute' : `cannot read: ${code}`);
    }
    if (n > maxBytes) throw new SysfsReadError(rel, `larger than ${maxBytes} bytes${maxBytes === MAX_ATTRIBUTE_BYTES ? ': not a sysfs attribute' : ''}`);
    if (n === 0 && !fstatSync(fd).isFile()) throw new SysfsReadError(rel, 'not a regular file (a FIFO or device node?)');
    const text = buffer.toString('utf8', 0, n);
    return text.endsWith('\n') ? text.slice(0, -1) : text;
  } finally {
    closeSync(fd);
  }
}
