// Words shared by every renderer: sizes, steps, deciders.
import type { ObservedDevice } from '../model/device.js';
import { blockKind, onlineBlockCount, zoneOf, type HotplugSupport } from '../model/device.js';
import type { Change, Decider, PlannedStep } from '../plan/plan.js';
import { blocksPerStep } from '../plan/moves.js';

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

export function bytes(n: bigint): string {
  const negative = n < 0n;
  let value = Number(negative ? -n : n);
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  const text = unit === 0 || Number.isInteger(value) ? String(value) : value.toFixed(value < 10 ? 2 : 1).replace(/\.?0+$/, '');
  return `${negative ? '-' : ''}${text} ${UNITS[unit]}`;
}

export function signedBytes(n: bigint): string {
  return n > 0n ? `+${bytes(n)}` : bytes(n);
}

/** "7 blocks (896 MiB)": blocks and, when the block size is known, the memory they hold. */
export function blockAmount(blocks: number, blockSize: bigint | undefined): string {
  const count = `${blocks} block${blocks === 1 ? '' : 's'}`;
  return blockSize ? `${count} (${bytes(BigInt(blocks) * blockSize)})` : count;
}

/** One step in words; `blocks` is what it moves (default: every block the device spans). */
export function describeStep(planned: PlannedStep, device: ObservedDevice, blocks = device.blockSpan, blockSize?: bigint): string {
  const { step } = planned;
  const amount = blockAmount(blocks, blockSize);
  let text: string;
  switch (step.op) {
    case 'bind':
      text = `bind to ${step.driver}${step.driver === 'kmem' && blocks > 0 && blockSize ? `, adding ${amount}` : ''}`;
      break;
    case 'unbind':
      text = `unbind from ${step.driver}`;
      break;
    case 'hotplug':
      text = `write hotplug = ${step.value}: ${blocks > 0 ? amount : 'all blocks'} at once`;
      break;
    case 'offline_blocks':
      text = `offline ${amount}, highest first`;
      break;
    case 'online_blocks':
      text = `online ${amount} into ZONE_${step.zone.toUpperCase()}, lowest first`;
      break;
  }
  return planned.note ? `${text}; ${planned.note}` : text;
}

/** A change's steps in words, each with the memory it really moves. */
export function describeSteps(change: Change, blockSize: bigint | undefined): string[] {
  const moved = blocksPerStep(change.steps, change.device);
  return change.steps.map((s, i) => describeStep(s, change.device, moved[i], blockSize));
}

/** What a change does to the system's memory, as terraform marks it: + memory joins, - memory leaves, ~ it changes zone or mode. */
export function changeMark(change: Change): '+' | '-' | '~' {
  const before = onlineBlockCount(change.device) > 0;
  const after = zoneOf(change.to) !== undefined;
  return before === after ? '~' : after ? '+' : '-';
}

/** The mark of a device no rule manages: not a removal, not a change. */
export const UNMANAGED_MARK = '·';

export function describeDecider(decider: Decider): string {
  return decider.kind === 'rule' ? `rule "${decider.name}" (${decider.file}:${decider.line})` : `defaults.state (${decider.file})`;
}

/** Zone column of status: the zone every online block is in, or "mixed". */
export function zoneSummary(device: ObservedDevice): string {
  const zones = new Set(device.blocks.filter((b) => b.state === 'online').map(blockKind));
  if (zones.size === 0) return '-';
  return zones.size === 1 ? [...zones][0] : 'mixed';
}

/** Blocks column of status: online/total, or "-" for a device with no memory blocks (devdax, unbound, unplugged). */
export function blocksSummary(device: ObservedDevice): string {
  return device.blocks.length ? `${onlineBlockCount(device)}/${device.blockSpan}` : '-';
}

export function summaryLine(summary: { change: number; unchanged: number; unmanaged: number; blocked: number }): string {
  if (summary.change === 0 && summary.blocked === 0) return 'No changes. Memory matches policy.';
  const parts = [`${summary.change} to change`, `${summary.unchanged} unchanged`, `${summary.unmanaged} unmanaged`];
  if (summary.blocked) parts.push(`${summary.blocked} blocked`);
  return `Plan: ${parts.join(', ')}.`;
}

export function hotplugWords(support: HotplugSupport): string {
  switch (support) {
    case 'not-seen':
      return 'no hotplug attribute seen (per-block writes)';
    case 'seen':
      return 'hotplug attribute present';
    case 'v3':
      return 'hotplug attribute (v2/v3 spelling)';
    case 'v4':
      return 'hotplug attribute (v4 spelling)';
  }
}
