import { existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import { CONFIG, HOST, hostName, openHost, policyFrom, sysfsRoot, type HostView } from '../common.js';
import type { Command } from '../args.js';
import { plan } from '../../plan/plan.js';
import { unmatchedRules } from '../../plan/coverage.js';
import { EXIT, formatDiagnostic, type Diagnostic } from '../../model/errors.js';
import { DAX_DEVICES } from '../../host/sysfs.js';
import { say } from '../journal.js';

export const validate: Command = {
  name: 'validate',
  summary:
    'Check a policy: schema, duplicate rule names, empty matches, shadowed rules; and, against this host (when it has dax devices) or the snapshots given, rules that match no device and selectors the host cannot resolve.',
  usage: 'daxplan validate [--config FILE] [--sysfs-root DIR | --state FILE...] [--strict]',
  options: {
    ...CONFIG,
    'sysfs-root': HOST['sysfs-root'],
    state: { type: 'string', multiple: true, arg: 'FILE', help: 'check against this host snapshot (from daxplan snapshot) instead of this host' },
    strict: { type: 'boolean', help: 'treat warnings as errors (exit 65)' },
  },
  run(values, _positionals, io) {
    const { policy, warnings } = policyFrom(values, io);
    const states = values.state as string[] | undefined;
    const hosts: HostView[] = states
      ? states.map((state) => openHost({ ...values, state }, io))
      : // This host is looked at when asked (--sysfs-root) or when it has dax devices; a CI runner has none.
        values['sysfs-root'] !== undefined || existsSync(join(sysfsRoot(values), DAX_DEVICES))
        ? [openHost(values, io)]
        : [];
    const hostWarnings: Diagnostic[] = [];
    for (const host of hosts)
      for (const entry of plan(policy, host.observed).entries) {
        if (entry.kind !== 'blocked') continue;
        const line = entry.decider?.kind === 'rule' ? entry.decider.line : 1;
        const device = host.label ? `${host.label}: ${entry.device.name}` : entry.device.name;
        hostWarnings.push({ file: policy.file, line, col: 1, severity: 'warning', path: '', message: `${device}: ${entry.reason}` });
      }
    if (hosts.length) hostWarnings.push(...unmatchedRules(policy, hosts.map((h) => h.observed), states ? states.map((s) => basename(s)).join(', ') : hostName(hosts[0], values)));
    for (const w of hostWarnings) say(io, 'warning', formatDiagnostic(w));
    const total = warnings.length + hostWarnings.length;
    io.stdout.write(`${policy.file}: ${policy.rules.length} rule${policy.rules.length === 1 ? '' : 's'}, ${total ? `${total} warning${total === 1 ? '' : 's'}` : 'valid'}\n`);
    return values.strict && total ? EXIT.policy : EXIT.ok;
  },
};
