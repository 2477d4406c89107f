// Saved plans (plan --out FILE, apply FILE, show FILE): recorded intent, not a
// rendering. Per device: what is to happen (the state, the method, the steps)
// and why; bound by a digest to the host it was made on and by another to the
// document itself. apply re-derives the steps from a fresh read under the
// lock and refuses the plan when the host or the steps differ.
import { DaxplanError, EXIT } from '../model/errors.js';
import type { KernelFacts, Observed } from '../model/device.js';
import type { SavedPlan, SavedRule } from '../model/saved-plan.js';
import { changes, kernelAfter, planTo, summarise, type Entry, type Plan, type SettingEntry } from './plan.js';
import type { Decider } from './match.js';
import { fingerprint, staleness } from './fingerprint.js';
import { stepJson } from '../model/steps.js';
import type { ProcFacts } from '../model/host-facts.js';
import { sha256Hex } from '../model/digest.js';

export const SAVED_PLAN_FORMAT_VERSION = '2.0';

export class StalePlanError extends DaxplanError {
  constructor(file: string, reasons: string[]) {
    super(`saved plan ${file} is stale: ${reasons.join('; ')}. Make a new one with daxplan plan --out.`, EXIT.runtime);
  }
}

export function ruleOf(decider: Decider): SavedRule {
  return decider.kind === 'rule' ? { name: decider.name, file: decider.file, line: decider.line } : { name: 'defaults', file: decider.file, line: null };
}

export function deciderOf(rule: SavedRule): Decider {
  return rule.name === 'defaults' && rule.line === null ? { kind: 'default', file: rule.file } : { kind: 'rule', name: rule.name, file: rule.file, line: rule.line ?? 0 };
}

/** The intent of a plan made on `observed`, sealed. */
export function savePlan(plan: Plan, observed: Observed, proc: ProcFacts, policy: { file: string; text: string } | undefined, now = new Date()): SavedPlan {
  const body: Omit<SavedPlan, 'digest'> = {
    format_version: SAVED_PLAN_FORMAT_VERSION,
    kind: 'saved-plan',
    created_at: now.toISOString(),
    policy: policy ? { file: policy.file, sha256: sha256Hex(policy.text) } : null,
    host: fingerprint(observed, proc),
    kernel_settings: plan.settings
      .filter((s) => s.kind === 'change')
      .map((s) => ({ setting: s.setting, from: s.from ?? null, to: s.to, rule: { name: `kernel.${s.setting}`, file: s.file, line: s.line } })),
    actions: changes(plan).map((c) => ({ device: c.device.name, from: c.device.state, to: c.to, method: c.method, steps: c.steps.map(stepJson), rule: ruleOf(c.decider), reason: c.reason })),
  };
  return { ...body, digest: digestOf(body) };
}

/** Refuses a saved plan changed after daxplan wrote it: its digest covers everything it says it will do. */
export function checkSealed(file: string, saved: SavedPlan): void {
  const { digest, ...body } = saved;
  if (digestOf(body) !== digest) throw new StalePlanError(file, ['it was changed after daxplan wrote it (its digest does not match its content)']);
}

/**
 * The plan to apply from a saved one, on the host as it is now (observed
 * under the lock): refused when the host is not the one the plan was made on,
 * or when the steps derived now are not the steps the plan recorded.
 */
export function planFromSaved(file: string, saved: SavedPlan, observed: Observed, proc: ProcFacts): Plan {
  checkSealed(file, saved);
  const reasons = staleness(saved.host, fingerprint(observed, proc));
  if (reasons.length) throw new StalePlanError(file, reasons);
  const settings: SettingEntry[] = saved.kernel_settings.map((s) => {
    const from = observed.kernel.autoOnlineBlocks;
    const base = { setting: s.setting, from, to: s.to, file: s.rule.file, line: s.rule.line ?? 0 };
    return from === s.to ? { ...base, kind: 'unchanged', reason: `kernel.${s.setting}` } : { ...base, kind: 'change', reason: `kernel.${s.setting} (saved plan)` };
  });
  const kernel: KernelFacts = kernelAfter(observed.kernel, settings);
  const entries: Entry[] = saved.actions.map((action) => {
    const device = observed.devices.find((d) => d.name === action.device);
    if (!device) throw new StalePlanError(file, [`${action.device} is gone`]);
    const entry = planTo(device, action.to, deciderOf(action.rule), action.reason, kernel);
    const now = entry.kind === 'change' ? JSON.stringify([entry.method, entry.steps.map(stepJson)]) : entry.kind;
    if (now !== JSON.stringify([action.method, action.steps]))
      throw new StalePlanError(file, [`the steps for ${action.device} are no longer the ones it recorded (now: ${entry.kind === 'change' ? `${entry.method}, ${entry.steps.length} steps` : `${entry.kind}: ${entry.reason}`})`]);
    return entry;
  });
  return { entries, settings, kernel: observed.kernel, summary: summarise(entries, settings) };
}

/** The device names a saved plan was made on: apply observes exactly these (a plan saved with --device covers only them). */
export function savedDevices(saved: SavedPlan): string[] {
  return saved.host.devices.map((d) => d.name);
}

function digestOf(body: Omit<SavedPlan, 'digest'>): string {
  return sha256Hex(JSON.stringify(body));
}
