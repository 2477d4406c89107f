// Rules that select nothing: a rule that matches no device on any host it is
// checked against is most likely a typo, or written for other hosts. A rule
// that selects by identity (serial, pci, uuid, address) and matches nothing
// is worse: with first-match rules the device it meant falls to a later rule
// (a catch-all makes it system RAM), so the warning says which key found
// nothing and what the hosts have instead.
import type { ObservedDevice, Observed } from '../model/device.js';
import type { Diagnostic } from '../model/errors.js';
import type { Policy, Rule } from '../policy/parse.js';
import type { Match } from '../policy/match.js';
import { matchRule } from './match.js';
import { hex, hexRange } from '../model/units.js';

/** The selectors that name one device for good. */
const IDENTITY_KEYS = ['serial', 'pci', 'uuid', 'address'] as const;
type IdentityKey = (typeof IDENTITY_KEYS)[number];

/** A rule that matches no device; `identity` when it selects by one of IDENTITY_KEYS (plan --strict fails on those). */
export interface UnmatchedRule extends Diagnostic {
  identity: boolean;
}

/** Most values listed of what the hosts have, per key. */
const MAX_LISTED = 8;

/** Warnings for each rule that matches no device on any of `hosts`; `where` names them ("this host", "a.json, b.json"). */
export function unmatchedRules(policy: Policy, hosts: Observed[], where: string): UnmatchedRule[] {
  const devices = hosts.flatMap((h) => h.devices);
  return policy.rules.flatMap((rule, i) => {
    if (devices.some((device) => matchRule(rule, device, policy) !== 'no')) return [];
    const keys = IDENTITY_KEYS.filter((key) => rule.match[key] !== undefined);
    // The identity keys that on their own select nothing: the likely typo.
    const empty = keys.filter((key) => !devices.some((device) => matchRule(only(rule, key), device, policy) !== 'no'));
    const detail = empty.map((key) => `no device has ${key} ${listed(rule.match, key)} (${where} has ${hostHas(devices, key)})`).join('; ');
    const message = `rule "${rule.name}" matches no device on ${where}${detail ? `: ${detail}` : ''}${keys.length ? '; a device it means falls through to the rules below it' : ''}`;
    return [{ file: rule.file, line: rule.line, col: rule.col, severity: 'warning' as const, path: `rules[${i}]`, message, identity: keys.length > 0 }];
  });
}

/** The rule with one identity key alone (and memdevs, which says how serial and pci apply). */
function only(rule: Rule, key: IdentityKey): Rule {
  const match: Match = { [key]: rule.match[key] };
  if (rule.match.memdevs) match.memdevs = rule.match.memdevs;
  return { ...rule, match };
}

function listed(match: Match, key: IdentityKey): string {
  const values = (match[key] ?? []).map((v) => (typeof v === 'bigint' ? hex(v) : typeof v === 'object' ? hexRange(v.start, v.end) : String(v)));
  return values.length === 1 ? values[0] : `any of ${values.join(', ')}`;
}

/** What the devices have for `key`: "0x1234abcd (dax0.0), 0x5678ef01 (dax1.0)". */
function hostHas(devices: ObservedDevice[], key: IdentityKey): string {
  const seen = new Map<string, string[]>();
  const add = (value: string, device: string) => seen.set(value, [...new Set([...(seen.get(value) ?? []), device])]);
  for (const d of devices) {
    if (key === 'uuid' && d.uuid) add(d.uuid, d.name);
    if (key === 'address') for (const r of d.ranges) add(hexRange(r.start, r.end), d.name);
    for (const m of d.cxl?.memdevs ?? []) {
      if (key === 'serial') add(hex(m.serial), d.name);
      if (key === 'pci' && m.pci) add(m.pci, d.name);
    }
  }
  if (seen.size === 0) return key === 'serial' || key === 'pci' ? 'no CXL memory devices' : `no device with a ${key}`;
  const items = [...seen].map(([value, names]) => `${value} (${names.join(', ')})`);
  return items.length > MAX_LISTED ? `${items.slice(0, MAX_LISTED).join(', ')} and ${items.length - MAX_LISTED} more` : items.join(', ');
}
