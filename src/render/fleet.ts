// A fleet plan (plan --state over many snapshots) as text, JSON and Markdown.
// Each renderer takes hosts one at a time: text and JSON are written as they
// come (a fleet of any size is never held in memory as one document), the
// Markdown comment keeps only what it shows and writes itself at the end.
import { capacityDelta, changes, kernelAfter } from '../plan/plan.js';
import { hostOutcome, type FleetTotals, type ZoneMoves } from '../plan/fleet.js';
import { describeDecider } from '../plan/match.js';
import { bytes, signedBytes } from '../model/units.js';
import { describeWarning, type Report } from '../report/report.js';
import { FORMAT_VERSION, planJson } from './json.js';
import { capped, code, escape, fold } from './markdown.js';
import { entryLines, settingLines } from './text.js';
import type { Style } from './style.js';
import { capacityLine, nodeName, printable, summaryLine } from './words.js';

export interface FleetHost {
  /** The snapshot's host name, else its file name. */
  name: string;
  file: string;
  report: Report;
}

export interface FleetRenderer {
  host(h: FleetHost): void;
  end(totals: FleetTotals): void;
}

export type Write = (text: string) => void;

/** Names from a directory listing may carry control characters: shown escaped, never sent to the terminal. */
function hostTitle(h: FleetHost): string {
  return printable(h.file.endsWith(`/${h.name}`) || h.file === h.name ? h.file : `${h.name} (${h.file})`);
}

// --- text ---

/** Per host its summary line, then what changes or is blocked; unchanged devices are not listed. */
export function fleetText(write: Write, style: Style): FleetRenderer {
  let spaced = false;
  return {
    host(h) {
      const { plan } = h.report;
      const auto = kernelAfter(plan.kernel, plan.settings).autoOnlineBlocks;
      const lines = [style.bold(`${hostTitle(h)}: ${summaryLine(plan.summary)}`)];
      for (const s of plan.settings) if (s.kind !== 'unchanged') lines.push(...settingLines(s, style));
      for (const e of plan.entries) if (e.kind === 'change' || e.kind === 'blocked') lines.push(...entryLines(e, auto, plan.kernel.blockSize, style));
      for (const w of h.report.warnings) lines.push(style.change(`  Warning: ${describeWarning(w)}`));
      // One line per finding: daxplan doctor on the host has the evidence and the fix.
      for (const f of h.report.conflicts) lines.push(style.dim(`  conflict: ${f.severity} ${f.id}: ${f.message}`));
      spaced = lines.length > 1;
      write(lines.join('\n') + (spaced ? '\n\n' : '\n'));
    },
    end(totals) {
      write(`${spaced ? '' : '\n'}${style.bold(fleetLine(totals))}\n${movingLine(totals)}\n`);
    },
  };
}

/** "Fleet: 3 hosts: 2 to change, 1 blocked, 0 unchanged." */
function fleetLine(t: FleetTotals): string {
  return `Fleet: ${t.hosts} host${t.hosts === 1 ? '' : 's'}: ${t.changing} to change, ${t.blocked} blocked, ${t.unchanged} unchanged.`;
}

function movingLine(t: FleetTotals): string {
  const zone = (name: string, z: ZoneMoves) => `${name} +${bytes(z.added)} / -${bytes(z.removed)}`;
  return `Memory moving: ${zone('ZONE_NORMAL', t.zones.normal)}, ${zone('ZONE_MOVABLE', t.zones.movable)}.`;
}

// --- JSON ---

/**
 * The document JSON.stringify(doc, null, 2) would print, written host by
 * host: { format_version, kind: "fleet-plan", policy, hosts: [{ host, file,
 * plan }], totals }. Schema: schemas/fleet-plan.schema.json.
 */
const HOSTS_OPEN = '{\n  "hosts": [\n';
const HOSTS_CLOSE = '\n  ]\n}';

export function fleetJson(write: Write, policyFile: string): FleetRenderer {
  let first = true;
  write(`{\n  "format_version": ${JSON.stringify(FORMAT_VERSION)},\n  "kind": "fleet-plan",\n  "policy": ${JSON.stringify(policyFile)},\n  "hosts": [`);
  return {
    host(h) {
      // Stringified at its depth in the document (inside { "hosts": [ ... ] }), then cut out: no second pass to indent it.
      const wrapped = JSON.stringify({ hosts: [{ host: h.name, file: h.file, plan: planJson(h.report) }] }, null, 2);
      write((first ? '\n' : ',\n') + wrapped.slice(HOSTS_OPEN.length, -HOSTS_CLOSE.length));
      first = false;
    },
    end(totals) {
      write(`${first ? '' : '\n  '}],\n  "totals": ${JSON.stringify(totalsJson(totals), null, 2).replace(/\n/g, '\n  ')}\n}\n`);
    },
  };
}

