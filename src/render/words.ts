// Words shared by every renderer: sizes, steps, deciders.
import type { ObservedDevice } from '../model/device.js';
import { blockKind, onlineBlockCount, type HotplugSupport } from '../model/device.js';
import type { Decider, PlannedStep } from '../plan/plan.js';

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

export function describeStep(planned: PlannedStep, device: ObservedDevice): string {
  const { step } = planned;
  const blocks = `${device.blockSpan} block${device.blockSpan === 1 ? '' : 's'}`;
  let text: string;
  switch (step.op) {
    case 'bind':
      text = `bind to ${step.driver}`;
      break;
    case 'unbind':
      text = `unbind from ${step.driver}`;
      break;
    case 'hotplug':
      text = `write hotplug = ${step.value} (all blocks at once)`;
      break;
    case 'offline_blocks':
      text = `offline ${blocks}, highest first`;
      break;
    case 'online_blocks':
      text = `online ${blocks} into ZONE_${step.zone.toUpperCase()}, lowest first`;
      break;
  }
  return planned.note ? `${text}; ${planned.note}` : text;
}

export function describeDecider(decider: Decider): string {
  return decider.kind === 'rule' ? `rule "${decider.name}" (${decider.file}:${decider.line})` : `defaults.state (${decider.file})`;
}

/** Zone column of status: the zone every online block is in, or "mixed". */
export function zoneSummary(device: ObservedDevice): string {
  const zones = new Set(device.blocks.filter((b) => b.state === 'online').map(blockKind));
  if (zones.size === 0) return '-';
  return zones.size === 1 ? [...zones][0] : 'mixed';
}

export function blocksSummary(device: ObservedDevice): string {
  return `${onlineBlockCount(device)}/${device.blockSpan}`;
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
