// The tree a command looks at must be a sysfs. A --sysfs-root (or /sys) that
// does not exist, is not a directory, or has neither the dax bus nor the
// memory block directory is the wrong tree, and an empty plan made from it
// would say "all is well" about a host never read. So is a --device the host
// does not have. A dax bus with no devices is a real host with nothing to do.
import { type Stats, statSync } from 'node:fs';
import { join } from 'node:path';
import { DAX_DEVICES, MEMORY, type Sysfs } from './sysfs.js';
import { NoHostError } from '../model/errors.js';

export interface TreeNeeds {
  /** Devices that must be there (--device). */
  devices?: readonly string[];
  /** Only kernel settings are read and written: the dax bus may not be registered yet (early boot). */
  kernelOnly?: boolean;
}

const PARTS = [
  { rel: DAX_DEVICES, what: 'the dax bus', absentOnAHost: 'the dax driver is not loaded (modprobe dax)' },
  { rel: MEMORY, what: 'memory blocks', absentOnAHost: 'a kernel without memory hotplug' },
];

/** Throws NoHostError, in one line naming the root, unless the tree can be a host. */
export function checkSysfsTree(sysfs: Sysfs, needs: TreeNeeds = {}): void {
  const root = sysfs.root;
  let stat: Stats;
  try {
    stat = statSync(root);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new NoHostError(`sysfs root ${root} ${code === 'ENOENT' ? 'does not exist' : `cannot be read (${code})`}`);
  }
  if (!stat.isDirectory()) throw new NoHostError(`sysfs root ${root} is not a directory`);
  const missing = PARTS.filter((p) => (p.rel !== DAX_DEVICES || !needs.kernelOnly) && !isDirectory(join(root, p.rel)));
  if (missing.length === PARTS.length)
    throw new NoHostError(`sysfs root ${root} is not a sysfs tree: it has neither ${DAX_DEVICES} (the dax bus) nor ${MEMORY} (memory blocks)`);
  const [absent] = missing;
  if (absent) throw new NoHostError(`sysfs root ${root} has no ${absent.rel} (${absent.what}): ${absent.absentOnAHost}, or not a sysfs tree`);
  requireDevices(needs.devices, (name) => sysfs.exists(`${DAX_DEVICES}/${name}`), () => sysfs.list(DAX_DEVICES), root);
}

/** Throws NoHostError when a device asked for by name is not on the host (`where`: a sysfs root or a snapshot file). */
export function requireDevices(names: readonly string[] | undefined, has: (name: string) => boolean, present: () => string[], where: string): void {
  const absent = (names ?? []).filter((name) => !has(name));
  if (absent.length === 0) return;
  const there = present().sort();
  const shown = there.length > SHOWN ? `${there.slice(0, SHOWN).join(', ')} and ${there.length - SHOWN} more` : there.join(', ') || 'none';
  throw new NoHostError(`--device ${absent.join(', ')}: no such device in ${where} (devices there: ${shown})`);
}

const SHOWN = 8;

function isDirectory(file: string): boolean {
  try {
    return statSync(file).isDirectory();
  } catch {
    return false;
  }
}
