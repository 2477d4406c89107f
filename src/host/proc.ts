// What /proc says about this boot: a saved plan is bound to it. A tree's
// proc/ (beside its sys/) is hostile input like the tree: read through the
// same bounded door as sysfs (no FIFO, no endless file), and a value that is
// not a boot id or a kernel release is none (null), never carried on.
import type { ProcFacts } from '../model/host-facts.js';
import { DirSysfs } from './sysfs.js';

/** A boot id as the kernel writes it (proc/sys/kernel/random/boot_id). */
export const BOOT_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const RELEASE = /^[A-Za-z0-9][A-Za-z0-9._+~-]{0,127}$/;

export function readProcFacts(procRoot = '/proc'): ProcFacts {
  const proc = new DirSysfs(procRoot);
  const read = (file: string, shape: RegExp) => {
    try {
      const text = proc.read(file)?.trim();
      return text !== undefined && shape.test(text) ? text : null;
    } catch {
      return null;
    }
  };
  return { bootId: read('sys/kernel/random/boot_id', BOOT_ID), kernelRelease: read('sys/kernel/osrelease', RELEASE) };
}
