// A saved plan as a plan again, for daxplan show: its kernel settings and
// changes as recorded, on the devices as they were when it was saved, and
// what its recorded policy makes of that recorded host, so that a recorded
// action the policy does not make (a forgery, resealed) shows without reading
// YAML. What a saved plan does not record (the block size, device problems)
// stays unknown; nothing is read from this host.
import { stateFileSupport, type Observed, type ObservedDevice } from '../model/device.js';
import { identityFrom, memoryFrom } from '../model/identity.js';
import { hotplugFromJson } from '../model/hotplug.js';
import { UsageError } from '../model/errors.js';
import type { SavedPlan } from '../model/saved-plan.js';
import { plan, summarise, type Change, type Plan, type SettingEntry } from './plan.js';
import { deciderOf, intentChanges, intentOf, savedPolicy } from './saved.js';

export interface SavedView {
  plan: Plan;
  /** Devices the plan was made on and leaves as they are. */
  others: number;
  /** Each recorded action (and the kernel settings) its recorded policy does not make of the recorded host, in words. */
  unreproduced: string[];
}

export function savedPlanView(file: string, saved: SavedPlan): SavedView {
  const host = recordedHost(saved);
  const devices = new Map(host.devices.map((d) => [d.name, d]));
  const entries: Change[] = saved.actions.map((action) => {
    const device = devices.get(action.device);
    if (!device) throw new UsageError(`${file}: not a daxplan saved plan: the host it records has no ${action.device}`);
    const steps = action.steps.map(({ expect, ...step }) => ({ step, expect }));
    return { kind: 'change', device, to: action.to, decider: deciderOf(action.rule), reason: action.reason, method: action.method, steps, bytes: 0n };
  });
  const settings: SettingEntry[] = saved.kernel_settings.map((s) => ({
    setting: s.setting,
    kind: 'change',
    from: s.from ?? undefined,
    to: s.to,
    file: s.rule.file,
    line: s.rule.line ?? 0,
    reason: `kernel.${s.setting}`,
  }));
  const made = intentOf(plan(savedPolicy(file, saved), host));
  return {
    plan: { entries, settings, kernel: host.kernel, summary: summarise(entries, settings) },
    others: saved.host.devices.length - entries.length,
    unreproduced: intentChanges(saved, made, 'the recorded host', saved.actions.map((a) => a.device)),
  };
}

/** The host a saved plan records, as observe() read it, as far as the plan records it. */
function recordedHost(saved: SavedPlan): Observed {
  const tiers = saved.host.node_tiers ?? {};
  const devices = saved.host.devices.map(({ identity, memory }): ObservedDevice => {
    const [is, does] = [identityFrom(identity), memoryFrom(memory)];
    const tier = is.targetNode === undefined ? undefined : tiers[is.targetNode];
    return { ...is, ...does, tier, source: 'unknown', blockSpan: does.blocks.length, problems: [] };
  });
  const nodeTiers: Record<number, number> = {};
  for (const [node, tier] of Object.entries(tiers)) nodeTiers[Number(node)] = tier;
  return {
    kernel: {
      blockSize: undefined,
      autoOnlineBlocks: saved.host.auto_online_blocks ?? undefined,
      hotplug: hotplugFromJson(saved.host.memory_hotplug),
      stateFile: stateFileSupport(devices),
      nodeTiers,
      problems: [],
    },
    devices,
  };
}
