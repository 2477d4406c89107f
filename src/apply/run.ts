// The apply pipeline, shared by every writer (daxplan apply, daxplan watch):
// take the lock, observe, plan under it, check, refuse or write (kernel
// settings first, then each device), release. Callers decide what to print.
import type { Sysfs } from '../host/sysfs.js';
import { observe } from '../host/observe.js';
import { describeDevice, type Observed } from '../model/device.js';
import { changes, kernelAfter, plan, settingChanges, summarise, type Change, type Plan, type SettingEntry } from '../plan/plan.js';
import type { Policy } from '../policy/parse.js';
import type { Pause } from '../host/pause.js';
import { checkPlan, observeMemoryTotals, refusal } from '../plan/safety.js';
import { changesFromSavedPlan, type readSavedPlan } from '../plan/saved.js';
import { readProcFacts } from '../plan/fingerprint.js';
import { describeStep } from '../render/words.js';
import { HostError } from '../model/errors.js';
import { Applier, type Outcome } from './engine.js';
import { applySetting, savedSettings, type SettingOutcome } from './kernel.js';
import { acquireLock } from './lock.js';

export interface ConvergeOptions {
  sysfs: Sysfs;
  /** Devices to look at (all when absent; none for kernel settings alone). */
  only?: string[];
  /** What to converge to: the policy, or exactly a saved plan. */
  target: { policy: Policy } | { saved: ReturnType<typeof readSavedPlan>; file: string };
  pause?: Pause;
  /** The lock to take; without one this is a dry run: plan, nothing written. */
  lock?: { file: string; timeoutSeconds: number; trigger: string };
  /** Progress and failures, one line each (every step when `steps` is set). */
  log?(line: string): void;
  steps?: boolean;
  /** Hears the plan, made under the lock, before anything is written. */
  planned?(plan: Plan): void;
}

export interface Converged {
  plan: Plan;
  outcomes: Outcome[];
  settings: SettingOutcome[];
  /** Every change applied, every setting written, nothing blocked. */
  clean: boolean;
}

/** Throws LockHeldError when another run holds the lock, HostError when the plan is refused. */
export async function converge(options: ConvergeOptions): Promise<Converged> {
  const { sysfs, target, log = () => {} } = options;
  const lock =
    options.lock &&
    (await acquireLock(options.lock.file, {
      timeoutSeconds: options.lock.timeoutSeconds,
      trigger: options.lock.trigger,
      onWait: (holder) => log(`waiting up to ${options.lock!.timeoutSeconds}s for the lock held by ${holder}`),
    }));
  try {
    const observed = observe(sysfs, options.only);
    const current: Plan =
      'saved' in target
        ? savedPlanAsPlan(changesFromSavedPlan(target.file, target.saved, observed, readProcFacts()), savedSettings(target.saved), observed)
        : plan(target.policy, observed);
    current.paused = options.pause;
    if ('policy' in target) checkPlan(current, () => observeMemoryTotals(sysfs), target.policy);
    const lost = lock?.interrupted;
    if (lost?.moving) {
      const now = observed.devices.find((d) => d.name === lost.moving!.device);
      const warning = `a previous run (pid ${lost.pid}, trigger ${lost.trigger}, started ${lost.started}) died while moving ${lost.moving.device} from ${lost.moving.from} to ${lost.moving.to}; it is now ${now ? describeDevice(now) : 'gone'}`;
      current.warnings.push(warning);
      log(warning);
    }
    options.planned?.(current);
    if (!lock) return { plan: current, outcomes: [], settings: [], clean: true };
    const refused = refusal(current, 'policy' in target ? target.policy : undefined);
    if (refused) throw new HostError(refused);
    // Kernel settings first: the device steps were planned for the kernel they leave.
    const settings = settingChanges(current).map((s) => applySetting(sysfs, s));
    for (const s of settings) log(`kernel ${s.setting}: ${s.from ?? '?'} -> ${s.to}: ${s.result}${s.message ? `: ${s.message}` : ''}`);
    const unset = settings.find((s) => s.result === 'failed');
    const applier = new Applier(sysfs, kernelAfter(observed.kernel, current.settings), {
      step: options.steps
        ? (device, i, total, planned) => log(`${device}: step ${i + 1}/${total}: ${describeStep(planned, observed.devices.find((d) => d.name === device)!)}`)
        : undefined,
    });
    const outcomes = changes(current).map((change) => {
      if (unset) return skipped(change, `kernel ${unset.setting} is not ${unset.to} and the steps were planned for it; nothing written`);
      lock.record({ device: change.device.name, from: change.device.state, to: change.to });
      const outcome = applier.apply(change);
      lock.record(undefined);
      return outcome;
    });
    for (const o of outcomes) if (o.result !== 'applied') log(`${o.device}: ${o.result}: ${o.message}`);
    const clean = outcomes.every((o) => o.result === 'applied') && !unset && current.summary.blocked === 0;
    return { plan: current, outcomes, settings, clean };
  } finally {
    await lock?.release();
  }
}

function savedPlanAsPlan(saved: Change[], settings: SettingEntry[], observed: Observed): Plan {
  return { entries: saved, settings, kernel: observed.kernel, warnings: [], conflicts: [], summary: summarise(saved, settings) };
}

function skipped(change: Change, message: string): Outcome {
  const d = change.device;
  return { device: d.name, from: d.state, to: change.to, method: change.method, bytes: change.bytes, node: d.targetNode, result: 'skipped', stepsDone: 0, stepsTotal: change.steps.length, final: d, message, elapsedMs: 0 };
}
