// Containers that can write the kernel's default for new memory: GPU driver
// containers (and others) bind-mount the host's
// /sys/devices/system/memory/auto_online_blocks, or the directory holding
// it, and write it from inside. Seen from the host in the mount table of
// each mount namespace (/proc/PID/mountinfo): a sysfs mount whose root is
// that file or directory, not the whole of sysfs. A container given all of
// /sys cannot be told from any other this way. Pure: read.ts reads the
// tables.
import { MEMORY } from '../host/sysfs.js';
import { evidenceText, type Finding } from './finding.js';

/** One mount namespace's table, with a process in it to name. */
export interface MountTable {
  pid: number;
  /** The process's command name (/proc/PID/comm). */
  comm: string;
  text: string;
}

const FILE = `/${MEMORY}/auto_online_blocks`;

export interface SettingMount {
  /** Where the container sees it. */
  mountPoint: string;
  /** The part of sysfs mounted there. */
  root: string;
  writable: boolean;
}

/** The sysfs mounts in a mountinfo table that expose auto_online_blocks on their own (the file, or a directory above it short of all of sysfs). */
export function settingMounts(mountinfo: string): SettingMount[] {
  const found: SettingMount[] = [];
  for (const line of mountinfo.split('\n')) {
    const fields = line.split(' ');
    const dash = fields.indexOf('-');
    if (dash < 6 || fields[dash + 1] !== 'sysfs') continue;
    const [root, mountPoint, options] = [unescape(fields[3]), unescape(fields[4]), fields[5]];
    if (root === '/' || !(root === FILE || FILE.startsWith(`${root}/`))) continue;
    found.push({ mountPoint, root, writable: options.split(',').includes('rw') && !(fields[dash + 3] ?? '').split(',').includes('ro') });
  }
  return found;
}

/** mountinfo escapes space, tab, newline and backslash as octal; control characters stay out of the evidence. */
function unescape(path: string): string {
  return evidenceText(path.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8))));
}

export function containerFindings(tables: MountTable[]): Finding[] {
  return tables.flatMap(({ pid, comm, text }) =>
    settingMounts(text).map((m): Finding => ({
      id: 'container.auto-online-mount',
      severity: m.writable ? 'warning' : 'info',
      evidence: `/proc/${pid}/mountinfo: sysfs ${m.root} on ${m.mountPoint} (${m.writable ? 'rw' : 'ro'})`,
      message: `process ${pid} (${comm}) runs in a mount namespace with the host's ${m.root === FILE ? 'auto_online_blocks' : `${m.root} (with auto_online_blocks)`} mounted at ${m.mountPoint}${m.writable ? ' writable: a container (GPU driver containers do this) can change the kernel\'s default for new memory behind the policy' : ' read-only'}`,
      fix: m.writable
        ? "Find the container (nsenter -t PID -m, or its runtime's inspect) and mount it read-only or not at all; declare auto_online_blocks in the policy so 'daxplan plan' shows when it was changed."
        : 'Nothing to do: it can only read it.',
    })),
  );
}
