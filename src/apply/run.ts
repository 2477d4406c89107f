// The apply pipeline, shared by every writer (daxplan apply, daxplan watch):
// take the lock, observe, plan under it, check, refuse or write (kernel
// settings first, then each device), release. Callers decide what to print.
import type { Sysfs } from '../host/sysfs.js';
import { observe } from '../host/observe.js';
import { observeMemoryTotals } from '../host/totals.js';
import { readProcFacts } from '../host/proc.js';
import type { Pause } from '../host/pause.js';
import { describeDevice } from '../model/device.js';
import { HostError } from '../model/errors.js';
import { changes, kernelAfter, plan, settingChanges, type Change, type Plan } from '../plan/plan.js';
import { checkMovable } from '../plan/safety.js';
import { checkSaved, savedDevices, savedPolicy } from '../plan/saved.js';
import type { Binding, SavedPlan } from '../model/saved-plan.js';
import type { PlannedStep } from '../model/steps.js';
import type { Policy } from '../policy/parse.js';
import { describeWarning, refusal, type Report, type Warning } from '../report/report.js';
import { Applier, type Outcome } from './engine.js';
import { applySetting, type SettingOutcome } from './kernel.js';
import { acquireLock } from './lock.js';
import { payDebt } from './owed.js';
import { debtOutlook, readHolder } from '../host/lock-record.js';
import type { ObservedDevice } from '../model/device.js';
import { timed, type Timings } from './timings.js';

export interface ConvergeOptions {
  sysfs: Sysfs;
  /** Devices to look at (all when absent; none for kernel settings alone). */
  only?: string[];
  /** What to converge to: the policy, or exactly a saved plan. */
  target: { policy: Policy } | { saved: SavedPlan; file: string };
  /** The boot the host looked at is in (cli/common.ts procBinding): a saved plan and a debt are bound to it. Default: this machine's. */
  binding?: () => Binding;
  pause?: Pause;
  /** The lock file a dry run reads a debt from (a run with `lock` reads its own): the report says what an approved run would do with it. */
  ledger?: string;
  /** The lock to take; without one this is a dry run: plan, nothing written. */
  lock?: { file: string; timeoutSeconds: number; trigger: string; transient?: boolean };
  /** Progress and failures, one line each. */
  log?(line: string): void;
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

/** Throws LockHeldError when another run holds the lock, HostError when the plan is refused, StalePlanError when a saved plan is. */
export async function converge(options: ConvergeOptions): Promise<Converged> {
  const { sysfs, target, log = () => {}, timings } = options;
  // A saved plan is planned again from the policy it records, as it was then.
  const policy = 'saved' in target ? savedPolicy(target.file, target.saved) : target.policy;
  const binding = options.binding ?? thisMachine;
  const lockTaken = timings?.('lock');
  const lock =
    options.lock &&
    (await acquireLock(options.lock.file, {
      timeoutSeconds: options.lock.timeoutSeconds,
      trigger: options.lock.trigger,
      transient: options.lock.transient,
      onWait: (holder) => log(`waiting up to ${options.lock!.timeoutSeconds}s for the lock held by ${holder}`),
    }));
  lockTaken?.();
  try {
    const only = 'saved' in target ? savedDevices(target.saved) : options.only;
    const observed = timed(timings, 'observe', () => observe(sysfs, only));
    const current: Plan = timed(timings, 'plan', () => plan(policy, observed));
    const boot = binding();
    if ('saved' in target) checkSaved(target.file, target.saved, observed, boot, current);
    const warnings: Warning[] = timed(timings, 'safety', () => checkMovable(current, () => observeMemoryTotals(sysfs, observed), policy));
    const lost = lock?.interrupted;
    if (lost?.moving) {
      // A device left out of this run (--device, --kernel-only) is read alone: it is not gone for being out of sight.
      const now = observed.devices.find((d) => d.name === lost.moving!.device) ?? (only ? observe(sysfs, [lost.moving.device]).devices[0] : undefined);
      const warning: Warning = { kind: 'interrupted-run', holder: lost, moving: lost.moving, now: now ? describeDevice(now) : 'gone' };
      warnings.push(warning);
      log(describeWarning(warning));
    }
    const owed = lock ? lock.owed : options.ledger === undefined ? undefined : readHolder(options.ledger)?.owed;
    const outlook = owed ? debtOutlook(owed, boot.bootId, observed.kernel.autoOnlineBlocks) : null;
    const report: Report = { plan: current, warnings, conflicts: [], paused: options.pause, owed: outlook };
    options.planned?.(report);
    const nothing = { report, outcomes: [], settings: [] };
    if (!lock) return { ...nothing, approved: false, clean: true };
    const refused = refusal(report, policy.safety.onMovableExcess);
    if (refused) throw new HostError(refused);
    // A debt is asked about too (cli/approve.ts): one that came up since the question is not approved.
    const pending = changes(current).length + settingChanges(current).length + (outlook ? 1 : 0);
    if (pending && options.approve && !(await options.approve(report))) return { ...nothing, approved: false, clean: true };
    // Approved: a debt a bind left first, then the kernel settings (the device steps were planned for the kernel they leave).
    const debts = { ledger: lock, bootId: boot.bootId };
    const paid = payDebt(sysfs, debts, log);
    const planned = timed(timings, 'settings', () => settingChanges(current).map((s) => applySetting(sysfs, s.setting, s.to)));
    for (const s of planned) log(`kernel ${s.setting}: ${s.from ?? '?'} -> ${s.to}: ${s.result}${s.message ? `: ${s.message}` : ''}`);
    const unset = planned.find((s) => s.result === 'failed');
    // What the lock says this run is doing, for whoever finds it should this run die.
    const record = (change: Change | undefined) => lock.record(change && { device: change.device.name, from: change.device.state, to: change.to });
    const applier = new Applier(sysfs, kernelAfter(observed.kernel, current.settings), { step: options.step, debts, timings });
    const outcomes = changes(current).map((change) => {
      if (unset) return skipped(change, `kernel ${unset.setting} is not ${unset.to} and the steps were planned for it; nothing written`);
      if (options.stopping?.()) return skipped(change, 'daxplan was asked to stop before this device; nothing written');
      record(change);
      const outcome = applier.apply(change);
      record(undefined);
      return outcome;
    });
    for (const o of outcomes) if (o.result !== 'applied') log(`${o.device}: ${o.result}: ${o.message}`);
    const settings = paid ? [paid, ...planned] : planned;
    const clean = outcomes.every((o) => o.result === 'applied') && settings.every((s) => s.result !== 'failed') && current.summary.blocked === 0;
    return { report, outcomes, settings, approved: true, clean };
  } finally {
    await lock?.release();
  }
}

/** This machine's boot, for callers that name none (watch, tests). */
function thisMachine(): Binding {
  return { ...readProcFacts(), source: 'host' };
}

function skipped(change: Change, message: string): Outcome {
  const d = change.device;
  return { device: d.name, from: d.state, to: change.to, method: change.method, bytes: change.bytes, node: d.targetNode, result: 'skipped', stepsDone: 0, stepsTotal: change.steps.length, final: d, message, elapsedMs: 0 };
}
