// The one door to sysfs. Everything daxplan reads or writes goes through a
// Sysfs so that a fixture tree, a snapshot or a simulated kernel can stand in
// for /sys. Paths are relative to the root ("bus/dax/devices").
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface Sysfs {
  readonly root: string;
  /** File content with the trailing newline removed, or undefined when absent. */
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

export class DirSysfs implements Sysfs {
  constructor(readonly root: string) {}

  private abs(rel: string): string {
    return path.join(this.root, normalise(rel));
  }

  read(rel: string): string | undefined {
    try {
      return fs.readFileSync(this.abs(rel), 'utf8').replace(/\n$/, '');
    } catch (err) {
      if (isMissing(err)) return undefined;
      throw err;
    }
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

function isMissing(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}
