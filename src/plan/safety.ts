// Checks on a plan that need more of the host than the devices it changes.
import { MEMORY, type Sysfs } from '../host/sysfs.js';
import { parseBlockSize } from '../host/observe.js';
import type { Policy } from '../policy/parse.js';
import type { BlockState, Observed } from '../model/device.js';
import { capacityDelta, type Plan } from './plan.js';
import { bytes } from '../render/words.js';

/** Online memory by kind: ZONE_MOVABLE, and everything the kernel can use for its own data. */
export interface MemoryTotals {
  kernel: bigint;
  movable: bigint;
}

/**
 * Online memory by zone across the host. Blocks of `observed` devices (read in
 * this run) are taken from it, not read again: on a 4 TiB host that halves
 * the reads of a plan (32k blocks, two files each). The others are read in
 * two batches (states, then the zones of the online ones).
 */
export function observeMemoryTotals(sysfs: Sysfs, observed?: Observed): MemoryTotals | undefined {
  const blockSize = parseBlockSize(sysfs.read(`${MEMORY}/block_size_bytes`));
  if (blockSize === undefined) return undefined;
  const known = new Map<number, BlockState>();
  for (const device of observed?.devices ?? []) for (const block of device.blocks) known.set(block.index, block);
  // Counted in blocks (numbers, not bigints: 32k additions on a 4 TiB host).
  let kernel = 0;
  let movable = 0;
  const count = (zone: string) => (zone === 'Movable' ? movable++ : kernel++);
  const unknown: string[] = [];
  for (const entry of sysfs.list(MEMORY)) {
    if (!/^memory\d+$/.test(entry)) continue;
    const block = known.get(Number(entry.slice(6)));
    if (!block) unknown.push(entry);
    else if (block.state === 'online') count(block.zone);
  }
  const states = unknown.map((entry) => sysfs.read(`${MEMORY}/${entry}/state`));
  const online = unknown.filter((_, i) => states[i] === 'online');
  for (const zone of online.map((entry) => sysfs.read(`${MEMORY}/${entry}/valid_zones`))) count(zone ?? '');
  return { kernel: BigInt(kernel) * blockSize, movable: BigInt(movable) * blockSize };
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
