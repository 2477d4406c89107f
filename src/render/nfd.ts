// status --format nfd: a feature file for Node Feature Discovery's local
// source (/etc/kubernetes/node-feature-discovery/features.d/), one
// `name=value` line per fact; NFD turns each into the node label
// feature.node.kubernetes.io/NAME. Names and values follow label syntax
// (values at most 63 characters of [-A-Za-z0-9_.]): numbers and fixed words only.
import { onlineBytesByZone } from './signal-facts.js';
import { planStanding, type HostSignals } from '../report/signals.js';
import type { Zone } from '../model/device.js';

export function nfdText(signals: HostSignals): string {
  const { observed, policy, pause } = signals;
  const total: Record<Zone, bigint> = { normal: 0n, movable: 0n };
  const byNode = new Map<number, Record<Zone, bigint>>();
  for (const device of observed.devices) {
    const zones = onlineBytesByZone(device, observed.kernel);
    if (!zones) continue;
    const node = device.targetNode === undefined ? undefined : (byNode.get(device.targetNode) ?? { normal: 0n, movable: 0n });
    for (const zone of ['normal', 'movable'] as const) {
      total[zone] += zones[zone];
      if (node) node[zone] += zones[zone];
    }
    if (node) byNode.set(device.targetNode!, node);
  }
  const lines: [string, string][] = [
    ['daxplan-plan', planStanding(policy)],
    ['daxplan-disabled', pause ? 'true' : 'false'],
    ['daxplan-devices', String(observed.devices.length)],
    ['daxplan-online-normal-bytes', String(total.normal)],
    ['daxplan-online-movable-bytes', String(total.movable)],
  ];
  for (const [node, zones] of [...byNode].sort(([a], [b]) => a - b)) {
    const tier = observed.kernel.nodeTiers[node];
    if (tier !== undefined) lines.push([`daxplan-node${node}-tier`, String(tier)]);
    lines.push([`daxplan-node${node}-online-normal-bytes`, String(zones.normal)], [`daxplan-node${node}-online-movable-bytes`, String(zones.movable)]);
  }
  return lines.map(([name, value]) => `${name}=${value}\n`).join('');
}
