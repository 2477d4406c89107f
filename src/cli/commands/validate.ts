import { basename } from 'node:path';
import { CONFIG, HOST, hostName, openHost, policyFrom, printJson, sysfsRoot, type HostView } from '../common.js';
import { oneOf, defineCommand, type Io, type OptionSpecs, type ValuesOf } from '../args.js';
import { plan } from '../../plan/plan.js';
import { unmatchedRules } from '../../plan/coverage.js';
import { EXIT, formatDiagnostic, PolicyError, type Diagnostic } from '../../model/errors.js';
import type { Policy } from '../../policy/parse.js';
import { DirSysfs, DAX_DEVICES } from '../../host/sysfs.js';
import { validateJson } from '../../render/validate.js';
import { say } from '../journal.js';
import { loadPolicy } from '../policy.js';

const FORMATS = ['text', 'json'] as const;

const OPTIONS = {
  ...CONFIG,
  'sysfs-root': { ...HOST['sysfs-root'], help: 'check against the sysfs tree at DIR (also when it has no dax devices) instead of this host' },
  state: { type: 'string', multiple: true, arg: 'FILE', help: 'check against this host snapshot (from daxplan snapshot) instead of this host' },
  strict: { type: 'boolean', help: 'treat warnings as errors (exit 65)' },
  format: { type: 'string', short: 'f', choices: FORMATS, help: 'output format (default text; json: the diagnostics, for CI annotations)' },
} as const satisfies OptionSpecs;
type Values = ValuesOf<typeof OPTIONS>;

export const validate = defineCommand({
  name: 'validate',
  summary:
    'Check a policy: schema, duplicate rule names, empty matches, shadowed rules; and, against this host (when it has dax devices) or the snapshots given, rules that match no device and selectors the host cannot resolve.',
  details: [
    '--format json prints every diagnostic with file, line, column, severity and message (for CI annotations), on standard output, also when the policy is invalid.',
  ],
  usage: 'daxplan validate [--config FILE] [--sysfs-root DIR | --state FILE...] [--strict] [--format text|json]',
  options: OPTIONS,
  run(values, _positionals, io) {
    const format = oneOf(values.format ?? 'text', FORMATS, 'format');
    let loaded;
    try {
      // JSON carries the warnings itself: nothing is printed beside it.
      loaded = format === 'json' ? loadPolicy({ config: values.config, cwd: io.cwd }) : policyFrom(values, io);
    } catch (err) {
      if (!(err instanceof PolicyError) || format !== 'json') throw err;
      printJson(io, validateJson(undefined, err.diagnostics, false));
      return err.exitCode;
    }
    const { policy, warnings } = loaded;
    const hosts = hostsToCheck(values, io);
    const hostWarnings = checkHosts(policy, hosts, values);
    const all = [...warnings, ...hostWarnings];
    const exit = values.strict && all.length ? EXIT.policy : EXIT.ok;
    if (format === 'json') {
      printJson(io, validateJson(policy, all, exit === EXIT.ok));
      return exit;
    }
    for (const w of hostWarnings) say(io, 'warning', formatDiagnostic(w));
    const total = all.length;
    const alone = hosts.length ? '' : ' (this host has no dax devices: the policy alone was checked; --state FILE checks it against a host snapshot)';
    io.stdout.write(`${policy.file}: ${policy.rules.length} rule${policy.rules.length === 1 ? '' : 's'}, ${total ? `${total} warning${total === 1 ? '' : 's'}` : 'valid'}${alone}\n`);
    return exit;
  },
});

/** The hosts to check the policy against: each --state, the tree --sysfs-root names, or this host when it has dax devices (a CI runner has none). */
function hostsToCheck(values: Values, io: Io): HostView[] {
  const states = values.state;
  const tree = { 'sysfs-root': values['sysfs-root'] };
  // With --sysfs-root too, openHost refuses: both name the host.
  if (states) return states.map((state) => openHost({ ...tree, state }, io));
  if (tree['sysfs-root'] !== undefined) return [openHost(tree, io)];
  const root = sysfsRoot(tree);
  const sysfs = io.openSysfs ? io.openSysfs(root) : new DirSysfs(root);
  return sysfs.list(DAX_DEVICES).length > 0 ? [openHost(tree, io)] : [];
}

/** Devices a rule cannot be planned for, and rules that match nothing, on the hosts looked at. */
function checkHosts(policy: Policy, hosts: HostView[], values: Values): Diagnostic[] {
  if (!hosts.length) return [];
  const found: Diagnostic[] = [];
  for (const host of hosts)
    for (const entry of plan(policy, host.observed).entries) {
      if (entry.kind !== 'blocked') continue;
      const decider = entry.decider;
      const rule = decider?.kind === 'rule' ? policy.rules.find((r) => r.name === decider.name) : undefined;
      const device = host.label ? `${host.label}: ${entry.device.name}` : entry.device.name;
      found.push({ file: policy.file, line: rule?.line, col: rule?.col, severity: 'warning', path: '', message: `${device}: ${entry.reason}` });
    }
  const states = values.state;
  const where = states ? states.map((s) => basename(s)).join(', ') : hostName(hosts[0], values);
  return [...found, ...unmatchedRules(policy, hosts.map((h) => h.observed), where).map(({ identity: _identity, ...d }) => d)];
}
