import { writeTrusted } from '../../host/trust.js';
import { CONFIG, detailedExitCode, formatOption, HOST, hostName, openHost, outputStyle, policyFrom, printJson, requireOneHostSource } from '../common.js';
import { oneOf, defineCommand } from '../args.js';
import { checkMovable } from '../../plan/safety.js';
import { plan } from '../../plan/plan.js';
import { planJson } from '../../render/json.js';
import { planText } from '../../render/text.js';
import { planMarkdown } from '../../render/markdown.js';
import { EXIT, formatDiagnostic, PolicyError, UsageError } from '../../model/errors.js';
import { unmatchedRules } from '../../plan/coverage.js';
import { savePlan } from '../../plan/saved.js';
import type { Report, Warning } from '../../report/report.js';
import { ROOT } from '../root.js';
import { gatherConflicts } from '../conflicts.js';
import { say } from '../journal.js';
import { planFleet } from '../fleet.js';
import { isFleet, snapshotFiles } from '../../host/snapshot-set.js';

export const FORMATS = ['text', 'json', 'markdown'] as const;

export const planCommand = defineCommand({
  name: 'plan',
  summary: 'Compare the dax devices on this host with the policy and print what apply would change.',
  details: [
    'Each device line starts with a mark: + its memory joins the system (from devdax, unplugged or offline to online), - its memory leaves the system (to unplug or devdax), ~ it moves between zones or modes without joining or leaving, = unchanged, · unmanaged (no rule decides it; left alone), ! blocked. Step sizes are the memory each step really moves (blocks × block size). A rule that matches no device is noted on standard error (not with --device); one that selects by serial, pci, uuid or address is a warning in the plan itself, naming the key that found nothing and what the host has (the device it means falls through to the rules below it), and with --strict an error (exit 65).',
    'A fleet plan: several --state snapshots, or a directory of them, are planned in one run. Each host gets its summary line and what changes or is blocked, then the fleet totals: hosts to change, blocked and unchanged, and the memory joining and leaving ZONE_NORMAL and ZONE_MOVABLE. --format json is one document (kind fleet-plan: hosts[] with each host\'s plan, and totals); --format markdown is one pull-request comment under 64 KiB. With --detailed-exitcode: 1 when any host is blocked, else 2 when any host changes, else 0.',
  ],
  usage: 'daxplan plan [--config FILE] [--sysfs-root DIR | --state FILE|DIR...] [--root DIR] [--device NAME...] [--format text|json|markdown] [--detailed-exitcode] [--strict] [--out FILE] [--no-color]',
  options: {
    ...CONFIG,
    ...HOST,
    state: {
      type: 'string',
      multiple: true,
      arg: 'FILE|DIR',
      help: 'plan against a host snapshot (from daxplan snapshot) instead of this host; several, or a directory of them (*.json), make a fleet plan: each host, then the fleet totals',
    },
    ...ROOT,
    format: formatOption(FORMATS),
    'detailed-exitcode': { type: 'boolean', help: 'exit 2 when the plan has changes, 0 when none, 1 when a device or kernel setting is blocked' },
    strict: { type: 'boolean', help: 'a rule that selects by serial, pci, uuid or address and matches no device is an error (exit 65), not a warning in the plan' },
    out: { type: 'string', short: 'o', arg: 'FILE', help: 'also save the plan as recorded intent with its policy, bound to the host looked at (its boot and devices), for daxplan apply FILE' },
  },
  run(values, _positionals, io) {
    const format = oneOf(values.format ?? 'text', FORMATS, 'format');
    const { policy, text } = policyFrom(values, io);
    const states = values.state;
    if (states && isFleet(states)) {
      requireOneHostSource(values);
      if (values.out) throw new UsageError('--out saves one host\'s plan: give one --state FILE (a fleet plan has no single host to bind it to)');
      return planFleet(policy, snapshotFiles(states), format, values, io);
    }
    const single = { ...values, state: states?.[0] };
    const host = openHost(single, io);
    const observed = host.observed;
    const result = plan(policy, observed);
    // With --device the other devices are not looked at: a rule for them is no news.
    const unmatched = values.device ? [] : unmatchedRules(policy, [observed], hostName(host, values));
    // A rule naming a device by identity that finds none sends that device to the rules below it: under --strict that is an invalid policy.
    const byIdentity = unmatched.filter((w) => w.identity);
    if (values.strict && byIdentity.length) throw new PolicyError(byIdentity.map(({ identity: _identity, ...w }) => ({ ...w, severity: 'error' as const })));
    // A rule for other hosts is a note on standard error; an identity rule that found nothing is a warning in the plan itself.
    for (const w of unmatched) if (!w.identity) say(io, 'warning', formatDiagnostic(w));
    const missed: Warning[] = byIdentity.map((rule) => ({ kind: 'unmatched-rule', rule }));
    const { findings, pause } = gatherConflicts(single, observed, result);
    const report: Report = { plan: result, warnings: [...missed, ...checkMovable(result, host.memoryTotals, policy)], conflicts: findings, paused: pause };
    if (values.out) writeTrusted(values.out, JSON.stringify(savePlan(result, observed, host.binding(), { file: policy.file, text }), null, 2) + '\n', { exitCode: EXIT.runtime });
    if (format === 'json') printJson(io, planJson(report));
    else if (format === 'markdown') io.stdout.write(planMarkdown(report, host.label ? `daxplan on ${host.label}` : undefined));
    else io.stdout.write(planText(report, outputStyle(values, io)));
    return values['detailed-exitcode'] ? detailedExitCode(result.summary) : EXIT.ok;
  },
});
