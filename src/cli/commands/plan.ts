import { writeFileNoFollow } from '../../host/safewrite.js';
import { CONFIG, HOST, openHost, policyFrom, printJson, STATE } from '../common.js';
import { oneOf, type Command } from '../args.js';
import { checkMovable } from '../../plan/safety.js';
import { plan } from '../../plan/plan.js';
import { planJson } from '../../render/json.js';
import { planText } from '../../render/text.js';
import { planMarkdown } from '../../render/markdown.js';
import { styleFor } from '../../render/style.js';
import { EXIT, UsageError } from '../../model/errors.js';
import { savePlan } from '../../plan/saved.js';
import { readProcFacts } from '../../host/proc.js';
import type { Report } from '../../report/report.js';
import { ROOT } from '../root.js';
import { gatherConflicts } from '../conflicts.js';

export const FORMATS = ['text', 'json', 'markdown'] as const;

export const planCommand: Command = {
  name: 'plan',
  summary: 'Compare the dax devices on this host with the policy and print what apply would change.',
  usage: 'daxplan plan [--config FILE] [--sysfs-root DIR | --state FILE] [--root DIR] [--device NAME...] [--format text|json|markdown] [--detailed-exitcode] [--out FILE]',
  options: {
    ...CONFIG,
    ...HOST,
    ...STATE,
    ...ROOT,
    format: { type: 'string', short: 'f', arg: 'text|json|markdown', help: 'output format (default text)' },
    'detailed-exitcode': { type: 'boolean', help: 'exit 2 when the plan has changes (0 when none)' },
    out: { type: 'string', short: 'o', arg: 'FILE', help: 'also save the plan as recorded intent, bound to this host, for daxplan apply FILE' },
  },
  run(values, _positionals, io) {
    const format = oneOf(values.format ?? 'text', FORMATS, 'format');
    if (values.out && values.state !== undefined) throw new UsageError('--out saves a plan for the host it was made on; a snapshot has no host to check it against: run plan --out on the host');
    const { policy, text } = policyFrom(values, io);
    const host = openHost(values, io);
    const observed = host.observed;
    const result = plan(policy, observed);
    const { findings, pause } = gatherConflicts(values, observed, result);
    const report: Report = { plan: result, warnings: checkMovable(result, host.memoryTotals, policy), conflicts: findings, paused: pause };
    if (values.out) writeFileNoFollow(values.out as string, JSON.stringify(savePlan(result, observed, readProcFacts(), { file: policy.file, text }), null, 2) + '\n');
    if (format === 'json') printJson(io, planJson(report));
    else if (format === 'markdown') io.stdout.write(planMarkdown(report, host.label ? `daxplan on ${host.label}` : undefined));
    else io.stdout.write(planText(report, styleFor(io.stdout, io.env)));
    return values['detailed-exitcode'] && result.summary.change > 0 ? EXIT.changes : EXIT.ok;
  },
};
