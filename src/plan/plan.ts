// plan(policy, observed): the pure diff of desired against observed state.
// The plan is a value: everything it decided, and nothing pushed into it later
// (findings, warnings and the pause travel beside it in a Report).
import type { Policy } from '../policy/parse.js';
import {
  stateDrift,
  onlineByZone,
  zoneOf,
  type AutoOnline,
  type DesiredState,
  type KernelFacts,
  type Observed,
  type ObservedDevice,
  type Zone,
} from '../model/device.js';
import { decide, type Decider } from './match.js';
import { methodFor, stepsTo } from './transitions.js';
import { heldDecision } from './held.js';
import type { Method, PlannedStep } from '../model/steps.js';

interface EntryBase {
  device: ObservedDevice;
  reason: string;
}

export type Entry =
  | (EntryBase & { kind: 'change'; to: DesiredState; decider: Decider; method: Method; steps: PlannedStep[]; bytes: bigint })
  | (EntryBase & { kind: 'unchanged'; to: DesiredState; decider: Decider })
  | (EntryBase & { kind: 'unmanaged' })
  | (EntryBase & { kind: 'blocked'; to?: DesiredState; decider?: Decider });

export type Change = Extract<Entry, { kind: 'change' }>;

/** A host-wide kernel setting the policy declares, against what the kernel has. */
export interface SettingEntry {
  setting: 'auto_online_blocks';
  kind: 'change' | 'unchanged' | 'blocked';
  from: AutoOnline | undefined;
  to: AutoOnline;
  /** Where the policy declares it. */
  file: string;
  line: number;
  reason: string;
}

export type Summary = { change: number; unchanged: number; unmanaged: number; blocked: number };

export interface Plan {
  entries: Entry[];
  /** Kernel settings, applied before any device entry. */
  settings: SettingEntry[];
  /** The kernel as observed (settings not yet applied). */
  kernel: KernelFacts;
  /** Settings and devices together: a kernel setting counts like a device. */
  summary: Summary;
}

export function plan(policy: Policy, observed: Observed): Plan {
  const settings = planSettings(policy, observed.kernel);
  // Device steps are planned for the kernel as it will be once the settings are written.
  const kernel = kernelAfter(observed.kernel, settings);
  const entries = observed.devices.map((device) => planDevice(policy, kernel, device));
  return { entries, settings, kernel: observed.kernel, summary: summarise(entries, settings) };
}

export function summarise(entries: Entry[], settings: SettingEntry[]): Summary {
  const count = (kind: Entry['kind']) => entries.filter((e) => e.kind === kind).length + settings.filter((s) => s.kind === kind).length;
  return { change: count('change'), unchanged: count('unchanged'), unmanaged: count('unmanaged'), blocked: count('blocked') };
}

function planSettings(policy: Policy, kernel: KernelFacts): SettingEntry[] {
  const wanted = policy.kernel.autoOnlineBlocks;
  if (!wanted) return [];
  const base = { setting: 'auto_online_blocks' as const, from: kernel.autoOnlineBlocks, to: wanted.value, file: policy.file, line: wanted.line };
  if (kernel.autoOnlineBlocks === undefined)
    return [{ ...base, kind: 'blocked', reason: 'devices/system/memory/auto_online_blocks is missing or unreadable (a kernel without memory hotplug?)' }];
  if (kernel.autoOnlineBlocks === wanted.value) return [{ ...base, kind: 'unchanged', reason: 'kernel.auto_online_blocks' }];
  return [{ ...base, kind: 'change', reason: 'kernel.auto_online_blocks; written before any device step' }];
}

/** The kernel facts once the plan's setting changes are written. */
export function kernelAfter(kernel: KernelFacts, settings: SettingEntry[]): KernelFacts {
  const auto = settings.find((s) => s.setting === 'auto_online_blocks' && s.kind === 'change');
  return auto ? { ...kernel, autoOnlineBlocks: auto.to } : kernel;
}

export function settingChanges(p: Plan): SettingEntry[] {
  return p.settings.filter((s) => s.kind === 'change');
}

/** The entry for one device wanted in state `to`, as decided by `decider` for `reason`. */
export function planTo(device: ObservedDevice, to: DesiredState, decider: Decider, reason: string, kernel: KernelFacts): Entry {
  if (device.problems.length) return { kind: 'blocked', device, to, decider, reason: `cannot read the device: ${device.problems.join('; ')}` };
  const held = heldDecision(device, to);
  if (held) return held.kind === 'unchanged' ? { kind: 'unchanged', device, to, decider, reason } : { kind: 'blocked', device, to, decider, reason: held.reason };
  const method = methodFor(device, kernel);
  const steps = stepsTo(device, to, method, kernel.hotplug);
  if (!steps) return { kind: 'blocked', device, to, decider, reason: `no way from ${device.state} to ${to} with ${method} writes` };
  const drift = method === 'state' ? stateDrift(device, kernel.hotplug) : undefined;
  if (steps.length === 0)
    return { kind: 'unchanged', device, to, decider, reason: drift ? `${reason}; ${drift}: the memory is where the policy wants it, so it stays (only an unplug could change the word)` : reason };
  // A kmem bind sets auto_online_blocks for its moment and puts it back: found out at plan time, not after the unbind.
  if (kernel.autoOnlineBlocks === undefined && steps.some(({ step }) => step.op === 'bind' && step.driver === 'kmem'))
    return { kind: 'blocked', device, to, decider, reason: `binding it to kmem needs devices/system/memory/auto_online_blocks, which is missing or unreadable` };
  return { kind: 'change', device, to, decider, reason: drift ? `${reason}; ${drift}: repaired through the state file` : reason, method, steps, bytes: memoryBytes(device, kernel) };
}

function planDevice(policy: Policy, kernel: KernelFacts, device: ObservedDevice): Entry {
  const decision = decide(policy, device);
  if (decision.kind === 'unmanaged') return { kind: 'unmanaged', device, reason: decision.reason };
  if (decision.kind === 'blocked') return { kind: 'blocked', device, decider: decision.decider, reason: decision.reason };
  return planTo(device, decision.to, decision.decider, decision.reason, kernel);
}

/** Bytes of system memory the device's blocks hold (kmem adds whole blocks only). */
export function memoryBytes(device: ObservedDevice, kernel: KernelFacts): bigint {
  return kernel.blockSize ? BigInt(device.blockSpan) * kernel.blockSize : device.size;
}

/** ZONE_NORMAL / ZONE_MOVABLE bytes a change adds (+) or removes (-) on its node. */
export function zoneDelta(entry: Change, blockSize: bigint): Record<Zone, bigint> {
  const before = onlineByZone(entry.device, blockSize);
  const delta: Record<Zone, bigint> = { normal: -before.normal, movable: -before.movable };
  const after = zoneOf(entry.to);
  if (after) delta[after] += entry.bytes;
  return delta;
}

export function changes(p: Plan): Change[] {
  return p.entries.filter((e): e is Change => e.kind === 'change');
}

/** Per-node zone capacity the plan adds or removes, nodes in ascending order. */
export function capacityDelta(p: Plan): Map<number, Record<Zone, bigint>> {
  const byNode = new Map<number, Record<Zone, bigint>>();
  const blockSize = p.kernel.blockSize ?? 0n;
  for (const change of changes(p)) {
    const node = change.device.targetNode ?? -1;
    const total = byNode.get(node) ?? { normal: 0n, movable: 0n };
    const delta = zoneDelta(change, blockSize);
    total.normal += delta.normal;
    total.movable += delta.movable;
    byNode.set(node, total);
  }
  return new Map([...byNode].sort(([a], [b]) => a - b));
}
