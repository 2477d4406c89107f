// Doctor's findings and the pause, gathered for the commands that show them (plan, doctor).
import type { Observed } from '../model/device.js';
import type { Plan } from '../plan/plan.js';
import { findConflicts, type Finding } from '../doctor/findings.js';
import { readHostEvidence, readLockEvidence } from '../doctor/read.js';
import { readPause, type Pause } from '../host/pause.js';
import { lockFile, type HostFlags, type LOCKING } from './common.js';
import { hostRoot, type ROOT } from './root.js';
import { bootHistory } from './boot.js';
import type { ValuesOf } from './args.js';

/** Every finding about other controllers of this host's dax memory, and the pause in force; `processes`: also every mount namespace's table (doctor). */
export function gatherConflicts(
  values: HostFlags & ValuesOf<typeof ROOT & Pick<typeof LOCKING, 'lock-file'>>,
  observed: Observed,
  planned: Plan | undefined,
  processes = false,
): { findings: Finding[]; pause: Pause | undefined } {
  const root = hostRoot(values);
  const pause = readPause(root);
  const findings = findConflicts({
    observed,
    plan: planned,
    host: root === undefined ? undefined : { ...readHostEvidence(root, processes), boots: bootHistory(root, observed.kernel.autoOnlineBlocks) },
    // A snapshot has no lock of its own to look at.
    lock: values.state === undefined ? readLockEvidence(lockFile(values)) : undefined,
  });
  return { findings, pause };
}
