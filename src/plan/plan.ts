// plan(policy, observed): the pure diff of desired against observed state.
import picomatch from 'picomatch';
import type { Policy, Rule } from '../policy/parse.js';
import type { Finding } from '../doctor/findings.js';
import type { Pause } from '../host/pause.js';
import {
  type AutoOnline,
  blockKind,
  type DesiredState,
  type Driver,
  type KernelFacts,
  type Observed,
  type ObservedDevice,
  type ObservedState,
  type Zone,
  stateForZone,
  zoneNamed,
  zoneOf,
} from '../model/device.js';

export type Step =
  | { op: 'bind'; driver: Driver }
  | { op: 'unbind'; driver: Driver }
  | { op: 'hotplug'; value: 'unplug' | 'online' | 'online_movable' }
  | { op: 'offline_blocks' }
  | { op: 'online_blocks'; zone: Zone };

/** A step and the state the device is in once it has run. */
export interface PlannedStep {
  step: Step;
  expect: ObservedState;
  note?: string;
}

export type Method = 'hotplug-attr' | 'per-block';

/** What decided a device's desired state. */
export type Decider = { kind: 'rule'; name: string; file: string; line: number } | { kind: 'default'; file: string };

interface EntryBase {
  device: ObservedDevice;
  reason: string;
}

export type Entry =
  | (EntryBase & { kind: 'change'; to: DesiredState; decider: Decider; method: Method; steps: PlannedStep[]; bytes: bigint })
  | (EntryBase & { kind: 'unchanged'; to: DesiredState; decider: Decider })
  | (EntryBase & { kind: 'unmanaged' })
  | (EntryBase & { kind: 'blocked'; to?: DesiredState; decider?: Decider });

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
  /** Host-wide concerns found by checks outside the pure planner. */
  warnings: string[];
  /** Other controllers of the same memory, found by doctor's checks (empty when not checked). */
  conflicts: Finding[];
  /** Set when daxplan is disabled (daxplan disable): automatic runs change nothing. */
  paused?: Pause;
  /** Settings and devices together: a kernel setting counts like a device. */
  summary: Summary;
}

