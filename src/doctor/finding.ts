// What a finding is, and the names findings use for what they point at.
import { posix } from 'node:path';
import type { DesiredState } from '../model/device.js';
import type { Entry, Plan } from '../plan/plan.js';
import { describeDecider } from '../plan/match.js';

export type Severity = 'error' | 'warning' | 'info';
export const SEVERITIES: readonly Severity[] = ['error', 'warning', 'info'];

export interface Finding {
  /** Stable identifier of the kind of finding, e.g. udev.memory-state. */
  id: string;
  severity: Severity;
  /** Where it was seen: file:line, a sysfs path, the lock file. */
  evidence: string;
  message: string;
  /** What to do about it, in one sentence. */
  fix: string;
}

/** Text read from a host file for evidence, made safe for a terminal: each control character (C0, DEL, C1) becomes '?'. */
export const evidenceText = (text: string) => text.replace(/[\x00-\x1f\x7f-\x9f]/g, '?');

/**
 * Sysfs evidence is named as on the host the observation stands for (/sys/...),
 * whether it was read from /sys, a copied tree or a snapshot.
 */
export const sysfsPath = (rel: string) => posix.join('/sys', rel);

/** The boot unit that writes the policy's kernel settings before udev binds dax devices (make install installs it with the other units). */
export const KERNEL_DEFAULTS_UNIT = 'daxplan-kernel-defaults.service';

/** A device's entry in the plan, the state it wants the device in (none: unmanaged, or blocked short of one), and who decided, in words. */
export function wantedBy(plan: Plan | undefined, name: string): { entry: Entry | undefined; to: DesiredState | undefined; decider: string } {
  const entry = plan?.entries.find((e) => e.device.name === name);
  const to = entry && 'to' in entry ? entry.to : undefined;
  return { entry, to, decider: entry && 'decider' in entry && entry.decider ? describeDecider(entry.decider) : 'the policy' };
}
