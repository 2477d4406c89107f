// The readers behind doctor: the host's files under a root, and the lock.
// They only read; in particular the lock is never taken.
import { DirSysfs, type Sysfs } from '../host/sysfs.js';
import { statSync } from 'node:fs';
import { readHolder } from '../host/lock-record.js';
import { lockSocketName, socketHolders, squatters } from '../host/lock-socket.js';
import { DAXCTL_CONF_DIR } from './daxctl.js';
import { effectiveRuleFiles } from './udev.js';
import type { HostEvidence, LockEvidence } from './findings.js';

const MAX_HOST_FILE_BYTES = 1 << 20;

export function readHostEvidence(root: string): HostEvidence {
  // Rule and config files are no sysfs attributes: a page is no limit for them (a longer file hid its rules).
  // Not confined to the root: a rule masked by a link to /dev/null is a link out of it.
  const files = new DirSysfs(root, MAX_HOST_FILE_BYTES, false);
  const daxctlConf = files
    .list(DAXCTL_CONF_DIR)
    .filter((name) => name.endsWith('.conf'))
    .sort()
    .map((name) => `${DAXCTL_CONF_DIR}/${name}`)
    .map((file) => ({ file, text: readText(files, file) ?? '' }));
  return { root, cmdline: readText(files, 'proc/cmdline'), rules: effectiveRuleFiles(files), daxctlConf };
}

/** A file's text, or undefined when it cannot be read (a directory, no permission). */
function readText(files: Sysfs, file: string): string | undefined {
  try {
    return files.read(file);
  } catch {
    return undefined;
  }
}

export function readLockEvidence(file: string): LockEvidence {
  const id = statSync(file, { bigint: true, throwIfNoEntry: false });
  const holders = id ? socketHolders(lockSocketName(id)) : [];
  const holder = readHolder(file);
  const squatter = squatters(holders, holder?.pid);
  if (squatter.length) return { file, holder, running: false, squatters: squatter };
  // The socket says whether the lock is held; the pid is asked only when /proc cannot tell.
  const running = holder !== undefined && (holders ? holders.length > 0 : alive(holder.pid));
  return { file, holder, running };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
