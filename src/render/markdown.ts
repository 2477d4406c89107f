// Markdown for pull-request comments: summary first, details folded, and
// never larger than a PR comment may be.
import { capacityDelta, changes, kernelAfter, settingChanges } from '../plan/plan.js';
import { describeDecider } from '../plan/match.js';
import { bytes, signedBytes } from '../model/units.js';
import { describeWarning, type Report } from '../report/report.js';
import { findingsMarkdown, pauseLine } from './findings.js';
import { capacityLine, describeSteps, nodeName, summaryLine } from './words.js';

export const MARKDOWN_LIMIT = 64 * 1024;
// Per-device lists in the summary stop here, so the summary alone always fits.
export const TABLE_BUDGET = 48 * 1024;
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
      `> This plan removes system memory: ${removed.map(([n, d]) => `${nodeName(n)} ${signedBytes(d.normal + d.movable)}`).join(', ')}.`,
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
    head.push('Capacity: ' + [...capacity].map(([n, d]) => capacityLine(n, d)).join('; '), '');
  }

  const details: string[] = [];
  for (const c of changed) {
    details.push(`**\`${c.device.name}\`** ${c.device.state} → ${c.to}: ${escape(c.reason)}`, '');
    describeSteps(c, auto, plan.kernel.blockSize).forEach((s, i) => details.push(`${i + 1}. ${escape(s)}`));
    details.push('');
  }
  const others = plan.entries.filter((e) => e.kind === 'unchanged' || e.kind === 'unmanaged');
  if (others.length) {
    details.push('| device | state | decision |', '|---|---|---|');
    for (const e of others) details.push(`| \`${e.device.name}\` | ${e.device.state} | ${e.kind}: ${escape(e.reason)} |`);
  }
  return fold(head.join('\n'), details);
}

/** The head, then details folded under <details> and cut to keep the whole under MARKDOWN_LIMIT. */
export function fold(head: string, details: string[], rerun = 'daxplan plan'): string {
  if (details.length === 0) return head + '\n';
  const open = '<details><summary>Details</summary>\n\n';
  const close = '\n\n</details>\n';
  const note = `\n\n_Details cut to fit a pull-request comment; run \`${rerun}\` for all of them._`;
  let body = details.join('\n');
  const room = MARKDOWN_LIMIT - Buffer.byteLength(head + '\n' + open + close + note);
  if (Buffer.byteLength(body) > room) {
    // The longest run of leading details that fits (one pass: a fleet plan has thousands).
    let used = -1;
    let keep = 0;
    while (keep < details.length && used + 1 + Buffer.byteLength(details[keep]) <= room) used += 1 + Buffer.byteLength(details[keep++]);
    body = details.slice(0, keep).join('\n') + note;
  }
  return `${head}\n${open}${body}${close}`;
}

/** The lines that fit in `budget` bytes, then what `more` says of the rest. */
export function capped(lines: string[], budget: number, more: (rest: number) => string[]): string[] {
  let used = 0;
  for (let i = 0; i < lines.length; i++) {
    used += Buffer.byteLength(lines[i]) + 1;
    if (used > budget) return [...lines.slice(0, i), ...more(lines.length - i)];
  }
  return lines;
}

/** Inline code that no text (backticks included) can break out of; "|" escaped for tables, "<" is literal in code. */
export function code(text: string): string {
  const fence = '`'.repeat(longestRun(text, '`') + 1);
  const pad = text.startsWith('`') || text.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${text.replace(/\|/g, '\\|')}${pad}${fence}`;
}

export function longestRun(text: string, char: string): number {
  let best = 0;
  let run = 0;
  for (const c of text) {
    run = c === char ? run + 1 : 0;
    best = Math.max(best, run);
  }
  return best;
}

export function escape(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/</g, '&lt;');
}
