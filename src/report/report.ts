// What a command shows beside a plan: typed warnings, other controllers of
// the same memory (doctor's findings) and the maintenance pause. The plan
// itself stays a value; the command assembles the report around it.
import type { Plan } from '../plan/plan.js';
import type { LimitSource, MovableExcess } from '../plan/safety.js';
import type { Finding } from '../doctor/findings.js';
import type { Pause } from '../host/pause.js';
import type { DebtOutlook, Holder } from '../host/lock-record.js';
import type { UnmatchedRule } from '../plan/coverage.js';
import { bytes } from '../model/units.js';

/** A run that died holding the lock while it moved a device; `now` is where that device is. */
export interface InterruptedRun {
  kind: 'interrupted-run';
  holder: Holder;
  moving: NonNullable<Holder['moving']>;
  now: string;
}

/** A rule that selects by identity (serial, pci, uuid, address) and matches no device: the device it means falls through to the rules below it. */
export interface UnmatchedIdentity {
  kind: 'unmatched-rule';
  rule: UnmatchedRule;
}

export type Warning = MovableExcess | InterruptedRun | UnmatchedIdentity;

export interface Report {
  plan: Plan;
  warnings: Warning[];
  /** Other controllers of the same memory (empty when not checked). */
  conflicts: Finding[];
  /** Set when daxplan is disabled (daxplan disable): automatic runs change nothing. */
  paused?: Pause;
  /** A debt a bind left on the lock (apply/owed.ts) and what an approved run does with it; null: none; absent: the lock was not read (plan). */
  owed?: DebtOutlook | null;
}

export function reportOf(plan: Plan, extra: Partial<Omit<Report, 'plan'>> = {}): Report {
  return { plan, warnings: [], conflicts: [], ...extra };
}

/**
 * Why apply must not write this plan, or undefined: only a movable-ratio
 * excess under `safety.on_movable_excess: refuse` refuses; other warnings (a
 * run that died mid-move, which this run is to finish) never do.
 */
export function refusal(report: Report, onMovableExcess: 'warn' | 'refuse' | undefined): string | undefined {
  if (onMovableExcess !== 'refuse') return undefined;
  const excess = report.warnings.filter((w) => w.kind === 'movable-ratio');
  if (!excess.length) return undefined;
  return `refusing to apply (safety.on_movable_excess: refuse): ${excess.map(describeWarning).join('; ')}`;
}

const UNSET = ', as the policy sets no safety.movable_ratio_percent';
const LIMIT_WORDS: Record<LimitSource, (percent: number) => string> = {
  policy: (p) => `safety.movable_ratio_percent ${p}%`,
  kernel: (p) => `the kernel's memory_hotplug.auto_movable_ratio ${p}%${UNSET}`,
  default: (p) => `the kernel's default ratio ${p}%${UNSET}`,
};

export function describeWarning(w: Warning): string {
  switch (w.kind) {
    case 'movable-ratio': {
      const ratio = w.kernel > 0n ? `${(w.movable * 100n) / w.kernel}%` : 'unbounded';
      return `after this plan ZONE_MOVABLE would be ${bytes(w.movable)} against ${bytes(w.kernel)} of kernel memory (${ratio}, above ${LIMIT_WORDS[w.limitSource](w.limitPercent)}): the kernel may not have room for the page metadata of that much movable memory`;
    }
    case 'interrupted-run': {
      const { holder, moving } = w;
      return `a previous run (pid ${holder.pid}, trigger ${holder.trigger}, started ${holder.started}) died while moving ${moving.device} from ${moving.from} to ${moving.to}; it is now ${w.now}`;
    }
    case 'unmatched-rule':
      return `${w.rule.file}:${w.rule.line}:${w.rule.col}: ${w.rule.path}: ${w.rule.message}`;
  }
}
