import { createTwoFilesPatch } from 'diff';
import { formatOption, HOST, openHost, outputStyle, printJson, sysfsRoot, type HostView } from '../common.js';
import { oneOf, defineCommand, type Io } from '../args.js';
import type { LoadedPolicy } from '../../policy/load.js';
import { loadPolicy } from '../policy.js';
import { plan } from '../../plan/plan.js';
import type { Report } from '../../report/report.js';
import type { Policy } from '../../policy/parse.js';
import { checkMovable } from '../../plan/safety.js';
import { planText } from '../../render/text.js';
import { NO_STYLE, type Style } from '../../render/style.js';
import { diffJson, diffMarkdown, type HostDiff } from '../../render/diff.js';
import { EXIT, formatDiagnostic, PolicyError, type Diagnostic } from '../../model/errors.js';

const FORMATS = ['text', 'json', 'markdown'] as const;

export const diffCommand = defineCommand({
  name: 'diff',
  summary:
    "Show what a policy change does to each host's plan, as a unified diff. Plans every host (each --state snapshot, else this host) with OLD and with NEW; for CI on a policy repository.",
  details: [
    '--format markdown is a pull-request comment (always under 64 KiB): which hosts change, a warning where the new policy removes more system memory, and each host\'s diff folded; --format json has both plans of every host and the diff.',
  ],
  usage: 'daxplan diff OLD_POLICY NEW_POLICY [--state FILE...] [--sysfs-root DIR] [--device NAME...] [--format text|json|markdown] [--detailed-exitcode] [--no-color]',
  positionals: { min: 2, max: 2 },
  options: {
    state: { type: 'string', multiple: true, arg: 'FILE', help: 'a host snapshot (from daxplan snapshot) to plan; repeat for more hosts (default: this host)' },
    ...HOST,
    'detailed-exitcode': { type: 'boolean', help: "exit 2 when some host's plan changes (0 when none)" },
    format: formatOption(FORMATS),
  },
  async run(values, [oldFile, newFile], io) {
    const format = oneOf(values.format ?? 'text', FORMATS, 'format');
    const [before, after] = loadBoth(oldFile, newFile, io);
    const states = values.state ?? [undefined];
    const hosts: HostDiff[] = states.map((state) => {
      const name = state ?? sysfsRoot(values);
      return { name, ...planDiff(openHost({ ...values, state }, io), name, before, after) };
    });
    const changed = hosts.filter((h) => h.patch !== undefined).length;
    const report = { oldFile: before.policy.file, newFile: after.policy.file, hosts };
    if (format === 'json') printJson(io, diffJson(report));
    else if (format === 'markdown') io.stdout.write(diffMarkdown(report));
    else {
      const style = outputStyle(values, io);
      for (const h of hosts) io.stdout.write(h.patch === undefined ? `${h.name}: plan unchanged\n` : colour(h.patch, style));
    }
    io.stderr.write(`daxplan diff: ${after.policy.file} changes the plan of ${changed} of ${states.length} host${states.length === 1 ? '' : 's'}\n`);
    return values['detailed-exitcode'] && changed > 0 ? EXIT.changes : EXIT.ok;
  },
});

/**
 * A host's plans under two policies and their unified diff (undefined when
 * they read the same). Rules NEW keeps (by name) are shown at their NEW
 * position in both plans, so moving a rule or adding a comment is no change.
 */
function planDiff(host: HostView, name: string, before: LoadedPolicy, after: LoadedPolicy): Omit<HostDiff, 'name'> {
  const planFor = (policy: Policy): Report => {
    const result = plan(policy, host.observed);
    return { plan: result, warnings: checkMovable(result, host.memoryTotals, policy), conflicts: [] };
  };
  const old = planFor(atPositionsOf(before.policy, after.policy));
  const next = planFor(after.policy);
  const [oldText, newText] = [planText(old, NO_STYLE), planText(next, NO_STYLE)];
  return { before: old, after: next, patch: oldText === newText ? undefined : createTwoFilesPatch(name, name, oldText, newText, `plan with ${before.policy.file}`, `plan with ${after.policy.file}`) };
}

function atPositionsOf(old: Policy, next: Policy): Policy {
  const kept = new Map(next.rules.map((r) => [r.name, r]));
  return {
    ...old,
    file: next.file,
    rules: old.rules.map((r) => {
      const same = kept.get(r.name);
      return same ? { ...r, file: same.file, line: same.line } : r;
    }),
  };
}

/** Both policies, or every error of both (exit 65). */
function loadBoth(oldFile: string, newFile: string, io: Io): [LoadedPolicy, LoadedPolicy] {
  const errors: Diagnostic[] = [];
  const load = (config: string) => {
    try {
      return loadPolicy({ config, cwd: io.cwd });
    } catch (err) {
      if (!(err instanceof PolicyError)) throw err;
      errors.push(...err.diagnostics);
      return undefined;
    }
  };
  const before = load(oldFile);
  const after = load(newFile);
  if (!before || !after) throw new PolicyError(errors);
  for (const w of after.warnings) io.stderr.write(formatDiagnostic(w) + '\n');
  return [before, after];
}

function colour(patch: string, style: Style): string {
  return patch
    .split('\n')
    .map((line) => {
      if (line.startsWith('+++') || line.startsWith('---')) return style.bold(line);
      if (line.startsWith('+')) return style.add(line);
      if (line.startsWith('-')) return style.remove(line);
      if (line.startsWith('@@')) return style.dim(line);
      return line;
    })
    .join('\n');
}
