// Saved plans (plan --out FILE, apply FILE, show FILE): recorded intent with
// the conditions it was made under: the policy (whole), the boot, and each
// device's identity and memory (model/identity.ts). apply plans again under
// the lock from the recorded policy on a fresh read, with the same safety
// checks as apply -c, and refuses unless the host is the one recorded and the
// plan made now is exactly the one recorded. The digest only tells a damaged
// or hand-edited file: anyone can compute it again.
import { DaxplanError, EXIT, UsageError } from '../model/errors.js';
import type { Observed } from '../model/device.js';
import { deviceChange, identityFrom, identityJson, memoryFrom, memoryJson } from '../model/identity.js';
import type { Binding, SavedIntent, SavedPlan, SavedRule } from '../model/saved-plan.js';
import { changes, type Plan } from './plan.js';
import type { Decider } from './match.js';
import { stepJson } from '../model/steps.js';
import { sha256Hex } from '../model/digest.js';
import { hotplugToJson } from '../model/hotplug.js';
import { parsePolicy, type Policy } from '../policy/parse.js';

export const SAVED_PLAN_FORMAT_VERSION = '3.1';

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

/** The intent of a plan made on `observed` from the policy in `policy`, with the conditions it was made under, sealed. */
export function savePlan(plan: Plan, observed: Observed, binding: Binding, policy: { file: string; text: string }, now = new Date()): SavedPlan {
  const body: Omit<SavedPlan, 'digest'> = {
    format_version: SAVED_PLAN_FORMAT_VERSION,
    kind: 'saved-plan',
    created_at: now.toISOString(),
    policy: { file: policy.file, sha256: sha256Hex(policy.text), text: policy.text },
    host: {
      source: binding.source,
      boot_id: binding.bootId,
      kernel_release: binding.kernelRelease,
      auto_online_blocks: observed.kernel.autoOnlineBlocks ?? null,
      node_tiers: Object.fromEntries(Object.entries(observed.kernel.nodeTiers)),
      memory_hotplug: hotplugToJson(observed.kernel.hotplug),
      devices: observed.devices.map((d) => ({ identity: identityJson(d), memory: memoryJson(d) })),
    },
    ...intentOf(plan),
  };
  return { ...body, digest: digestOf(body) };
}

/** Refuses a saved plan changed after daxplan wrote it (by accident: a forger computes the digest again, and must then also forge the policy). */
export function checkSealed(file: string, saved: SavedPlan): void {
  const { digest, ...body } = saved;
  if (digestOf(body) !== digest) throw new StalePlanError(file, ['it was changed after daxplan wrote it (its digest does not match its content)']);
  if (sha256Hex(saved.policy.text) !== saved.policy.sha256) throw new StalePlanError(file, ['its policy is not the one its sha256 names']);
}

/** The policy a saved plan was made from, its seal checked, parsed again as it was then (rules keep their file and lines). */
export function savedPolicy(file: string, saved: SavedPlan): Policy {
  checkSealed(file, saved);
  const result = parsePolicy(saved.policy.text, saved.policy.file);
  if (!result.ok) throw new UsageError(`${file}: the policy it records does not parse: ${result.errors[0]?.message ?? 'invalid'}`);
  return result.policy;
}

/**
 * Refuses a saved plan, before any write, unless the host read now under the
 * lock (`observed`, `binding`) is the one recorded and `replanned` (its policy
 * on that read) is exactly the recorded intent.
 */
export function checkSaved(file: string, saved: SavedPlan, observed: Observed, binding: Binding, replanned: Plan): void {
  const known = (v: string | null) => v ?? 'unknown';
  const reasons: string[] = [];
  const was = saved.host;
  if (was.boot_id !== binding.bootId) reasons.push(`the host rebooted (boot id ${known(was.boot_id)} -> ${known(binding.bootId)})`);
  if (was.kernel_release !== binding.kernelRelease) reasons.push(`kernel ${known(was.kernel_release)} -> ${known(binding.kernelRelease)}`);
  const auto = observed.kernel.autoOnlineBlocks ?? null;
  if (was.auto_online_blocks !== auto) reasons.push(`auto_online_blocks ${known(was.auto_online_blocks)} -> ${known(auto)}`);
  const now = new Map(observed.devices.map((d) => [d.name, d]));
  for (const { identity, memory } of was.devices) {
    const device = now.get(identity.name);
    const changed = device ? deviceChange({ ...identityFrom(identity), ...memoryFrom(memory) }, device) : `${identity.name} is gone`;
    if (changed) reasons.push(changed);
  }
  if (!reasons.length) reasons.push(...intentChanges(saved, intentOf(replanned), 'this host'));
  if (reasons.length) throw new StalePlanError(file, reasons);
}

/** The device names a saved plan was made on: apply observes exactly these (a plan saved with --device covers only them). */
export function savedDevices(saved: SavedPlan): string[] {
  return saved.host.devices.map((d) => d.identity.name);
}

export function intentOf(plan: Plan): SavedIntent {
  return {
    kernel_settings: plan.settings
      .filter((s) => s.kind === 'change')
      .map((s) => ({ setting: s.setting, from: s.from ?? null, to: s.to, rule: { name: `kernel.${s.setting}`, file: s.file, line: s.line } })),
    actions: changes(plan).map((c) => ({ device: c.device.name, from: c.device.state, to: c.to, method: c.method, steps: c.steps.map(stepJson), rule: ruleOf(c.decider), reason: c.reason })),
  };
}

/**
 * Where the plan made now (of `host`, in words) differs from the recorded one,
 * in words: on the devices of `devices` (default: each one either plan acts on).
 */
export function intentChanges(saved: SavedIntent, now: SavedIntent, host: string, devices?: readonly string[]): string[] {
  const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
  const says = (a: SavedIntent['actions'][number] | undefined) => (a ? `${a.to} (${a.method}, ${a.steps.length} steps) by rule "${a.rule.name}"` : 'left as it is');
  const out: string[] = [];
  if (!same(saved.kernel_settings, now.kernel_settings)) out.push(`its kernel settings are not what its policy makes of ${host}`);
  const names = devices ?? [...new Set([...saved.actions, ...now.actions].map((a) => a.device))];
  for (const name of names) {
    const [recorded, made] = [saved.actions.find((a) => a.device === name), now.actions.find((a) => a.device === name)];
    if (!same(recorded, made)) out.push(`${name} is not what its policy makes of ${host}: the file says ${says(recorded)}, the policy ${says(made)}`);
  }
  return out;
}

function digestOf(body: Omit<SavedPlan, 'digest'>): string {
  return sha256Hex(JSON.stringify(body));
}
