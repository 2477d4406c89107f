// daxplan disable / enable: a pause for maintenance. While the marker file
// exists, runs started by udev, at boot or on a schedule log the reason and
// exit 0 without changing anything; a manual apply refuses unless --force.
import { lstatSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { DaxplanError, EXIT } from '../model/errors.js';
import { readTrusted, RefusedFileError, writeTrusted } from './trust.js';

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
  return join(root, PAUSE_FILE);
}

/** The pause in force under `root`, if any; undefined when no root is known. */
export function readPause(root: string | undefined): Pause | undefined {
  if (root === undefined) return undefined;
  const file = pauseFile(root);
  if (!present(file)) return undefined;
  let text: string;
  try {
    text = readTrusted(file, { maxBytes: MAX_MARKER_BYTES, exitCode: EXIT.runtime });
  } catch (err) {
    if (!(err instanceof RefusedFileError)) throw err;
    // A marker that is there but cannot be trusted or read still means "paused": nothing changes, which is safe.
    return { reason: `(marker refused: ${err.reason})`, by: 'unknown', since: 'unknown', file };
  }
  try {
    const data = JSON.parse(text) as Partial<Pause>;
    const field = (v: unknown, fallback: string) => (typeof v === 'string' && v ? clean(v) : fallback);
    return { reason: field(data.reason, '(no reason given)'), by: field(data.by, 'unknown'), since: field(data.since, 'unknown'), file };
  } catch {
    return { reason: clean(text.trim()) || '(no reason given)', by: 'unknown', since: 'unknown', file };
  }
}

/** Whether anything is at `file` (a link or a FIFO counts: it is refused, which still pauses). */
function present(file: string): boolean {
  try {
    lstatSync(file);
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return code !== 'ENOENT' && code !== 'ENOTDIR';
  }
}

/** Reasons end up in logs and terminals: one line, no control characters, bounded. */
export function clean(text: string): string {
  return text.replace(/[\x00-\x1f\x7f-\x9f]+/g, ' ').trim().slice(0, MAX_REASON_LENGTH);
}

/** Writes the marker (atomically: a rename) and returns the pause now in force. */
export function writePause(root: string, reason: string, by: string, now = new Date()): Pause {
  const file = pauseFile(root);
  mkdirSync(dirname(file), { recursive: true, mode: 0o755 });
  const pause: Pause = { reason: clean(reason), by: clean(by), since: now.toISOString(), file };
  const tmp = `${file}.${process.pid}.tmp`;
  writeTrusted(tmp, JSON.stringify({ reason: pause.reason, by: pause.by, since: pause.since }) + '\n', { exitCode: EXIT.runtime });
  renameSync(tmp, file);
  return pause;
}

/** Removes the marker; returns the pause that was in force, if any. */
export function clearPause(root: string): Pause | undefined {
  const previous = readPause(root);
  rmSync(pauseFile(root), { force: true });
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
