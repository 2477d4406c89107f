// apply's approval, as terraform asks for it: on a terminal the plan is shown
// and only "yes" goes on; units, udev, cron and scripts pass --auto-approve; a
// saved plan was reviewed when it was saved. With none of these apply refuses
// before it reads anything, so an unattended run never writes by accident.
import type { Io, Terminal, Values } from './args.js';
import { EXIT, UsageError } from '../model/errors.js';
import { converge, type ConvergeOptions } from '../apply/run.js';
import { readHolder } from '../host/lock-record.js';
import { identityJson, memoryJson } from '../model/identity.js';
import { changes, settingChanges, type Plan } from '../plan/plan.js';

export type Approval = { by: 'not-needed' } | { by: 'flag' } | { by: 'operator'; terminal: Terminal };

export function approvalFor(values: Values, savedPlan: boolean, format: string, io: Io): Approval {
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
  lockFile: string,
): Promise<{ exit: number } | { approve: NonNullable<ConvergeOptions['approve']> }> {
  const shown = (await converge(options)).report.plan;
  // A debt on the lock (apply/owed.ts) is a write too: asked about, even with nothing else to do.
  const owed = readHolder(lockFile)?.owed;
  if (shown.summary.change === 0 && !owed) return { exit: shown.summary.blocked ? EXIT.runtime : EXIT.ok };
  if (owed)
    io.stdout.write(`\nauto_online_blocks: ${owed.set} -> ${owed.restore}, owed since a bind of ${owed.device} could not put it back (written only if it still reads ${owed.set} in that boot)\n`);
  const answer = await terminal.ask(QUESTION);
  if (answer?.trim() !== 'yes') {
    io.stderr.write('daxplan: apply cancelled: nothing changed.\n');
    return { exit: EXIT.runtime };
  }
  return { approve: async (report) => approvedShape(shown) === approvedShape(report.plan) };
}

/** What an approval covers: each change's device as it was (its identity and its memory), its target and steps, and each kernel setting. */
function approvedShape(plan: Plan): string {
  return JSON.stringify([
    changes(plan).map((c) => [identityJson(c.device), memoryJson(c.device), c.to, c.method, c.steps]),
    settingChanges(plan).map((s) => [s.setting, s.from, s.to]),
  ]);
}
