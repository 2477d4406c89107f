// The readers behind doctor: the host's files under a root, and the lock.
// They only read; in particular the lock is never taken.
import { DirSysfs, readIfReadable, type Sysfs } from '../host/sysfs.js';
import { statSync } from 'node:fs';
import { readHolder } from '../host/lock-record.js';
import { lockSocketName, socketHolders, squatters } from '../host/lock-socket.js';
import { DAXCTL_CONF_DIR } from './daxctl.js';
import { effectiveRuleFiles } from './udev.js';
import { MEMHPD_CONF, MEMHPD_UNIT, UNIT_DIRS, type MemhpdEvidence } from './memhpd.js';
import type { MountTable } from './containers.js';
import type { HostEvidence, LockEvidence } from './findings.js';

const MAX_HOST_FILE_BYTES = 1 << 20;

/** `processes`: also read the mount table of every mount namespace (doctor; not plan, which runs far more often). */
export function readHostEvidence(root: string, processes = false): HostEvidence {
  // Rule and config files are no sysfs attributes: a page is no limit for them (a longer file hid its rules).
  // Not confined to the root: a rule masked by a link to /dev/null is a link out of it.
  const files = new DirSysfs(root, MAX_HOST_FILE_BYTES, false);
  const daxctlConf = files
    .list(DAXCTL_CONF_DIR)
    .filter((name) => name.endsWith('.conf'))
    .sort()
    .map((name) => `${DAXCTL_CONF_DIR}/${name}`)
    .map((file) => ({ file, text: readIfReadable(files, file) ?? '' }));
  return { root, cmdline: readIfReadable(files, 'proc/cmdline'), rules: effectiveRuleFiles(files), daxctlConf, memhpd: readMemhpd(files), mounts: processes ? readMountTables(files) : [] };
}

/** Processes looked at, at most: a host runs fewer; past it the rest are not read. */
const MAX_PROCESSES = 1 << 16;

/**
 * One mount table per mount namespace, each with the first process found in
 * it: a link read per process, a table per namespace. Processes whose
 * namespace cannot be read (another user's, when not root) are passed over.
 */
function readMountTables(files: Sysfs): MountTable[] {
  const seen = new Set<string>();
  const tables: MountTable[] = [];
  for (const name of files.list('proc').filter((n) => /^[1-9][0-9]{0,9}$/.test(n)).slice(0, MAX_PROCESSES)) {
    let ns: string | undefined;
    try {
      ns = files.link(`proc/${name}/ns/mnt`);
    } catch {
      continue;
    }
    if (ns === undefined || seen.has(ns)) continue;
    seen.add(ns);
    const text = readIfReadable(files, `proc/${name}/mountinfo`);
    if (text !== undefined) tables.push({ pid: Number(name), comm: (readIfReadable(files, `proc/${name}/comm`) ?? '?').replace(/[^\x20-\x7e]/g, '?').slice(0, 16), text });
  }
  return tables;
}

/** memhpd's unit (the one systemd would load, and whether it is masked) and its configuration. */
function readMemhpd(files: Sysfs): MemhpdEvidence {
  const unit = UNIT_DIRS.map((dir) => `${dir}/${MEMHPD_UNIT}`).find((file) => files.exists(file) || files.link(file) !== undefined);
  const text = readIfReadable(files, MEMHPD_CONF);
  return { unit, masked: unit !== undefined && files.link(unit) === '/dev/null', conf: text === undefined ? undefined : { file: MEMHPD_CONF, text } };
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