function totalsJson(t: FleetTotals) {
  const zone = (z: ZoneMoves) => ({ added: Number(z.added), removed: Number(z.removed) });
  return { hosts: t.hosts, changing: t.changing, blocked: t.blocked, unchanged: t.unchanged, zones: { normal: zone(t.zones.normal), movable: zone(t.zones.movable) } };
}

// --- Markdown ---

// The parts of the summary stop at these sizes, so that it always fits with room for details.
const BLOCKED_BUDGET = 6 * 1024;
const REMOVAL_BUDGET = 6 * 1024;
const HOSTS_BUDGET = 40 * 1024;
// One host's details stop here, so that several hosts share the comment.
const HOST_DETAIL_BUDGET = 8 * 1024;

/**
 * A pull-request comment, always under 64 KiB: the fleet's totals, the
 * blocked hosts, the hosts whose plan removes system memory, a table of the
 * hosts that change, and each host's changes folded in <details>.
 */
export function fleetMarkdown(write: Write, policyFile: string): FleetRenderer {
  const blocked: string[] = [];
  const removals: string[] = [];
  const rows: string[] = [];
  const details: string[] = [];
  return {
    host(h) {
      const { plan } = h.report;
      const outcome = hostOutcome(plan);
      if (outcome === 'unchanged') return;
      const name = code(printable(h.name));
      for (const e of plan.entries) if (e.kind === 'blocked') blocked.push(`> ${name}: ${code(e.device.name)} is blocked: ${escape(e.reason)}`);
      for (const s of plan.settings) if (s.kind === 'blocked') blocked.push(`> ${name}: kernel \`${s.setting}\` is blocked: ${escape(s.reason)}`);
      const capacity = [...capacityDelta(plan)];
      const removed = capacity.filter(([, d]) => d.normal + d.movable < 0n);
      if (removed.length) removals.push(`> ${name}: ${removed.map(([n, d]) => `${nodeName(n)} ${signedBytes(d.normal + d.movable)}`).join(', ')}`);
      const moving = capacity.filter(([, d]) => d.normal || d.movable).map(([n, d]) => capacityLine(n, d));
      rows.push(`| ${name} | ${outcome === 'blocked' ? `**${summaryLine(plan.summary)}**` : summaryLine(plan.summary)} | ${moving.join('; ') || '-'} |`);
      const lines = changes(plan).map((c) => `- ${code(c.device.name)} ${c.device.state} → **${c.to}** (node ${c.device.targetNode ?? '?'}, ${bytes(c.bytes)}, ${c.method}; ${escape(describeDecider(c.decider))}): ${escape(c.reason)}`);
      lines.push(...h.report.warnings.map((w) => `- Warning: ${escape(describeWarning(w))}`));
      details.push([`**${name}** (${code(printable(h.file))})`, '', ...capped(lines, HOST_DETAIL_BUDGET, (n) => [`- …and ${n} more`]), ''].join('\n'));
    },
    end(totals) {
      const head = [`### daxplan fleet plan: ${totals.changing + totals.blocked} of ${totals.hosts} hosts to change, ${totals.blocked} blocked`, ''];
      head.push(`Policy ${code(policyFile)}. ${movingLine(totals)}`, '');
      if (blocked.length)
        head.push('> [!CAUTION]', ...capped(blocked, BLOCKED_BUDGET, (n) => [`> …and ${n} more blocked devices: run \`daxplan plan --state\` for all of them.`]), '');
      if (removals.length)
        head.push('> [!WARNING]', '> These plans remove system memory:', ...capped(removals, REMOVAL_BUDGET, (n) => [`> …and ${n} more hosts.`]), '');
      if (rows.length) {
        head.push('| host | plan | memory moving |', '|---|---|---|');
        head.push(...capped(rows, HOSTS_BUDGET, (n) => ['', `_…and ${n} more hosts to change: run \`daxplan plan --state\` for all of them._`]), '');
      }
      if (totals.unchanged) head.push(`No changes on ${totals.unchanged} host${totals.unchanged === 1 ? '' : 's'}.`, '');
      write(fold(head.join('\n'), details, 'daxplan plan --state'));
    },
  };
}
