// Human-readable plan and status.
import { describeDevice, stateDrift, type AutoOnline, type Observed } from '../model/device.js';
import type { Outcome } from '../apply/engine.js';
import { appliedCapacity } from '../apply/capacity.js';
import { capacityDelta, changes, kernelAfter, type Entry, type Plan, type SettingEntry } from '../plan/plan.js';
import { blocksMoved } from '../plan/moves.js';
import { describeDecider } from '../plan/match.js';
import { describeWarning, type Report } from '../report/report.js';
import { bytes } from '../model/units.js';
import { describeHotplug } from '../model/hotplug.js';
import type { SettingOutcome } from '../apply/kernel.js';
import type { Pause } from '../host/pause.js';
import type { DebtOutlook } from '../host/lock-record.js';
import { type Style } from './style.js';
import { findingLines, pauseLine } from './findings.js';
import { blocksSummary, capacityLine, changeMark, cxlWords, unassembledWords, describeSteps, methodWords, nodeName, onlinePolicyNote, stateFileWords, summaryLine, UNMANAGED_MARK, zoneSummary } from './words.js';

/** What an approved run does with a debt a bind left on the lock (apply/owed.ts). */
function owedLine({ debt, ...outlook }: DebtOutlook): string {
  const owed = `owed since a bind of ${debt.device} could not put it back`;
  return outlook.action === 'write'
    ? `  ~ auto_online_blocks: ${debt.set} -> ${debt.restore}, ${owed} (written once approved, only if it still reads ${debt.set} in that boot)`
    : `  ! auto_online_blocks: ${debt.restore}, ${owed}, is not written back: ${outlook.why}; the debt is dropped once approved`;
}

export function planText(report: Report, style: Style): string {
  const { plan } = report;
  const out: string[] = [];
  const k = plan.kernel;
  const auto = kernelAfter(k, plan.settings).autoOnlineBlocks;
  out.push(
    style.dim(
      `Kernel: block size ${k.blockSize ? bytes(k.blockSize) : 'unknown'}, auto_online_blocks=${k.autoOnlineBlocks ?? 'unknown'}, ${stateFileWords(k)}${k.hotplug.kind === 'read' ? `, ${describeHotplug(k.hotplug)}` : ''}`,
    ),
  );
  for (const problem of k.problems) out.push(style.remove(`! ${problem}`));
  const note = onlinePolicyNote(k);
  if (note) out.push(style.dim(note));
  const paused = pauseLine(report.paused);
  if (paused) out.push(style.change(paused));
  out.push('');
  for (const setting of plan.settings) out.push(...settingLines(setting, style));
  if (report.owed) out.push(style.change(owedLine(report.owed)));
  for (const entry of plan.entries) out.push(...entryLines(entry, auto, k.blockSize, style));
  const capacity = capacityDelta(plan);
  if (capacity.size) {
    out.push('', 'Capacity change:');
    for (const [node, d] of capacity) out.push(`  ${capacityLine(node, d)}`);
  }
  if (report.warnings.length) out.push('', ...report.warnings.map((w) => style.change(`Warning: ${describeWarning(w)}`)));
  if (report.conflicts.length) out.push('', 'Conflicts: other controllers of this memory (daxplan doctor):', ...findingLines(report.conflicts, style));
  out.push('', style.bold(summaryLine(plan.summary)));
  return out.join('\n') + '\n';
}

export function settingLines(s: SettingEntry, style: Style): string[] {
  const where = `${s.file}:${s.line}, kernel.${s.setting}`;
  switch (s.kind) {
    case 'change':
      return [
        style.change(`  ~ kernel ${s.setting}  ${s.from} -> ${s.to}`) + style.dim(`  (${where})`),
        `      1. write ${s.to} to devices/system/memory/${s.setting}, before any device step`,
      ];
    case 'unchanged':
      return [`  = kernel ${s.setting}  ${s.to}` + style.dim(`  (${where})`)];
    case 'blocked':
      return [style.remove(`  ! kernel ${s.setting}  -> ${s.to}  blocked: ${s.reason}`)];
  }
}

