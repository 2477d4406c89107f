// Saved plans (plan --out, apply FILE): written with what they were made
// from, read back as hostile input, refused when the host has moved on.
import { validateSavedPlan as validate } from '../generated/validators.js';
import { DaxplanError, EXIT, HostError } from '../model/errors.js';
import { readJsonDocument } from '../host/jsonfile.js';
import type { Observed } from '../model/device.js';
import { memoryBytes, type Change, type Decider, type Method, type PlannedStep, type Step } from './plan.js';
import { planJson } from '../render/json.js';
import type { Plan } from './plan.js';
import { fingerprint, staleness, type Fingerprint, type ProcFacts } from './fingerprint.js';

const MAX_PLAN_BYTES = 16 << 20;

export function savedPlanJson(plan: Plan, observed: Observed, proc: ProcFacts) {
  return { ...planJson(plan), fingerprint: fingerprint(observed, proc) };
}

interface SavedAction {
  device: string;
  from: string;
  to: Change['to'];
  method: Method;
  reason?: string;
  rule?: { name: string; file: string; line: number | null } | null;
  steps: (Step & { expect: PlannedStep['expect']; note?: string })[];
}

interface SavedPlan {
  actions: SavedAction[];
  fingerprint: Fingerprint;
}

export function readSavedPlan(file: string): SavedPlan {
  return readJsonDocument<SavedPlan>(file, {
    kind: 'plan',
    what: 'daxplan saved plan',
    hint: 'make one with daxplan plan --out FILE',
    maxBytes: MAX_PLAN_BYTES,
    validate,
  });
}

export class StalePlanError extends DaxplanError {
  constructor(file: string, reasons: string[]) {
    super(`saved plan ${file} is stale: ${reasons.join('; ')}. Make a new one with daxplan plan --out.`, EXIT.runtime);
  }
}

/** The saved plan's changes, bound to the devices as they are now; throws when stale. */
export function changesFromSavedPlan(file: string, saved: SavedPlan, observed: Observed, proc: ProcFacts): Change[] {
  const reasons = staleness(saved.fingerprint, fingerprint(observed, proc));
  if (reasons.length) throw new StalePlanError(file, reasons);
  return saved.actions.map((action) => {
    const device = observed.devices.find((d) => d.name === action.device);
    if (!device || device.state !== action.from) throw new HostError(`${file}: action for ${action.device} does not match the host`);
    const decider: Decider =
      action.rule && action.rule.name !== 'defaults'
        ? { kind: 'rule', name: action.rule.name, file: action.rule.file, line: action.rule.line ?? 0 }
        : { kind: 'default', file: action.rule?.file ?? file };
    const steps: PlannedStep[] = action.steps.map(({ expect, note, ...step }) => ({ step: step as Step, expect, ...(note ? { note } : {}) }));
    return { kind: 'change', device, to: action.to, decider, method: action.method, steps, bytes: memoryBytes(device, observed.kernel), reason: action.reason ?? `saved plan ${file}` };
  });
}
