// What an apply leaves for the metrics: its outcome as a LastApply record.
import type { LastApply } from '../host/last-apply.js';
import type { Converged } from './run.js';

/** The record of a run that ended at `finished`, started at `started`; `done` is undefined when the run was refused or failed before it could write. */
export function applyRecord(done: Converged | undefined, trigger: string, started: Date, finished: Date): LastApply {
  const counts = { applied: 0, failed: 0, skipped: 0, blocked: done?.report.plan.summary.blocked ?? 0 };
  for (const o of [...(done?.outcomes ?? []), ...(done?.settings ?? [])]) counts[o.result]++;
  const result = !done || !done.clean ? 'failed' : counts.applied > 0 ? 'applied' : 'nothing-to-do';
  return { trigger, finished: finished.toISOString(), durationSeconds: Math.max(0, (finished.getTime() - started.getTime()) / 1000), result, counts };
}
