// Matching the CXL selectors of a rule (src/policy/cxl.ts) against a device:
// serial and pci against the memdevs behind its region (all of them, or any
// with `memdevs: any`), qos_class against the region's, address against the
// device's physical ranges (any device, CXL or not).
import { serialFlaw, type CxlMemdev, type ObservedDevice } from '../model/device.js';
import type { CxlSelectors } from '../policy/cxl.js';
import { hex, hexRange } from '../model/units.js';

/**
 * 'serial-unusable': every other key matches, the rule selects by serial, and
 * a memdev behind the device has a serial that is no identity, so whether the
 * rule means this device cannot be told. 'unassembled': the rule selects by
 * CXL identity and the device is CXL memory whose region did not assemble,
 * so its identity cannot be read.
 */
export type CxlMatch = 'yes' | 'no' | 'serial-unusable' | 'unassembled';

export function matchCxl(match: CxlSelectors, device: ObservedDevice): CxlMatch {
  const { serial, pci, qos_class: qos, address } = match;
  if (address && !(device.ranges.length > 0 && device.ranges.every((r) => address.some((w) => w.start <= r.start && r.end <= w.end)))) return 'no';
  if (!serial && !pci && !qos) return 'yes';
  const cxl = device.cxl;
  if (!cxl) return device.unassembled ? 'unassembled' : 'no';
  if (qos && !(cxl.qosClass !== undefined && qos.includes(cxl.qosClass))) return 'no';
  const memdevs = (test: (m: CxlMemdev) => boolean) => (match.memdevs === 'any' ? cxl.memdevs.some(test) : cxl.memdevs.length > 0 && cxl.memdevs.every(test));
  if (pci && !memdevs((m) => m.pci !== undefined && pci.includes(m.pci))) return 'no';
  if (serial && cxl.memdevs.some((m) => serialFlaw(m) !== undefined)) return 'serial-unusable';
  if (serial && !memdevs((m) => serial.includes(m.serial))) return 'no';
  return 'yes';
}

/** Why a device is 'serial-unusable': each memdev whose serial is no identity. */
export function serialFlaws(device: ObservedDevice): string {
  const flawed = (device.cxl?.memdevs ?? []).flatMap((m) => {
    const flaw = serialFlaw(m);
    return flaw ? [`${m.name}'s serial ${hex(m.serial)} is no identity (${flaw})`] : [];
  });
  return `${flawed.join('; ')}; select it by pci or address instead`;
}

/** Why a rule selecting by CXL identity cannot tell whether it means an 'unassembled' device. */
export function unassembledWords(match: CxlSelectors, device: ObservedDevice): string {
  const w = device.unassembled!;
  const unread = [match.serial && 'serial', match.pci && 'PCI address', match.qos_class && 'QoS class'].filter(Boolean).join(', ');
  return `${device.name} is CXL memory in window ${w.decoder} (${hexRange(w.start, w.end)}) whose region did not assemble: its ${unread} cannot be read`;
}

/** What the rule's CXL selectors matched on this device, for the plan's reason. */
export function describeCxlMatch(match: CxlSelectors, device: ObservedDevice): string[] {
  const parts: string[] = [];
  const memdevs = device.cxl?.memdevs ?? [];
  const which = memdevs.length > 1 ? ` (${match.memdevs ?? 'all'} of ${memdevs.length} memdevs)` : '';
  if (match.serial) parts.push(`serial ${memdevs.filter((m) => match.serial!.includes(m.serial)).map((m) => hex(m.serial)).join(', ')}${which}`);
  if (match.pci) parts.push(`pci ${memdevs.filter((m) => m.pci && match.pci!.includes(m.pci)).map((m) => m.pci).join(', ')}${which}`);
  if (match.qos_class) parts.push(`qos_class ${device.cxl?.qosClass}`);
  if (match.address) parts.push(`address ${device.ranges.map((r) => hexRange(r.start, r.end)).join(', ')}`);
  return parts;
}
