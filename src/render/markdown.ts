// Markdown for pull-request comments: summary first, details folded, and
// never larger than a PR comment may be.
import { capacityDelta, changes, kernelAfter, settingChanges } from '../plan/plan.js';
import { describeDecider } from '../plan/match.js';
import { bytes, signedBytes } from '../model/units.js';
import { describeWarning, type Report } from '../report/report.js';
import { findingsMarkdown, pauseLine } from './findings.js';
import { describeStep, summaryLine } from './words.js';

export const MARKDOWN_LIMIT = 64 * 1024;
// Per-device lists in the summary stop here, so the summary alone always fits.
const TABLE_BUDGET = 48 * 1024;
const BLOCKED_BUDGET = 8 * 1024;

export function planMarkdown(report: Report, title = 'daxplan'): string {
  const { plan } = report;
  const auto = kernelAfter(plan.kernel, plan.settings).autoOnlineBlocks;
  const head: string[] = [`### ${escape(title)}: ${summaryLine(plan.summary)}`, ''];
  const capacity = capacityDelta(plan);
  const removed = [...capacity].filter(([, d]) => d.normal + d.movable < 0n);
  if (removed.length) {
    head.push(
      `> [!WARNING]`,
      `> This plan removes system memory: ${removed.map(([n, d]) => `node ${n} ${signedBytes(d.normal + d.movable)}`).join(', ')}.`,
      '',
    );
  }
  if (report.warnings.length) head.push('> [!WARNING]', ...report.warnings.map((w) => `> ${escape(describeWarning(w))}`), '');
  const paused = pauseLine(report.paused);
  if (paused) head.push('> [!NOTE]', `> ${escape(paused)}`, '');
  head.push(...findingsMarkdown(report.conflicts, escape));
  for (const s of settingChanges(plan))
    head.push(`Kernel: \`${s.setting}\` ${s.from} → **${s.to}** (kernel.${s.setting}, ${escape(`${s.file}:${s.line}`)}), written before any device step.`, '');
  const blocked = plan.entries.filter((e) => e.kind === 'blocked');
  if (blocked.length) {
    const lines = blocked.map((e) => `> \`${e.device.name}\` is blocked: ${escape(e.reason)}`);
    head.push('> [!CAUTION]', ...capped(lines, BLOCKED_BUDGET, (n) => [`> …and ${n} more blocked devices: run \`daxplan plan\` for all of them.`]), '');
  }
  const changed = changes(plan);
  if (changed.length) {
    head.push('| device | node | tier | size | from | to | method | rule |', '|---|---|---|---|---|---|---|---|');
    const rows = changed.map((c) => {
      const d = c.device;
      return `| \`${d.name}\` | ${d.targetNode ?? '?'} | ${d.tier ?? '?'} | ${bytes(c.bytes)} | ${d.state} | **${c.to}** | ${c.method} | ${escape(describeDecider(c.decider))} |`;
    });
    head.push(...capped(rows, TABLE_BUDGET, (n) => ['', `_…and ${n} more devices to change: run \`daxplan plan\` for all of them._`]), '');
  }
  if (capacity.size) {
    head.push('Capacity: ' + [...capacity].map(([n, d]) => `node ${n}: ZONE_NORMAL ${signedBytes(d.normal)}, ZONE_MOVABLE ${signedBytes(d.movable)}`).join('; '), '');
  }

  const details: string[] = [];
  for (const c of changed) {
    details.push(`**\`${c.device.name}\`** ${c.device.state} → ${c.to}: ${escape(c.reason)}`, '');
    c.steps.forEach((s, i) => details.push(`${i + 1}. ${escape(describeStep(s, c.device, auto))}`));
    details.push('');
  }
  const others = plan.entries.filter((e) => e.kind === 'unchanged' || e.kind === 'unmanaged');
  if (others.length) {
    details.push('| device | state | decision |', '|---|---|---|');
    for (const e of others) details.push(`| \`${e.device.name}\` | ${e.device.state} | ${e.kind}: ${escape(e.reason)} |`);
  }
  return fold(head.join('\n'), details);
}

function fold(head: string, details: string[]): string {
  if (details.length === 0) return head + '\n';
  const open = '<details><summary>Details</summary>\n\n';
  const close = '\n\n</details>\n';
  const note = '\n\n_Details cut to fit a pull-request comment; run `daxplan plan` for all of them._';
  let body = details.join('\n');
  const room = MARKDOWN_LIMIT - Buffer.byteLength(head + '\n' + open + close + note);
  if (Buffer.byteLength(body) > room) {
    while (details.length && Buffer.byteLength(details.join('\n')) > room) details.pop();
    body = details.join('\n') + note;
  }
  return `${head}\n${open}${body}${close}`;
}

/** The lines that fit in `budget` bytes, then what `more` says of the rest. */
function capped(lines: string[], budget: number, more: (rest: number) => string[]): string[] {
  let used = 0;
  for (let i = 0; i < lines.length; i++) {
    used += Buffer.byteLength(lines[i]) + 1;
    if (used > budget) return [...lines.slice(0, i), ...more(lines.length - i)];
  }
  return lines;
}

function escape(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/</g, '&lt;');
}
