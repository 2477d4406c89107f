// A fleet's plans summed up: how many hosts change or are blocked, and how
// much memory joins or leaves each zone across all of them. Built one host at
// a time, so that a fleet of any size is planned without holding its plans.
import type { Zone } from '../model/device.js';
import { capacityDelta, type Plan } from './plan.js';

export interface ZoneMoves {
  /** Bytes that come online in the zone, summed over every host and node where the zone grows. */
  added: bigint;
  /** Bytes that leave the zone, summed over every host and node where it shrinks (a positive number). */
  removed: bigint;
}

export interface FleetTotals {
  hosts: number;
  /** Hosts whose plan has changes and nothing blocked. */
  changing: number;
  /** Hosts with a blocked device or kernel setting (whatever else their plan changes). */
  blocked: number;
  /** Hosts whose memory matches the policy. */
  unchanged: number;
  zones: Record<Zone, ZoneMoves>;
}

export type HostOutcome = 'changing' | 'blocked' | 'unchanged';

/** Where a host's plan leaves it in the totals: blocked outranks changing, as plan --detailed-exitcode does. */
export function hostOutcome(plan: Plan): HostOutcome {
  return plan.summary.blocked > 0 ? 'blocked' : plan.summary.change > 0 ? 'changing' : 'unchanged';
}

export function emptyTotals(): FleetTotals {
  return { hosts: 0, changing: 0, blocked: 0, unchanged: 0, zones: { normal: { added: 0n, removed: 0n }, movable: { added: 0n, removed: 0n } } };
}

/** Adds one host's plan to the totals (in place). */
export function addHost(totals: FleetTotals, plan: Plan): void {
  totals.hosts++;
  totals[hostOutcome(plan)]++;
  for (const delta of capacityDelta(plan).values())
    for (const zone of ['normal', 'movable'] as const) {
      if (delta[zone] > 0n) totals.zones[zone].added += delta[zone];
      else totals.zones[zone].removed -= delta[zone];
    }
}
