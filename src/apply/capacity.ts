// What an apply run really changed, per node and zone: the plan's deltas for
// the devices that were applied.
import type { Zone } from '../model/device.js';
import { capacityDelta, type Plan } from '../plan/plan.js';
import type { Outcome } from './engine.js';

export function appliedCapacity(plan: Plan, outcomes: Outcome[]): Map<number, Record<Zone, bigint>> {
  const applied = new Set(outcomes.filter((o) => o.result === 'applied').map((o) => o.device));
  return capacityDelta({ ...plan, entries: plan.entries.filter((e) => e.kind === 'change' && applied.has(e.device.name)) });
}
