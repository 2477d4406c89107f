// apply's approval, as terraform asks for it: on a terminal the plan is shown
// and only "yes" goes on; units, udev, cron and scripts pass --auto-approve; a
// saved plan was reviewed when it was saved. With none of these apply refuses
// before it reads anything, so an unattended run never writes by accident.
import type { Io, Values } from './args.js';
import { UsageError } from '../model/errors.js';
import { blockSignature } from '../model/device.js';
import { changes, settingChanges, type Plan } from '../plan/plan.js';

export type Approval = 'not-needed' | 'given' | 'ask';

export function approvalFor(values: Values, savedPlan: boolean, format: string, io: Io): Approval {
  if (values['dry-run'] || savedPlan) return 'not-needed';
  if (values['auto-approve']) return 'given';
  if (!io.terminal)
    throw new UsageError(
      "apply writes to the host and there is no terminal to ask: pass --auto-approve (units, udev rules, cron, scripts), or save a plan with 'daxplan plan --out FILE', review it, and run 'daxplan apply FILE'",
    );
  if (format !== 'text') throw new UsageError(`apply --format ${format} cannot ask before it writes: pass --auto-approve`);
  return 'ask';
}

export const QUESTION = '\nApply these changes? Only "yes" is accepted: ';

/** True when the operator typed exactly "yes". */
export async function ask(io: Io): Promise<boolean> {
  const answer = await io.terminal!.ask(QUESTION);
  return answer?.trim() === 'yes';
}

/** What an approval covers: each change's device as it was (blocks included), its target and steps, and each kernel setting. */
function approvedShape(plan: Plan): string {
  return JSON.stringify([
    changes(plan).map((c) => [c.device.name, c.device.state, blockSignature(c.device), c.to, c.method, c.steps]),
    settingChanges(plan).map((s) => [s.setting, s.from, s.to]),
  ]);
}

/** Whether the plan made under the lock is the one the operator approved (nothing is written otherwise). */
export function isApproved(approved: Plan, current: Plan): boolean {
  return approvedShape(approved) === approvedShape(current);
}
