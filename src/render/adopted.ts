// daxplan init's policy as YAML: canonical form (policy/format.ts), each rule
// headed by a comment saying what the device is and how it is now.
import { Document, isMap, isScalar, isSeq, Scalar } from 'yaml';
import { describeDevice, type ObservedDevice } from '../model/device.js';
import { bytes, hex } from '../model/units.js';
import type { Adopted, AdoptedRule } from '../plan/adopt.js';
import { canonicalStyle, CANONICAL_OPTIONS } from '../policy/format.js';
import { cxlWords } from './words.js';


/** `source`: what was read ("this host", a --sysfs-root tree, a snapshot's name). */
export function adoptedPolicyText(adopted: Adopted, source: string): string {
  const doc = new Document({
    version: 1,
    defaults: { state: 'unmanaged' },
    ...(adopted.autoOnlineBlocks ? { kernel: { auto_online_blocks: adopted.autoOnlineBlocks } } : {}),
    rules: adopted.rules.map(ruleData),
  });
  canonicalStyle(doc);
  doc.commentBefore = [
    ` Written by 'daxplan init' from ${source}.`,
    " It keeps every device as it is: 'daxplan plan' reports no changes. Each rule",
    ' names one device by the most stable identity it has (CXL serial, namespace',
    ' UUID, else physical address; node only where nothing else exists). Change a',
    " rule's state, then run 'daxplan plan' to see what would move.",
  ].join('\n');
  const rules = doc.get('rules', true);
  if (isSeq(rules)) rules.items.forEach((item, i) => isMap(item) && (item.commentBefore = ` ${deviceWords(adopted.rules[i])}`));
  const unmanaged = doc.getIn(['defaults', 'state'], true);
  if (isScalar(unmanaged)) unmanaged.comment = ' devices no rule names are left alone';
  if (adopted.leftOut.length)
    doc.comment = [' Left unmanaged (no rule):', ...adopted.leftOut.map(({ device, why }) => `   ${device.name}: ${why}`)].join('\n');
  return doc.toString(CANONICAL_OPTIONS);
}

function ruleData(rule: AdoptedRule): Record<string, unknown> {
  const m = rule.match;
  const match: Record<string, unknown> = {};
  if (m.serial) match.serial = m.serial.map((s) => Object.assign(new Scalar(s), { format: 'HEX' }));
  if (m.uuid) match.uuid = m.uuid[0];
  if (m.address) match.address = m.address.length === 1 ? window(m.address[0]) : m.address.map(window);
  if (m.numa_node) match.numa_node = m.numa_node[0];
  if (m.device) match.device = m.device[0];
  return { name: rule.name, match, state: rule.state };
}

function window(w: { start: bigint; end: bigint }) {
  return { start: hex(w.start), end: hex(w.end) };
}

/** "dax0.0: CXL region0 (ram, 0x110000000, 1 GiB, qos_class 0): mem0 serial 0x1234abcd at 0000:0d:00.0; node 1, tier 22; online (8/8 blocks online, Normal)" */
function deviceWords(rule: AdoptedRule): string {
  const d: ObservedDevice = rule.device;
  const what = d.cxl ? `CXL ${cxlWords(d.cxl)}` : `${d.source === 'unknown' ? 'dax device' : d.source}${d.uuid ? ` uuid ${d.uuid}` : ''}, ${bytes(d.size)}${d.ranges.length ? ` at ${d.ranges.map((r) => `${hex(r.start)}-${hex(r.end)}`).join(', ')}` : ''}`;
  const where = [d.targetNode === undefined ? 'node unknown' : `node ${d.targetNode}`, ...(d.tier === undefined ? [] : [`tier ${d.tier}`])].join(', ');
  const fallback = rule.by === 'numa_node' || rule.by === 'device' ? ` (selected by ${rule.by === 'device' ? 'name' : 'node'}: it has no serial, UUID or address that names it alone)` : '';
  return `${d.name}: ${what}; ${where}; ${describeDevice(d)}${fallback}`;
}
