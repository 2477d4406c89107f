// daxplan disable / enable: a pause for maintenance. While the marker file
// exists, runs started by udev, at boot or on a schedule log the reason and
// exit 0 without changing anything; a manual apply refuses unless --force.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DaxplanError, EXIT } from '../model/errors.js';

/** The marker, relative to the host root (--root, default /). */
export const PAUSE_FILE = 'var/lib/daxplan/disabled';
const MAX_MARKER_BYTES = 64 * 1024;
export const MAX_REASON_LENGTH = 500;

export interface Pause {
  reason: string;
  /** Who disabled daxplan (the user behind sudo where known). */
  by: string;
  /** When, ISO 8601. */
  since: string;
  /** The marker file. */
  file: string;
}

export function pauseFile(root: string): string {
  return path.join(root, PAUSE_FILE);
}

/** The pause in force under `root`, if any; undefined when no root is known. */
export function readPause(root: string | undefined): Pause | undefined {
  if (root === undefined) return undefined;
  const file = pauseFile(root);
  let text: string;
  try {
    const fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK);
    try {
      const buffer = Buffer.alloc(MAX_MARKER_BYTES);
      text = buffer.toString('utf8', 0, fs.readSync(fd, buffer, 0, MAX_MARKER_BYTES, 0));
    } finally {
      fs.closeSync(fd);
    }
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    // A marker that exists but cannot be read still means "paused": maintenance wins.
    return { reason: `(marker unreadable: ${code})`, by: 'unknown', since: 'unknown', file };
  }
  try {
    const data = JSON.parse(text) as Partial<Pause>;
    const field = (v: unknown, fallback: string) => (typeof v === 'string' && v ? clean(v) : fallback);
    return { reason: field(data.reason, '(no reason given)'), by: field(data.by, 'unknown'), since: field(data.since, 'unknown'), file };
  } catch {
    return { reason: clean(text.trim()) || '(no reason given)', by: 'unknown', since: 'unknown', file };
  }
}

/** Reasons end up in logs and terminals: one line, no control characters, bounded. */
export function clean(text: string): string {
  return text.replace(/[\x00-\x1f\x7f]+/g, ' ').trim().slice(0, MAX_REASON_LENGTH);
}

/** Writes the marker (atomically: a rename) and returns the pause now in force. */
export function writePause(root: string, reason: string, by: string, now = new Date()): Pause {
  const file = pauseFile(root);
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o755 });
  const pause: Pause = { reason: clean(reason), by: clean(by), since: now.toISOString(), file };
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify({ reason: pause.reason, by: pause.by, since: pause.since }) + '\n', { mode: 0o644 });
  fs.renameSync(tmp, file);
  return pause;
}

/** Removes the marker; returns the pause that was in force, if any. */
export function clearPause(root: string): Pause | undefined {
  const previous = readPause(root);
  fs.rmSync(pauseFile(root), { force: true });
  return previous;
}

export function describePause(pause: Pause): string {
  return `daxplan is disabled since ${pause.since} by ${pause.by}: ${pause.reason}`;
}

/** Who is running this: the user behind sudo, else the login name, else the uid. */
export function whoAmI(env: NodeJS.ProcessEnv): string {
  const user = env.SUDO_USER || env.USER || env.LOGNAME;
  const uid = process.getuid?.();
  return user ? user : uid !== undefined ? `uid ${uid}` : 'unknown';
}

export class PausedError extends DaxplanError {
  constructor(pause: Pause) {
    super(`${describePause(pause)}. Nothing was changed. Run 'daxplan enable' to resume, or apply --force to apply anyway.`, EXIT.paused);
  }
}
