// What a host tells the tools that watch a fleet (node_exporter's textfile
// collector, Node Feature Discovery): its devices, how they stand against the
// policy, the last apply and the pause. render/prometheus.ts and
// render/nfd.ts format it.
import type { Observed } from '../model/device.js';
import type { Plan } from '../plan/plan.js';
import { hostOutcome, type HostOutcome } from '../plan/fleet.js';
import type { LastApply } from '../host/last-apply.js';
import type { Pause } from '../host/pause.js';

/** The host against its policy: planned, or the policy could not be loaded (the message says why). */
export type PolicyStanding = { kind: 'planned'; plan: Plan } | { kind: 'invalid'; message: string };

export interface HostSignals {
  observed: Observed;
  policy: PolicyStanding;
  lastApply: LastApply | undefined;
  pause: Pause | undefined;
}

/** The host's plan in one word: converged (nothing to change), changes (something to apply), blocked (something cannot be planned), policy-invalid. */
export type PlanStanding = 'converged' | 'changes' | 'blocked' | 'policy-invalid';

const STANDING: Record<HostOutcome, PlanStanding> = { blocked: 'blocked', changing: 'changes', unchanged: 'converged' };

export function planStanding(policy: PolicyStanding): PlanStanding {
  return policy.kind === 'invalid' ? 'policy-invalid' : STANDING[hostOutcome(policy.plan)];
}
