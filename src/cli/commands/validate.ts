import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { CONFIG, HOST, observeHost, policyFrom, sysfsRoot } from '../common.js';
import type { Command } from '../args.js';
import { plan } from '../../plan/plan.js';
import { EXIT, formatDiagnostic } from '../../model/errors.js';
import { DAX_DEVICES } from '../../host/sysfs.js';

export const validate: Command = {
  name: 'validate',
  summary:
    'Check a policy: schema, duplicate rule names, empty matches, shadowed rules; and, where this host has dax devices, selectors the host cannot resolve.',
  usage: 'daxplan validate [--config FILE] [--sysfs-root DIR] [--strict]',
  options: { ...CONFIG, 'sysfs-root': HOST['sysfs-root'], strict: { type: 'boolean', help: 'treat warnings as errors (exit 65)' } },
  run(values, _positionals, io) {
    const { policy, warnings } = policyFrom(values, io);
    let hostWarnings = 0;
    if (existsSync(path.join(sysfsRoot(values), DAX_DEVICES))) {
      for (const entry of plan(policy, observeHost(values, io)).entries) {
        if (entry.kind !== 'blocked') continue;
        hostWarnings++;
        const line = entry.decider?.kind === 'rule' ? entry.decider.line : 1;
        io.stderr.write(`${formatDiagnostic({ file: policy.file, line, col: 1, severity: 'warning', path: '', message: `${entry.device.name}: ${entry.reason}` })}\n`);
      }
    }
    const total = warnings.length + hostWarnings;
    io.stdout.write(`${policy.file}: ${policy.rules.length} rule${policy.rules.length === 1 ? '' : 's'}, ${total ? `${total} warning${total === 1 ? '' : 's'}` : 'valid'}\n`);
    return values.strict && total ? EXIT.policy : EXIT.ok;
  },
};
