// apply's approval, as terraform asks for it: on a terminal the plan is shown
// and only "yes" goes on; units, udev, cron and scripts pass --auto-approve; a
// saved plan was reviewed when it was saved. With none of these apply refuses
// before it reads anything, so an unattended run never writes by accident.
import type { Io, Terminal } from './args.js';
import { EXIT, UsageError } from '../model/errors.js';
import { converge, type ConvergeOptions } from '../apply/run.js';
import { identityJson, memoryJson } from '../model/identity.js';
import { changes, settingChanges } from '../plan/plan.js';
import type { Report } from '../report/report.js';

export type Approval = { by: 'not-needed' } | { by: 'flag' } | { by: 'operator'; terminal: Terminal };

export function approvalFor(values: { 'dry-run'?: boolean; 'auto-approve'?: boolean }, savedPlan: boolean, format: string, io: Io): Approval {
  if (values['dry-run'] || savedPlan) return { by: 'not-needed' };
  if (values['auto-approve']) return { by: 'flag' };
  const terminal = io.terminal?.();
  if (!terminal)
    throw new UsageError(
      "apply writes to the host and there is no terminal to ask: pass --auto-approve (units, udev rules, cron, scripts), or save a plan with 'daxplan plan --out FILE', review it, and run 'daxplan apply FILE'",
    );
  if (format !== 'text') throw new UsageError(`apply --format ${format} cannot ask before it writes: pass --auto-approve`);
  return { by: 'operator', terminal };
}

const QUESTION = '\nApply these changes? Only "yes" is accepted: ';

/**
 * On a terminal, before the lock: shows the plan (a dry run of `options`,
 * whose `planned` prints it) and asks. The question is asked outside the lock
 * because an operator thinking it over must not hold up udev and boot runs;
 * the `approve` returned then lets converge write, under the lock, exactly
 * what was approved or nothing. Without a change or a debt to ask about, or without a
 * "yes", it gives the exit code instead.
 */
export async function askFirst(
  options: ConvergeOptions,
  terminal: Terminal,
  io: Io,
): Promise<{ exit: number } | { approve: NonNullable<ConvergeOptions['approve']> }> {
  const shown = (await converge(options)).report;
  // A debt on the lock (apply/owed.ts), shown with the plan, is a write too: asked about, even with nothing else to do.
  if (shown.plan.summary.change === 0 && !shown.owed) return { exit: shown.plan.summary.blocked ? EXIT.runtime : EXIT.ok };
  const answer = await terminal.ask(QUESTION);
  if (answer?.trim() !== 'yes') {
    io.stderr.write('daxplan: apply cancelled: nothing changed.\n');
    return { exit: EXIT.runtime };
  }
  return { approve: async (report) => approvedShape(shown) === approvedShape(report) };
}

/** What an approval covers: each change's device as it was (its identity and its memory), its target and steps, each kernel setting, and a debt on the lock and what becomes of it. */
function approvedShape({ plan, owed }: Report): string {
  return JSON.stringify([
    changes(plan).map((c) => [identityJson(c.device), memoryJson(c.device), c.to, c.method, c.steps]),
    settingChanges(plan).map((s) => [s.setting, s.from, s.to]),
    owed ?? null,
  ]);
}
