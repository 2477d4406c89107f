// What /proc says about this boot: a saved plan is bound to it.
import { readFileSync } from 'node:fs';
import type { ProcFacts } from '../model/host-facts.js';

export function readProcFacts(procRoot = '/proc'): ProcFacts {
  const read = (f: string) => {
    try {
      return readFileSync(`${procRoot}/${f}`, 'utf8').trim() || null;
    } catch {
      return null;
    }
  };
  return { bootId: read('sys/kernel/random/boot_id'), kernelRelease: read('sys/kernel/osrelease') };
}
