// daxplan diff as JSON (for tools) and as Markdown (a pull-request comment,
// never larger than one may be); the text form is the unified diff itself.
import { capacityDelta, type Plan } from '../plan/plan.js';
import type { Report } from '../report/report.js';
import { bytes, signedBytes } from '../model/units.js';
import { FORMAT_VERSION, planJson } from './json.js';
import { capped, code, fold, longestRun, TABLE_BUDGET } from './markdown.js';
import { nodeName, summaryLine } from './words.js';

export interface HostDiff {
  /** The snapshot file or sysfs root the host was read from. */
  name: string;
  before: Report;
  after: Report;
  /** The unified diff of the two plans as text; undefined when they are the same. */
  patch: string | undefined;
}

export interface PolicyDiff {
  oldFile: string;
  newFile: string;
  hosts: HostDiff[];
}

export function diffJson(d: PolicyDiff) {
  return {
    format_version: FORMAT_VERSION,
    kind: 'diff',
    old_policy: d.oldFile,
    new_policy: d.newFile,
    hosts: d.hosts.map((h) => ({ host: h.name, changed: h.patch !== undefined, patch: h.patch ?? null, before: planJson(h.before), after: planJson(h.after) })),
    summary: { hosts: d.hosts.length, changed: d.hosts.filter((h) => h.patch !== undefined).length },
  };
}

// One host's diff stops here, so that several hosts share the comment.
const HOST_DIFF_BUDGET = 16 * 1024;

export function diffMarkdown(d: PolicyDiff): string {
  const changed = d.hosts.filter((h) => h.patch !== undefined);
  const unchanged = d.hosts.filter((h) => h.patch === undefined);
  const head = [`### daxplan diff: ${code(d.newFile)} changes the plan of ${changed.length} of ${d.hosts.length} host${d.hosts.length === 1 ? '' : 's'}`, ''];
  const removals = changed.flatMap((h) => {
    const nodes = moreRemoved(h.before.plan, h.after.plan);
    return nodes.length ? [`> On ${code(h.name)} the plan with the new policy removes more system memory: ${nodes.join(', ')}.`] : [];
  });
  if (removals.length) head.push('> [!WARNING]', ...removals, '');
  if (changed.length) {
    head.push(`| host | with ${code(d.oldFile)} | with ${code(d.newFile)} |`, '|---|---|---|');
    const rows = changed.map((h) => `| ${code(h.name)} | ${summaryLine(h.before.plan.summary)} | **${summaryLine(h.after.plan.summary)}** |`);
    head.push(...capped(rows, TABLE_BUDGET, (n) => ['', `_…and ${n} more hosts whose plan changes: run \`daxplan diff\` for all of them._`]), '');
  }
  if (unchanged.length) head.push(`Plan unchanged on ${unchanged.length} host${unchanged.length === 1 ? '' : 's'}.`, '');
  const details = changed.map((h) => {
    const hunks = h.patch!.slice(h.patch!.indexOf('\n@@') + 1).trimEnd().split('\n');
    const lines = capped(hunks, HOST_DIFF_BUDGET, (n) => [`… ${n} more lines`]);
    const fence = '`'.repeat(Math.max(3, ...lines.map((l) => longestRun(l, '`') + 1)));
    return [`**${code(h.name)}**`, '', `${fence}diff`, ...lines, fence, ''].join('\n');
  });
  return fold(head.join('\n'), details, 'daxplan diff');
}

/** Nodes where the new plan takes more memory out of the system than the old one: "node 2 -512 MiB (before: +0 B)". */
function moreRemoved(before: Plan, after: Plan): string[] {
  const removed = (p: Plan) => new Map([...capacityDelta(p)].map(([node, z]) => [node, z.normal + z.movable]));
  const old = removed(before);
  return [...removed(after)]
    .filter(([node, delta]) => delta < 0n && delta < (old.get(node) ?? 0n))
    .map(([node, delta]) => `${nodeName(node)} ${signedBytes(delta)} (before: ${old.has(node) ? signedBytes(old.get(node)!) : bytes(0n)})`);
}
