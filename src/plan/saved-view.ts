// A saved plan as a plan again, for daxplan show: its kernel settings and
// changes as recorded, on the devices as they were when it was saved. What a
// saved plan does not record (the block size, tiers, the decisions about the
// devices it leaves alone) stays unknown; nothing is read from this host.
import type { KernelFacts, ObservedDevice } from '../model/device.js';
import { identityFrom, memoryFrom } from '../model/identity.js';
import { UsageError } from '../model/errors.js';
import type { SavedPlan } from '../model/saved-plan.js';
import { summarise, type Change, type Plan, type SettingEntry } from './plan.js';
import { deciderOf } from './saved.js';

export interface SavedView {
  plan: Plan;
  /** Devices the plan was made on and leaves as they are. */
  others: number;
}

export function savedPlanView(file: string, saved: SavedPlan): SavedView {
  const devices = new Map(saved.host.devices.map((d) => [d.identity.name, d]));
  const entries: Change[] = saved.actions.map((action) => {
    const recorded = devices.get(action.device);
    if (!recorded) throw new UsageError(`${file}: not a daxplan saved plan: the host it records has no ${action.device}`);
    const memory = memoryFrom(recorded.memory);
    const device: ObservedDevice = { ...identityFrom(recorded.identity), ...memory, tier: undefined, source: 'unknown', blockSpan: memory.blocks.length, problems: [] };
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
  const kernel: KernelFacts = {
    blockSize: undefined,
    autoOnlineBlocks: saved.host.auto_online_blocks ?? undefined,
    // A saved plan does not record them: its steps name every zone.
    hotplug: { kind: 'absent' },
    stateFile: saved.host.devices.some((d) => d.memory.state_file !== null) ? 'seen' : 'not-seen',
    nodeTiers: {},
    problems: [],
  };
  return { plan: { entries, settings, kernel, summary: summarise(entries, settings) }, others: saved.host.devices.length - entries.length };
}
