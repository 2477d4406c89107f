// Checks on a plan that need more of the host than the devices it changes.
import type { Sysfs } from './sysfs.js';
import { MEMORY } from './observe.js';
import type { Policy } from './policy.js';
import { capacityDelta, type Plan } from './plan.js';
import { bytes } from './render/words.js';

/** Online memory by kind: ZONE_MOVABLE, and everything the kernel can use for its own data. */
export interface MemoryTotals {
  kernel: bigint;
  movable: bigint;
}

export function observeMemoryTotals(sysfs: Sysfs): MemoryTotals | undefined {
  const sizeText = sysfs.read(`${MEMORY}/block_size_bytes`);
  if (!sizeText || !/^[0-9a-f]+$/i.test(sizeText)) return undefined;
  const blockSize = BigInt('0x' + sizeText);
  const totals: MemoryTotals = { kernel: 0n, movable: 0n };
  for (const entry of sysfs.list(MEMORY)) {
    if (!/^memory\d+$/.test(entry) || sysfs.read(`${MEMORY}/${entry}/state`) !== 'online') continue;
    if (sysfs.read(`${MEMORY}/${entry}/valid_zones`) === 'Movable') totals.movable += blockSize;
    else totals.kernel += blockSize;
  }
  return totals;
}

/** Whether the plan adds ZONE_MOVABLE memory anywhere (only then is the ratio worth reading). */
export function addsMovable(plan: Plan): boolean {
  return [...capacityDelta(plan).values()].some((d) => d.movable > 0n);
}

/**
 * The struct pages of ZONE_MOVABLE memory live in kernel memory, so the kernel
 * caps movable at a ratio of it (memory_hotplug.auto_movable_ratio, 301%).
 * Returns the warning when the plan would leave the host above the policy's ratio.
 */
export function movableRatioWarning(plan: Plan, totals: MemoryTotals, policy: Policy): string | undefined {
  let kernel = totals.kernel;
  let movable = totals.movable;
  for (const d of capacityDelta(plan).values()) {
    kernel += d.normal;
    movable += d.movable;
  }
  const limit = policy.safety.movableRatioPercent;
  if (movable * 100n <= kernel * BigInt(limit)) return undefined;
  const ratio = kernel > 0n ? `${(movable * 100n) / kernel}%` : 'unbounded';
  return `after this plan ZONE_MOVABLE would be ${bytes(movable)} against ${bytes(kernel)} of kernel memory (${ratio}, above safety.movable_ratio_percent ${limit}%): the kernel may not have room for the page metadata of that much movable memory`;
}

/** Adds host-wide warnings to a plan; `totals` is read only when the plan adds movable memory. */
export function checkPlan(result: Plan, totals: () => MemoryTotals | undefined, policy: Policy): void {
  if (!addsMovable(result)) return;
  const memory = totals();
  const warning = memory && movableRatioWarning(result, memory, policy);
  if (warning) result.warnings.push(warning);
}

/** Why apply must not write this plan (safety.on_movable_excess: refuse), or undefined. */
export function refusal(result: Plan, policy: Policy | undefined): string | undefined {
  if (!result.warnings.length || policy?.safety.onMovableExcess !== 'refuse') return undefined;
  return `refusing to apply (safety.on_movable_excess: refuse): ${result.warnings.join('; ')}`;
}
