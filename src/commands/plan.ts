import { writeFileSync } from 'node:fs';
import { checkPlan, CONFIG, HOST, observeHost, policyFrom, printJson, sysfsRoot } from '../cli/common.js';
import { DirSysfs } from '../sysfs.js';
import { oneOf, type Command } from '../cli/args.js';
import { plan } from '../plan.js';
import { planJson } from '../render/json.js';
import { planText } from '../render/text.js';
import { planMarkdown } from '../render/markdown.js';
import { styleFor } from '../render/style.js';
import { EXIT } from '../errors.js';
import { savedPlanJson } from '../savedplan.js';
import { readProcFacts } from '../fingerprint.js';
import { ROOT } from '../cli/root.js';
import { gatherConflicts } from './doctor.js';

export const FORMATS = ['text', 'json', 'markdown'] as const;

export const planCommand: Command = {
  name: 'plan',
  summary: 'Compare the dax devices on this host with the policy and print what apply would change.',
  usage: 'daxplan plan [--config FILE] [--sysfs-root DIR] [--root DIR] [--device NAME...] [--format text|json|markdown] [--detailed-exitcode] [--out FILE]',
  options: {
    ...CONFIG,
    ...HOST,
    ...ROOT,
    format: { type: 'string', short: 'f', arg: 'text|json|markdown', help: 'output format (default text)' },
    'detailed-exitcode': { type: 'boolean', help: 'exit 2 when the plan has changes (0 when none)' },
    out: { type: 'string', short: 'o', arg: 'FILE', help: 'also save the plan, with a fingerprint of the host, for daxplan apply FILE' },
  },
  run(values, _positionals, io) {
    const format = oneOf(values.format ?? 'text', FORMATS, 'format');
    const { policy } = policyFrom(values, io);
    const observed = observeHost(values);
    const result = plan(policy, observed);
    if (values.state === undefined) checkPlan(result, new DirSysfs(sysfsRoot(values)), policy);
    const { findings, pause } = gatherConflicts(values, observed, result);
    result.conflicts = findings;
    result.paused = pause;
    if (values.out) writeFileSync(values.out as string, JSON.stringify(savedPlanJson(result, observed, readProcFacts()), null, 2) + '\n', { mode: 0o644 });
    if (format === 'json') printJson(io, planJson(result));
    else if (format === 'markdown') io.stdout.write(planMarkdown(result));
    else io.stdout.write(planText(result, styleFor(io.stdout, io.env)));
    return values['detailed-exitcode'] && result.summary.change > 0 ? EXIT.changes : EXIT.ok;
  },
};
