// The apply pipeline, shared by every writer (daxplan apply, daxplan watch):
// take the lock, observe, plan under it, check, refuse or write (kernel
// settings first, then each device), release. Callers decide what to print.
import type { Sysfs } from '../host/sysfs.js';
import { observe } from '../host/observe.js';
import { observeMemoryTotals } from '../host/totals.js';
import { readProcFacts } from '../host/proc.js';
import type { Pause } from '../host/pause.js';
import { describeDevice, type AutoOnline } from '../model/device.js';
import { HostError } from '../model/errors.js';
import { changes, kernelAfter, plan, settingChanges, type Change, type Plan } from '../plan/plan.js';
import { checkMovable } from '../plan/safety.js';
import { planFromSaved, savedDevices } from '../plan/saved.js';
import type { SavedPlan } from '../model/saved-plan.js';
import type { PlannedStep } from '../model/steps.js';
import type { Policy } from '../policy/parse.js';
import { describeWarning, refusal, type Report, type Warning } from '../report/report.js';
import { Applier, type Outcome } from './engine.js';
import { applySetting, type SettingOutcome } from './kernel.js';
import { acquireLock, type Lock } from './lock.js';
import type { ObservedDevice } from '../model/device.js';
import { timed, type Timings } from './timings.js';
import type { Priority } from '../model/priority.js';

export interface ConvergeOptions {
  sysfs: Sysfs;
  /** Devices to look at (all when absent; none for kernel settings alone). */
  only?: string[];
  /** What to converge to: the policy, or exactly a saved plan. */
  target: { policy: Policy } | { saved: SavedPlan; file: string };
  pause?: Pause;
  /** The lock to take; without one this is a dry run: plan, nothing written. */
  lock?: { file: string; timeoutSeconds: number; trigger: string };
  /** Progress and failures, one line each, with how much each matters. */
  log?(line: string, priority: Priority): void;
  /** Hears each step as it starts. */
  step?(device: ObservedDevice, index: number, total: number, step: PlannedStep): void;
  /** Hears the report, made under the lock, before anything is written. */
  planned?(report: Report): void;
  /** Asked once, after the report and before the first write: false changes nothing (apply's confirmation). */
  approve?(report: Report): Promise<boolean>;
  /** Polled between devices: true stops before the next device (SIGTERM, SIGINT). */
  stopping?(): boolean;
  /** Times each phase (apply --timings). */
  timings?: Timings;
}

export interface Converged {
  report: Report;
  outcomes: Outcome[];
  settings: SettingOutcome[];
  /** Whether writing was approved (always, without an approve hook). */
  approved: boolean;
  /** Every change applied, every setting written, nothing blocked. */
  clean: boolean;
}

