import { HOST, openHost, sysfsRoot, type HostView } from '../common.js';
import type { Command, Io } from '../args.js';
import { loadPolicy, type LoadedPolicy } from '../../policy/load.js';
import { plan } from '../../plan/plan.js';
import type { Policy } from '../../policy/parse.js';
import { checkMovable } from '../../plan/safety.js';
import { planText } from '../../render/text.js';
import { NO_STYLE, styleFor, type Style } from '../../render/style.js';
import { EXIT, formatDiagnostic, PolicyError, type Diagnostic } from '../../model/errors.js';

export const diffCommand: Command = {
  name: 'diff',
  summary:
    "Show what a policy change does to each host's plan, as a unified diff. Plans every host (each --state snapshot, else this host) with OLD and with NEW; for CI on a policy repository.",
  usage: 'daxplan diff OLD_POLICY NEW_POLICY [--state FILE...] [--sysfs-root DIR] [--device NAME...] [--detailed-exitcode]',
  positionals: { min: 2, max: 2 },
  options: {
    state: { type: 'string', multiple: true, arg: 'FILE', help: 'a host snapshot (from daxplan snapshot) to plan; repeat for more hosts (default: this host)' },
    ...HOST,
    'detailed-exitcode': { type: 'boolean', help: "exit 2 when some host's plan changes (0 when none)" },
  },
  async run(values, [oldFile, newFile], io) {
    const [before, after] = loadBoth(oldFile, newFile, io);
    // Loaded here, not at start-up: only this command needs it.
    const { createTwoFilesPatch } = await import('diff');
    const style = styleFor(io.stdout, io.env);
    const states = (values.state as string[] | undefined) ?? [undefined];
    let changed = 0;
    for (const state of states) {
      const host = openHost({ ...values, state }, io);
      const name = state ?? sysfsRoot(values);
      const patch = planDiff(host, name, before, after, createTwoFilesPatch);
      if (patch === undefined) {
        io.stdout.write(`${name}: plan unchanged\n`);
        continue;
      }
      changed++;
      io.stdout.write(colour(patch, style));
    }
    io.stderr.write(`daxplan diff: ${after.policy.file} changes the plan of ${changed} of ${states.length} host${states.length === 1 ? '' : 's'}\n`);
    return values['detailed-exitcode'] && changed > 0 ? EXIT.changes : EXIT.ok;
  },
};

/**
 * The unified diff between a host's plans under two policies, or undefined
 * when they plan the same. Rules NEW keeps (by name) are shown at their NEW
 * position in both plans, so moving a rule or adding a comment is no change.
 */
export function planDiff(host: HostView, name: string, before: LoadedPolicy, after: LoadedPolicy, patch: typeof import('diff').createTwoFilesPatch): string | undefined {
  const render = (policy: Policy) => {
    const result = plan(policy, host.observed);
    return planText({ plan: result, warnings: checkMovable(result, host.memoryTotals, policy), conflicts: [] }, NO_STYLE);
  };
  const oldText = render(atPositionsOf(before.policy, after.policy));
  const newText = render(after.policy);
  if (oldText === newText) return undefined;
  return patch(name, name, oldText, newText, `plan with ${before.policy.file}`, `plan with ${after.policy.file}`);
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
