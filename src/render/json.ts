// JSON output: a public contract. Bump FORMAT_VERSION's major on any
// incompatible change; adding fields is compatible.
import { onlineBlockCount, stateDrift, type Observed, type ObservedDevice } from '../model/device.js';
import { identityJson } from '../model/identity.js';
import { capacityDelta, changes, type Entry, type SettingEntry } from '../plan/plan.js';
import type { Decider } from '../plan/match.js';
import { stepJson } from '../model/steps.js';
import { describeWarning, type Report, type Warning } from '../report/report.js';
import { appliedCapacity } from '../apply/capacity.js';
import type { Outcome } from '../apply/engine.js';
import type { SettingOutcome } from '../apply/kernel.js';
import type { Pause } from '../host/pause.js';
import type { DebtOutlook } from '../host/lock-record.js';
import { pauseJson } from './findings.js';
import { zoneSummary } from './words.js';
import { hotplugToJson, type HotplugParams } from '../model/hotplug.js';
import { hex } from '../model/units.js';

export const FORMAT_VERSION = '2.0';

export function deciderJson(decider: Decider | undefined) {
  if (!decider) return null;
  return decider.kind === 'rule'
    ? { name: decider.name, file: decider.file, line: decider.line }
    : { name: 'defaults', file: decider.file, line: null };
}

export function kernelJson(kernel: Observed['kernel']) {
  return {
    block_size: kernel.blockSize === undefined ? null : Number(kernel.blockSize),
    auto_online_blocks: kernel.autoOnlineBlocks ?? null,
    memory_hotplug: hotplugToJson(kernel.hotplug),
    state_file: kernel.stateFile,
    node_tiers: kernel.nodeTiers,
    problems: kernel.problems,
  };
}

/** A device as status shows it: its identity as every document carries it (model/identity.ts), sizes as numbers, and what observe() derived. */
export function deviceJson(d: ObservedDevice, hotplug: HotplugParams) {
  const { name, uuid, target_node, cxl, ranges } = identityJson(d);
  return {
    name,
    state: d.state,
    target_node,
    tier: d.tier ?? null,
    uuid,
    source: d.source,
    unassembled: d.unassembled ? { decoder: d.unassembled.decoder, start: hex(d.unassembled.start), end: hex(d.unassembled.end) } : null,
    cxl: cxl && { ...cxl, size: Number(cxl.size) },
    size: Number(d.size),
    driver: d.driver,
    state_file: d.stateFile ?? null,
    drift: stateDrift(d, hotplug) ?? null,
    blocks_online: onlineBlockCount(d),
    blocks_present: d.blocks.length,
    blocks_span: d.blockSpan,
    zone: zoneSummary(d) ?? null,
    ranges,
    problems: d.problems,
  };
}

export function statusJson(observed: Observed, pause?: Pause) {
  return { format_version: FORMAT_VERSION, kind: 'status', kernel: kernelJson(observed.kernel), devices: observed.devices.map((d) => deviceJson(d, observed.kernel.hotplug)), disabled: pauseJson(pause) };
}

/** A kernel setting of the plan; `rule` names the policy key that declares it. */
export function settingJson(s: SettingEntry) {
  return { setting: s.setting, decision: s.kind, from: s.from ?? null, to: s.to, rule: { name: `kernel.${s.setting}`, file: s.file, line: s.line }, reason: s.reason };
}

function entryJson(entry: Entry) {
  return {
    device: entry.device.name,
    decision: entry.kind,
    state: entry.device.state,
    desired: 'to' in entry ? (entry.to ?? null) : null,
    rule: deciderJson('decider' in entry ? entry.decider : undefined),
    reason: entry.reason,
  };
}

/** A warning as data: its kind, its numbers, and the sentence the text output prints. */
export function warningJson(w: Warning) {
  const message = describeWarning(w);
  switch (w.kind) {
    case 'movable-ratio':
      return { kind: w.kind, movable: Number(w.movable), kernel: Number(w.kernel), limit_percent: w.limitPercent, limit_source: w.limitSource, message };
    case 'interrupted-run':
      return { kind: w.kind, pid: w.holder.pid, trigger: w.holder.trigger, started: w.holder.started, device: w.moving.device, from: w.moving.from, to: w.moving.to, now: w.now, message };
    case 'unmatched-rule':
      return { kind: w.kind, file: w.rule.file, line: w.rule.line ?? null, column: w.rule.col ?? null, path: w.rule.path, message };
  }
}

/** A debt on the lock and what an approved run does with it; null: none. */
function owedJson(outlook: DebtOutlook | null) {
  if (!outlook) return null;
  const { device, restore, set, boot_id } = outlook.debt;
  return { setting: 'auto_online_blocks', device, restore, set, boot_id, action: outlook.action, why: outlook.action === 'drop' ? outlook.why : null };
}

export function planJson(report: Report) {
  const { plan } = report;
  return {
    format_version: FORMAT_VERSION,
    kind: 'plan',
    kernel: kernelJson(plan.kernel),
    kernel_settings: plan.settings.map(settingJson),
    actions: changes(plan).map((c) => ({
      device: c.device.name,
      uuid: c.device.uuid ?? null,
      target_node: c.device.targetNode ?? null,
      tier: c.device.tier ?? null,
      from: c.device.state,
      to: c.to,
      method: c.method,
      bytes: Number(c.bytes),
      steps: c.steps.map(stepJson),
      rule: deciderJson(c.decider),
      reason: c.reason,
    })),
    devices: plan.entries.map(entryJson),
    capacity: Object.fromEntries(
      [...capacityDelta(plan)].map(([node, d]) => [String(node), { normal: Number(d.normal), movable: Number(d.movable) }]),
    ),
    warnings: report.warnings.map(warningJson),
    conflicts: report.conflicts,
    disabled: pauseJson(report.paused),
    ...(report.owed === undefined ? {} : { owed: owedJson(report.owed) }),
    summary: plan.summary,
  };
}

export function outcomeJson(o: Outcome) {
  return {
    device: o.device,
    from: o.from,
    to: o.to,
    method: o.method,
    result: o.result,
    bytes: Number(o.bytes),
    target_node: o.node ?? null,
    steps_done: o.stepsDone,
    steps_total: o.stepsTotal,
    state: o.final?.state ?? null,
    blocks_online: o.final ? onlineBlockCount(o.final) : null,
    blocks_present: o.final?.blocks.length ?? null,
    restored: o.restored ?? null,
    message: o.message ?? null,
    elapsed_ms: Math.round(o.elapsedMs * 10) / 10,
  };
}

export function applyJson(report: Report, outcomes: Outcome[], settings: SettingOutcome[] = []) {
  const { plan } = report;
  const count = (r: Outcome['result']) => outcomes.filter((o) => o.result === r).length + settings.filter((s) => s.result === r).length;
  return {
    format_version: FORMAT_VERSION,
    kind: 'apply',
    plan: planJson(report),
    kernel_outcomes: settings.map((s) => ({ setting: s.setting, from: s.from ?? null, to: s.to, result: s.result, message: s.message ?? null })),
    outcomes: outcomes.map(outcomeJson),
    capacity: Object.fromEntries(
      [...appliedCapacity(plan, outcomes)].map(([node, d]) => [String(node), { normal: Number(d.normal), movable: Number(d.movable) }]),
    ),
    summary: { applied: count('applied'), failed: count('failed'), skipped: count('skipped'), blocked: plan.summary.blocked },
  };
}

/** An address or serial as sysfs prints it: 0x and lower-case hex. */