export function plan(policy: Policy, observed: Observed): Plan {
  const settings = planSettings(policy, observed.kernel);
  // Device steps are planned for the kernel as it will be once the settings are written.
  const kernel = kernelAfter(observed.kernel, settings);
  const entries = observed.devices.map((device) => planDevice(policy, kernel, device));
  return { entries, settings, kernel: observed.kernel, warnings: [], conflicts: [], summary: summarise(entries, settings) };
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

/** An observed state fulfils a desired one (unbound memory is unplugged too). */
export function satisfies(observed: ObservedState, desired: DesiredState): boolean {
  return observed === desired || (desired === 'unplug' && observed === 'unbound');
}

function planDevice(policy: Policy, kernel: KernelFacts, device: ObservedDevice): Entry {
  const decision = decide(policy, device);
  if (decision.kind === 'unmanaged') return { kind: 'unmanaged', device, reason: decision.reason };
  if (decision.kind === 'blocked') return { kind: 'blocked', device, decider: decision.decider, reason: decision.reason };
  const { to, decider, reason } = decision;
  if (device.problems.length)
    return { kind: 'blocked', device, to, decider, reason: `cannot read the device: ${device.problems.join('; ')}` };
  if (satisfies(device.state, to)) return { kind: 'unchanged', device, to, decider, reason };
  const method = methodFor(device, kernel);
  const steps = findSteps(device, (s) => satisfies(s, to), method, kernel);
  if (!steps)
    return { kind: 'blocked', device, to, decider, reason: `no way from ${device.state} to ${to} with ${method} writes` };
  return { kind: 'change', device, to, decider, reason, method, steps, bytes: memoryBytes(device, kernel) };
}

/** Bytes of system memory the device's blocks hold (kmem adds whole blocks only). */
export function memoryBytes(device: ObservedDevice, kernel: KernelFacts): bigint {
  return kernel.blockSize ? BigInt(device.blockSpan) * kernel.blockSize : device.size;
}

type Decision =
  | { kind: 'desired'; to: DesiredState; decider: Decider; reason: string }
  | { kind: 'unmanaged'; reason: string }
  | { kind: 'blocked'; reason: string; decider: Decider };

function decide(policy: Policy, device: ObservedDevice): Decision {
  for (const rule of policy.rules) {
    const result = matchRule(rule, device, policy);
    if (result === 'no') continue;
    const decider: Decider = { kind: 'rule', name: rule.name, file: rule.file, line: rule.line };
    if (result === 'tier-unknown')
      return {
        kind: 'blocked',
        decider,
        reason: `rule "${rule.name}" (${rule.file}:${rule.line}) selects by tier, and node ${device.targetNode} is in no memory tier the kernel shows (it has no online memory); list it under \`tiers:\` in the policy`,
      };
    return { kind: 'desired', to: rule.state, decider, reason: `matches ${describeMatch(rule, device, policy)}` };
  }
  if (policy.defaultState === 'unmanaged') return { kind: 'unmanaged', reason: 'no rule matches' };
  return {
    kind: 'desired',
    to: policy.defaultState,
    decider: { kind: 'default', file: policy.file },
    reason: 'no rule matches; defaults.state applies',
  };
}

/** Tier of a device: what the kernel shows, else what the policy declares. */
export function tierOf(device: ObservedDevice, policy: Policy): number | undefined {
  if (device.tier !== undefined) return device.tier;
  if (device.targetNode === undefined) return undefined;
  const declared = Object.entries(policy.tierNodes).find(([, nodes]) => nodes.includes(device.targetNode!));
  return declared ? Number(declared[0]) : undefined;
}

export function matchRule(rule: Rule, device: ObservedDevice, policy: Policy): 'yes' | 'no' | 'tier-unknown' {
  const { uuid, numa_node, tier, device: globs } = rule.match;
  if (uuid && !(device.uuid && uuid.includes(device.uuid))) return 'no';
  if (numa_node && !(device.targetNode !== undefined && numa_node.includes(device.targetNode))) return 'no';
  if (globs && !globs.some((g) => picomatch.isMatch(device.name, g))) return 'no';
  if (tier) {
    const t = tierOf(device, policy);
    if (t === undefined) return 'tier-unknown';
    if (!tier.includes(t)) return 'no';
  }
  return 'yes';
}

function describeMatch(rule: Rule, device: ObservedDevice, policy: Policy): string {
  const parts: string[] = [];
  if (rule.match.uuid) parts.push(`uuid ${device.uuid}`);
  if (rule.match.numa_node) parts.push(`node ${device.targetNode}`);
  if (rule.match.tier) parts.push(`tier ${tierOf(device, policy)}${device.tier === undefined ? ' (declared in tiers:)' : ''}`);
  if (rule.match.device) parts.push(`name ${device.name}`);
  return parts.join(', ');
}

export function methodFor(device: ObservedDevice, kernel: KernelFacts): Method {
  if (device.hotplug !== undefined) return 'hotplug-attr';
  if (device.driver !== 'kmem' && kernel.hotplug !== 'not-seen') return 'hotplug-attr';
  return 'per-block';
}

/** The state the kernel leaves a device in right after kmem binds it. */
export function stateAfterKmemBind(kernel: KernelFacts): ObservedState {
  switch (kernel.autoOnlineBlocks) {
    case 'online':
    case 'online_kernel':
      return 'online';
    case 'online_movable':
      return 'online_movable';
    default:
      return 'offline';
  }
}

interface Edge {
  to: ObservedState;
  step: Step;
  note?: string;
}

function edges(from: ObservedState, method: Method, kernel: KernelFacts, device: ObservedDevice): Edge[] {
  switch (from) {
    case 'devdax':
      return [{ to: 'unbound', step: { op: 'unbind', driver: 'device_dax' } }];
    case 'unbound': {
      const after = stateAfterKmemBind(kernel);
      const note =
        after === 'offline'
          ? undefined
          : `the kernel onlines the new blocks at once (auto_online_blocks=${kernel.autoOnlineBlocks}) into ZONE_${after === 'online' ? 'NORMAL' : 'MOVABLE'}`;
      return [
        { to: 'devdax', step: { op: 'bind', driver: 'device_dax' } },
        { to: after, step: { op: 'bind', driver: 'kmem' }, note },
      ];
    }
    case 'unplug':
      if (method === 'per-block') return [{ to: 'unbound', step: { op: 'unbind', driver: 'kmem' } }];
      return [
        { to: 'online', step: { op: 'hotplug', value: 'online' } },
        { to: 'online_movable', step: { op: 'hotplug', value: 'online_movable' } },
        { to: 'unbound', step: { op: 'unbind', driver: 'kmem' } },
      ];
    default:
      break;
  }
  if (method === 'hotplug-attr') return [{ to: 'unplug', step: { op: 'hotplug', value: 'unplug' } }];
  // per-block: offline, online (either zone), mixed
  if (from === 'offline')
    return [
      { to: 'online', step: { op: 'online_blocks', zone: 'normal' } },
      { to: 'online_movable', step: { op: 'online_blocks', zone: 'movable' } },
      { to: 'unbound', step: { op: 'unbind', driver: 'kmem' } },
    ];
  const out: Edge[] = [{ to: 'offline', step: { op: 'offline_blocks' } }];
  if (from === 'mixed') {
    // Online the offline blocks where every online block is already in one zone.
    const zones = new Set(device.blocks.filter((b) => b.state === 'online').map(blockKind));
    const zone = zones.size === 1 ? zoneNamed([...zones][0]) : undefined;
    if (zone) out.unshift({ to: stateForZone(zone), step: { op: 'online_blocks', zone } });
  }
  return out;
}

/** Shortest sequence of kernel steps from the device's state to one `goal` accepts. */
export function findSteps(
  device: ObservedDevice,
  goal: (state: ObservedState) => boolean,
  method: Method,
  kernel: KernelFacts,
): PlannedStep[] | undefined {
  const start = device.state;
  const previous = new Map<ObservedState, { from: ObservedState; edge: Edge }>();
  const queue: ObservedState[] = [start];
  const seen = new Set<ObservedState>([start]);
  while (queue.length) {
    const state = queue.shift()!;
    if (state !== start && goal(state)) {
      const path: PlannedStep[] = [];
      for (let s = state; s !== start; ) {
        const { from, edge } = previous.get(s)!;
        path.unshift({ step: edge.step, expect: edge.to, ...(edge.note ? { note: edge.note } : {}) });
        s = from;
      }
      return path;
    }
    for (const edge of edges(state, method, kernel, device)) {
      if (seen.has(edge.to)) continue;
      seen.add(edge.to);
      previous.set(edge.to, { from: state, edge });
      queue.push(edge.to);
    }
  }
  return undefined;
}

/** ZONE_NORMAL / ZONE_MOVABLE bytes a change adds (+) or removes (-) on its node. */
export function zoneDelta(entry: Change, blockSize: bigint): Record<Zone, bigint> {
  const delta: Record<Zone, bigint> = { normal: 0n, movable: 0n };
  for (const block of entry.device.blocks) {
    const zone = block.state === 'online' ? zoneNamed(block.zone) : undefined;
    if (zone) delta[zone] -= blockSize;
  }
  const after = zoneOf(entry.to);
  if (after) delta[after] += entry.bytes;
  return delta;
}

export type Change = Extract<Entry, { kind: 'change' }>;

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