/** Throws LockHeldError when another run holds the lock, HostError when the plan is refused. */
export async function converge(options: ConvergeOptions): Promise<Converged> {
  const { sysfs, target, log = () => {}, timings } = options;
  const lockTaken = timings?.('lock');
  const lock =
    options.lock &&
    (await acquireLock(options.lock.file, {
      timeoutSeconds: options.lock.timeoutSeconds,
      trigger: options.lock.trigger,
      onWait: (holder) => log(`waiting up to ${options.lock!.timeoutSeconds}s for the lock held by ${holder}`, 'info'),
    }));
  lockTaken?.();
  try {
    const restoreFailed = lock ? !restoreOverride(sysfs, lock, log) : false;
    const only = 'saved' in target ? savedDevices(target.saved) : options.only;
    const observed = timed(timings, 'observe', () => observe(sysfs, only));
    const current: Plan = timed(timings, 'plan', () =>
      'saved' in target ? planFromSaved(target.file, target.saved, observed, readProcFacts()) : plan(target.policy, observed),
    );
    const warnings: Warning[] = 'policy' in target ? timed(timings, 'safety', () => checkMovable(current, () => observeMemoryTotals(sysfs, observed), target.policy)) : [];
    const lost = lock?.interrupted;
    if (lost?.moving) {
      const now = observed.devices.find((d) => d.name === lost.moving!.device);
      const warning: Warning = { kind: 'interrupted-run', holder: lost, moving: lost.moving, now: now ? describeDevice(now) : 'gone' };
      warnings.push(warning);
      log(describeWarning(warning), 'warning');
    }
    const report: Report = { plan: current, warnings, conflicts: [], paused: options.pause };
    options.planned?.(report);
    const nothing = { report, outcomes: [], settings: [] };
    if (!lock) return { ...nothing, approved: false, clean: true };
    const refused = refusal(report, 'policy' in target ? target.policy.safety.onMovableExcess : undefined);
    if (refused) throw new HostError(refused);
    const pending = changes(current).length + settingChanges(current).length;
    if (pending && options.approve && !(await options.approve(report))) return { ...nothing, approved: false, clean: true };
    // Kernel settings first: the device steps were planned for the kernel they leave.
    const settings = timed(timings, 'settings', () => settingChanges(current).map((s) => applySetting(sysfs, s.setting, s.to)));
    for (const s of settings) log(`kernel ${s.setting}: ${s.from ?? '?'} -> ${s.to}: ${s.result}${s.message ? `: ${s.message}` : ''}`, s.result === 'failed' ? 'err' : 'info');
    const unset = settings.find((s) => s.result === 'failed');
    let moving: Change | undefined;
    // What the lock says this run is doing, for whoever finds it should this run die.
    const record = (change: Change | undefined, restoreAutoOnline?: AutoOnline) =>
      lock.record(change && { device: change.device.name, from: change.device.state, to: change.to, ...(restoreAutoOnline ? { restoreAutoOnline } : {}) });
    // The override of a bind in progress: should this run die meanwhile, the next one puts it back.
    let override: { restore: AutoOnline } | undefined;
    const applier = new Applier(sysfs, kernelAfter(observed.kernel, current.settings), {
      step: options.step,
      override: (now) => record(moving, (override = now)?.restore),
      timings,
    });
    const outcomes = changes(current).map((change) => {
      if (unset) return skipped(change, `kernel ${unset.setting} is not ${unset.to} and the steps were planned for it; nothing written`);
      if (options.stopping?.()) return skipped(change, 'daxplan was asked to stop before this device; nothing written');
      record((moving = change));
      const outcome = applier.apply(change);
      // An override the bind could not put back is owed to the host until a run does. A debt
      // still unpaid is older: the value this bind found was itself left by it.
      if (override && !lock.owed) lock.owe({ device: change.device.name, restoreAutoOnline: override.restore });
      override = undefined;
      record((moving = undefined));
      return outcome;
    });
    for (const o of outcomes) if (o.result !== 'applied') log(`${o.device}: ${o.result}: ${o.message}`, o.result === 'failed' ? 'err' : 'warning');
    const clean = outcomes.every((o) => o.result === 'applied') && !unset && !restoreFailed && current.summary.blocked === 0;
    return { report, outcomes, settings, approved: true, clean };
  } finally {
    await lock?.release();
  }
}

/**
 * A run that overrode auto_online_blocks for a bind and could not put it back
 * (it died, or the write failed) left the host's default changed: put it back
 * first. False when that failed: the lock keeps asking, for the next run.
 */
function restoreOverride(sysfs: Sysfs, lock: Lock, log: NonNullable<ConvergeOptions['log']>): boolean {
  const owed = lock.owed;
  if (!owed) return true;
  const outcome = applySetting(sysfs, 'auto_online_blocks', owed.restoreAutoOnline);
  log(
    `a previous run left auto_online_blocks overridden for binding ${owed.device}: putting it back to ${owed.restoreAutoOnline}: ${outcome.result}${outcome.message ? `: ${outcome.message}` : ''}`,
    outcome.result === 'failed' ? 'err' : 'info',
  );
  if (outcome.result === 'failed') return false;
  lock.owe(undefined);
  return true;
}

function skipped(change: Change, message: string): Outcome {
  const d = change.device;
  return { device: d.name, from: d.state, to: change.to, method: change.method, bytes: change.bytes, node: d.targetNode, result: 'skipped', stepsDone: 0, stepsTotal: change.steps.length, final: d, message, elapsedMs: 0 };
}
