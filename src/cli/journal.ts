// Messages with a syslog priority. When a stream is the journal (systemd sets
// JOURNAL_STREAM to the device and inode of the stream it connected, see
// sd-daemon(3)), each line starts with <N>, which journald takes as the
// line's priority: `journalctl -t daxplan -p err` then finds failed runs.
import type { Io } from './args.js';
import type { Priority } from '../model/priority.js';

const LEVEL: Record<Priority, number> = { err: 3, warning: 4, info: 6 };

/** Which of stdout and stderr are the journal: JOURNAL_STREAM ("DEV:INO") names the stream's device and inode. */
export function journalStreams(env: NodeJS.ProcessEnv, stat: (fd: number) => { dev: number; ino: number } | undefined): { stdout: boolean; stderr: boolean } {
  const match = /^(\d+):(\d+)$/.exec(env.JOURNAL_STREAM ?? '');
  const is = (fd: number) => {
    const s = match ? stat(fd) : undefined;
    return s !== undefined && String(s.dev) === match![1] && String(s.ino) === match![2];
  };
  return { stdout: is(1), stderr: is(2) };
}

/** Writes `text` (one or more lines) to stderr at `priority`. */
export function say(io: Io, priority: Priority, text: string): void {
  io.stderr.write(withPriority(text, priority, io.journal?.stderr === true));
}

/** Writes `text` to stdout at `priority` (a line a service logs as its result, e.g. a watch tick). */
export function tell(io: Io, priority: Priority, text: string): void {
  io.stdout.write(withPriority(text, priority, io.journal?.stdout === true));
}

function withPriority(text: string, priority: Priority, journal: boolean): string {
  const lines = text.replace(/\n$/, '').split('\n');
  return lines.map((line) => `${journal ? `<${LEVEL[priority]}>` : ''}${line}\n`).join('');
}