export function entryLines(entry: Entry, auto: AutoOnline | undefined, blockSize: bigint | undefined, style: Style): string[] {
  const d = entry.device;
  const where = `node ${d.targetNode ?? '?'}, tier ${d.tier ?? '?'}, ${bytes(d.size)}`;
  switch (entry.kind) {
    case 'change': {
      const mark = changeMark(entry);
      const colour = mark === '+' ? style.add : mark === '-' ? style.remove : style.change;
      return [
        colour(`  ${mark} ${d.name}  ${d.state} -> ${entry.to}`) + style.dim(`  (${where}; ${methodWords(entry.method, d)})`),
        `      ${describeDecider(entry.decider)}: ${entry.reason}`,
        ...describeSteps(entry, auto, blockSize).map((s, i) => `      ${i + 1}. ${s}`),
      ];
    }
    case 'unchanged':
      return [`  = ${d.name}  ${d.state}` + style.dim(`  (${where}; ${describeDecider(entry.decider)})`)];
    case 'unmanaged':
      return [style.dim(`  ${UNMANAGED_MARK} ${d.name}  ${d.state}  unmanaged: ${entry.reason}`)];
    case 'blocked':
      return [style.remove(`  ! ${d.name}  ${d.state}${entry.to ? ` -> ${entry.to}` : ''}  blocked: ${entry.reason}`)];
  }
}

export function statusText(observed: Observed, pause?: Pause): string {
  const header = ['DEVICE', 'STATE', 'DRIVER', 'STATE-FILE', 'NODE', 'TIER', 'UUID', 'SIZE', 'BLOCKS', 'ZONE'];
  const rows = observed.devices.map((d) => [
    d.name,
    d.state,
    d.driver,
    d.stateFile ?? '-',
    d.targetNode === undefined ? '-' : String(d.targetNode),
    d.tier === undefined ? '-' : String(d.tier),
    d.uuid ?? '-',
    bytes(d.size),
    blocksSummary(d),
    zoneSummary(d) ?? '-',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd();
  const out = [line(header), ...rows.map(line)];
  for (const d of observed.devices) if (d.cxl) out.push(`  ${d.name}: CXL ${cxlWords(d.cxl)}`);
  for (const d of observed.devices) if (d.unassembled) out.push(`  ${d.name}: ${unassembledWords(d.unassembled)}`);
  for (const d of observed.devices) for (const p of d.problems) out.push(`! ${d.name}: ${p}`);
  for (const d of observed.devices) {
    const drift = stateDrift(d, observed.kernel.hotplug);
    if (drift) out.push(`~ ${d.name}: drift: ${drift}`);
  }
  if (observed.kernel.hotplug.kind === 'read') out.push(`Kernel: ${describeHotplug(observed.kernel.hotplug)}`);
  for (const p of observed.kernel.problems) out.push(`! ${p}`);
  if (observed.devices.length === 0) out.push('(no dax devices)');
  const paused = pauseLine(pause);
  if (paused) out.push(paused);
  return out.join('\n') + '\n';
}

export function outcomesText(plan: Plan, outcomes: Outcome[], style: Style, settings: SettingOutcome[] = []): string {
  const out: string[] = [];
  for (const s of settings) {
    const head = `kernel ${s.setting}: ${s.from ?? '?'} -> ${s.to}`;
    out.push(s.result === 'applied' ? style.add(`  ✓ ${head}: applied`) : style.remove(`  ✗ ${head}: FAILED: ${s.message}`));
  }
  const blockSize = plan.kernel.blockSize;
  for (const o of outcomes) {
    const change = changes(plan).find((c) => c.device.name === o.device);
    const moved = change && blockSize ? BigInt(blocksMoved(change)) * blockSize : o.bytes;
    const head = `${o.device}: ${o.from} -> ${o.to} (${o.method}, ${moved ? `${bytes(moved)} on ` : ''}${nodeName(o.node)})`;
    const now = o.final ? describeDevice(o.final) : 'gone';
    if (o.result === 'applied') out.push(style.add(`  ✓ ${head}: applied in ${o.elapsedMs.toFixed(0)} ms`));
    else if (o.result === 'skipped') out.push(style.change(`  - ${head}: skipped: ${o.message}`));
    else out.push(style.remove(`  ✗ ${head}: FAILED after ${o.stepsDone}/${o.stepsTotal} steps: ${o.message}`), `      now: ${now}`);
  }
  const capacity = appliedCapacity(plan, outcomes);
  for (const [node, d] of capacity) if (d.normal || d.movable) out.push(`  ${capacityLine(node, d)}`);
  const count = (r: Outcome['result']) => outcomes.filter((o) => o.result === r).length + settings.filter((s) => s.result === r).length;
  const blocked = plan.summary.blocked ? `, ${plan.summary.blocked} blocked` : '';
  out.push('', style.bold(`Apply: ${count('applied')} applied, ${count('failed')} failed, ${count('skipped')} skipped${blocked}.`));
  return out.join('\n') + '\n';
}
