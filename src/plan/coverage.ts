// Rules that select nothing: a rule that matches no device on any host it is
// checked against is most likely a typo, or written for other hosts.
import type { Observed } from '../model/device.js';
import type { Diagnostic } from '../model/errors.js';
import type { Policy } from '../policy/parse.js';
import { matchRule } from './match.js';

/** Warnings for each rule that matches no device on any of `hosts`; `where` names them ("this host", "a.json, b.json"). */
export function unmatchedRules(policy: Policy, hosts: Observed[], where: string): Diagnostic[] {
  return policy.rules.flatMap((rule, i) =>
    hosts.some((host) => host.devices.some((device) => matchRule(rule, device, policy) !== 'no'))
      ? []
      : [{ file: rule.file, line: rule.line, col: 1, severity: 'warning' as const, path: `rules[${i}]`, message: `rule "${rule.name}" matches no device on ${where}` }],
  );
}
