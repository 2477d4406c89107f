// Who holds a lock's socket. The lock is an abstract Unix socket (apply/lock.ts);
// the lock file's record names the run that last wrote it, which may be dead
// while some other process squats the name. The kernel lists every bound Unix
// socket in /proc/net/unix with its inode, and a process's descriptors name
// the socket inodes it holds (socket:[N]): together they name the culprit.
// (SO_PEERCRED would need a connection and a native binding Node lacks.)
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { clean } from './pause.js';

/** The abstract socket name (without its leading NUL) of the lock file with this identity. */
export function lockSocketName(id: { dev: bigint | number; ino: bigint | number }): string {
  return `daxplan-lock/${id.dev}:${id.ino}`;
}

export interface SocketHolder {
  pid: number;
  /** Its /proc/PID/comm, cleaned of control characters. */
  command: string;
}

/**
 * The processes holding the abstract socket `name`: empty when none is bound;
 * undefined when /proc cannot tell (not readable, or the holder is hidden).
 */
export function socketHolders(name: string, proc = '/proc'): SocketHolder[] | undefined {
  let table: string;
  try {
    table = readFileSync(`${proc}/net/unix`, 'utf8');
  } catch {
    return undefined;
  }
  // Num RefCount Protocol Flags Type St Inode Path. An abstract name reads
  // @name, its NULs as @: Node pads the name with NULs to the whole sun_path.
  const inodes = new Set<string>();
  for (const line of table.split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/);
    if (fields.length === 8 && fields[7].replace(/@+$/, '') === `@${name}`) inodes.add(fields[6]);
  }
  if (inodes.size === 0) return [];
  const holders: SocketHolder[] = [];
  for (const pid of readdirSync(proc).filter((entry) => /^\d+$/.test(entry))) {
    if (descriptors(proc, pid).some((target) => inodes.has(/^socket:\[(\d+)\]$/.exec(target)?.[1] ?? ''))) holders.push({ pid: Number(pid), command: command(proc, pid) });
  }
  return holders.length ? holders : undefined;
}

export function describeSocketHolder(holder: SocketHolder): string {
  return `pid ${holder.pid} (${holder.command})`;
}

/** What a process's descriptors point at; none when it is gone or not ours to see. */
function descriptors(proc: string, pid: string): string[] {
  let fds: string[];
  try {
    fds = readdirSync(`${proc}/${pid}/fd`);
  } catch {
    return [];
  }
  return fds.flatMap((fd) => {
    try {
      return [readlinkSync(`${proc}/${pid}/fd/${fd}`)];
    } catch {
      return [];
    }
  });
}

function command(proc: string, pid: string): string {
  try {
    return clean(readFileSync(`${proc}/${pid}/comm`, 'utf8')) || 'unknown';
  } catch {
    return 'unknown';
  }
}

/** The socket's holders when none of them is the run the lock's record names (`recordPid`): squatters. */
export function squatters(holders: SocketHolder[] | undefined, recordPid: number | undefined): SocketHolder[] {
  return holders && !holders.some((holder) => holder.pid === recordPid) ? holders : [];
}
