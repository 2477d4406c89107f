// The movable-ratio check: pure, on a plan and the host's memory totals.
import { KERNEL_AUTO_MOVABLE_RATIO, type Policy } from '../policy/parse.js';
import { capacityDelta, type Plan } from './plan.js';
import type { MemoryTotals } from '../model/host-facts.js';
import type { KernelFacts } from '../model/device.js';

/** Where the movable-ratio limit comes from: the policy, the kernel's memory_hotplug.auto_movable_ratio, or the kernel's default when it shows none. */
export type LimitSource = 'policy' | 'kernel' | 'default';

export interface MovableLimit {
  percent: number;
  source: LimitSource;
}

/** The policy's safety.movable_ratio_percent, else the ratio this kernel uses for auto-movable, else the kernel's default (301%). */
export function movableLimit(policy: Policy, kernel: KernelFacts): MovableLimit {
  if (policy.safety.movableRatioPercent !== undefined) return { percent: policy.safety.movableRatioPercent, source: 'policy' };
  // A ratio of 0 only stops the kernel choosing ZONE_MOVABLE by itself; it says nothing of explicit online_movable.
  if (kernel.hotplug.kind === 'read' && kernel.hotplug.autoMovableRatio > 0) return { percent: kernel.hotplug.autoMovableRatio, source: 'kernel' };
  return { percent: KERNEL_AUTO_MOVABLE_RATIO, source: 'default' };
}

/** Whether the plan adds ZONE_MOVABLE memory anywhere (only then is the ratio worth reading). */
export function addsMovable(plan: Plan): boolean {
  return [...capacityDelta(plan).values()].some((d) => d.movable > 0n);
}

/** The plan would leave more ZONE_MOVABLE than the policy's ratio of kernel memory. */
export interface MovableExcess {
  kind: 'movable-ratio';
  movable: bigint;
  kernel: bigint;
  limitPercent: number;
  limitSource: LimitSource;
}

/**
 * The struct pages of ZONE_MOVABLE memory live in kernel memory, so the kernel
 * caps movable at a ratio of it (memory_hotplug.auto_movable_ratio, 301%).
 * Returns the excess when the plan would leave the host above the policy's ratio.
 */
export function movableExcess(plan: Plan, totals: MemoryTotals, policy: Policy): MovableExcess | undefined {
  let kernel = totals.kernel;
  let movable = totals.movable;
  for (const d of capacityDelta(plan).values()) {
    kernel += d.normal;
    movable += d.movable;
  }
  const limit = movableLimit(policy, plan.kernel);
  if (movable * 100n <= kernel * BigInt(limit.percent)) return undefined;
  return { kind: 'movable-ratio', movable, kernel, limitPercent: limit.percent, limitSource: limit.source };
}

/** The movable-ratio check of a plan; `totals` is read only when the plan adds movable memory. */
export function checkMovable(result: Plan, totals: () => MemoryTotals | undefined, policy: Policy): MovableExcess[] {
  if (!addsMovable(result)) return [];
  const memory = totals();
  const excess = memory && movableExcess(result, memory, policy);
  return excess ? [excess] : [];
}
