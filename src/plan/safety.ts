// The movable-ratio check: pure, on a plan and the host's memory totals.
import type { Policy } from '../policy/parse.js';
import { capacityDelta, type Plan } from './plan.js';
import type { MemoryTotals } from '../model/host-facts.js';

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
  const limitPercent = policy.safety.movableRatioPercent;
  if (movable * 100n <= kernel * BigInt(limitPercent)) return undefined;
  return { kind: 'movable-ratio', movable, kernel, limitPercent };
}

/** The movable-ratio check of a plan; `totals` is read only when the plan adds movable memory. */
export function checkMovable(result: Plan, totals: () => MemoryTotals | undefined, policy: Policy): MovableExcess[] {
  if (!addsMovable(result)) return [];
  const memory = totals();
  const excess = memory && movableExcess(result, memory, policy);
  return excess ? [excess] : [];
}
