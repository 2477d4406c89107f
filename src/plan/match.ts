// Which rule decides a device: the first whose every match key holds.
import type { Policy, Rule } from '../policy/parse.js';
import { globTest } from '../policy/match.js';
import type { DesiredState, ObservedDevice } from '../model/device.js';
import { describeCxlMatch, matchCxl, serialFlaws, unassembledWords } from './match-cxl.js';

/** What decided a device's desired state. */
export type Decider = { kind: 'rule'; name: string; file: string; line: number } | { kind: 'default'; file: string };

export type Decision =
  | { kind: 'desired'; to: DesiredState; decider: Decider; reason: string }
  | { kind: 'unmanaged'; reason: string }
  | { kind: 'blocked'; reason: string; decider: Decider };

export function decide(policy: Policy, device: ObservedDevice): Decision {
  for (const rule of policy.rules) {
    const result = matchRule(rule, device, policy);
    if (result === 'no') continue;
    const decider: Decider = { kind: 'rule', name: rule.name, file: rule.file, line: rule.line };
    if (result === 'tier-unknown')
      return {
        kind: 'blocked',
        decider,
        reason: `rule "${rule.name}" (${rule.file}:${rule.line}) selects by tier, and ${device.targetNode === undefined ? "the device's target node cannot be read" : `node ${device.targetNode} is in no memory tier the kernel shows (it has no online memory); list it under \`tiers:\` in the policy`}`,
      };
    if (result === 'unassembled') {
      if (rule.onUnassembled === 'fall_through') continue;
      return {
        kind: 'blocked',
        decider,
        reason: `rule "${rule.name}" (${rule.file}:${rule.line}) selects by CXL identity, and ${unassembledWords(rule.match, device)}; assemble the region (cxl create-region) or set on_unassembled: fall_through on the rule to let later rules decide it`,
      };
    }
    if (result === 'serial-unusable')
      return { kind: 'blocked', decider, reason: `rule "${rule.name}" (${rule.file}:${rule.line}) selects by serial, and ${serialFlaws(device)}` };
    return { kind: 'desired', to: rule.state, decider, reason: `matches ${describeMatch(rule, device, policy)}` };
  }
  if (policy.defaultState === 'unmanaged') return { kind: 'unmanaged', reason: 'no rule matches' };
  return {
    kind: 'desired',
    to: policy.defaultState,
    decider: { kind: 'default', file: policy.file },
    reason: 'no rule matches; defaults.state applies',
  };
}

/** Tier of a device: what the kernel shows, else what the policy declares. */
export function tierOf(device: ObservedDevice, policy: Policy): number | undefined {
  if (device.tier !== undefined) return device.tier;
  if (device.targetNode === undefined) return undefined;
  const declared = Object.entries(policy.tierNodes).find(([, nodes]) => nodes.includes(device.targetNode!));
  return declared ? Number(declared[0]) : undefined;
}

export function matchRule(rule: Rule, device: ObservedDevice, policy: Policy): 'yes' | 'no' | 'tier-unknown' | 'serial-unusable' | 'unassembled' {
  const { uuid, numa_node, tier, device: globs } = rule.match;
  if (uuid && !(device.uuid && uuid.includes(device.uuid))) return 'no';
  if (numa_node && !(device.targetNode !== undefined && numa_node.includes(device.targetNode))) return 'no';
  if (globs && !nameMatcher(rule, globs)(device.name)) return 'no';
  const cxl = matchCxl(rule.match, device);
  if (cxl === 'no') return 'no';
  if (tier) {
    const t = tierOf(device, policy);
    if (t === undefined) return 'tier-unknown';
    if (!tier.includes(t)) return 'no';
  }
  return cxl;
}

// Each rule's globs compiled once, not once per device (5000 rules x 64 devices: 1.5 s -> ms).
const matchers = new WeakMap<Rule, (name: string) => boolean>();

function nameMatcher(rule: Rule, globs: string[]): (name: string) => boolean {
  let matcher = matchers.get(rule);
  if (!matcher) {
    const tests = globs.map(globTest);
    matchers.set(rule, (matcher = (name) => tests.some((test) => test(name))));
  }
  return matcher;
}

function describeMatch(rule: Rule, device: ObservedDevice, policy: Policy): string {
  const parts: string[] = [];
  if (rule.match.uuid) parts.push(`uuid ${device.uuid}`);
  if (rule.match.numa_node) parts.push(`node ${device.targetNode}`);
  if (rule.match.tier) parts.push(`tier ${tierOf(device, policy)}${device.tier === undefined ? ' (declared in tiers:)' : ''}`);
  if (rule.match.device) parts.push(`name ${device.name}`);
  parts.push(...describeCxlMatch(rule.match, device));
  return parts.join(', ');
}

export function describeDecider(decider: Decider): string {
  return decider.kind === 'rule' ? `rule "${decider.name}" (${decider.file}:${decider.line})` : `defaults.state (${decider.file})`;
}
