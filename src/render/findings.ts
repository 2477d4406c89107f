// Doctor findings (competing controllers), for doctor itself and for the
// conflicts block of a plan.
import { countBySeverity, type Finding, type Severity } from '../doctor/findings.js';
import { describePause, type Pause } from '../host/pause.js';
import type { Style } from './style.js';

/** Lines of a findings block: severity and message, then evidence and fix indented. */
export function findingLines(findings: Finding[], style: Style): string[] {
  const colour: Record<Severity, (s: string) => string> = { error: style.remove, warning: style.change, info: style.dim };
  return findings.flatMap((f) => [
    colour[f.severity](`  ${f.severity.padEnd(7)} ${f.id}: ${f.message}`),
    `          at:  ${f.evidence}`,
    `          fix: ${f.fix}`,
  ]);
}

export function pauseLine(pause: Pause | undefined): string | undefined {
  return pause && `Paused: ${describePause(pause)} (udev, boot and scheduled runs change nothing; 'daxplan enable' resumes).`;
}

export function findingsMarkdown(findings: Finding[], escape: (s: string) => string): string[] {
  if (!findings.length) return [];
  const callout = findings.some((f) => f.severity === 'error') ? '> [!CAUTION]' : '> [!WARNING]';
  return [
    callout,
    `> Other controllers of this memory (${countWords(findings)}):`,
    ...findings.map((f) => `> - **${f.severity}** \`${f.id}\`: ${escape(f.message)} (\`${escape(f.evidence)}\`). Fix: ${escape(f.fix)}`),
    '',
  ];
}

export function countWords(findings: Finding[]): string {
  const n = countBySeverity(findings);
  const word = (count: number, one: string) => `${count} ${one}${count === 1 ? '' : 's'}`;
  return `${word(n.error, 'error')}, ${word(n.warning, 'warning')}, ${n.info} info`;
}

export function pauseJson(pause: Pause | undefined) {
  return pause ? { reason: pause.reason, by: pause.by, since: pause.since, file: pause.file } : null;
}

export interface DoctorReport {
  sysfsRoot: string;
  root: string | undefined;
  policy: string | undefined;
  lockFile: string;
  pause: Pause | undefined;
  findings: Finding[];
}

export function doctorText(report: DoctorReport, style: Style): string {
  const out: string[] = [];
  const checked = [`sysfs ${report.sysfsRoot}`, report.root === undefined ? "host files not read (give --root DIR)" : `host files under ${report.root}`, report.policy ? `policy ${report.policy}` : 'no policy', `lock ${report.lockFile}`];
  out.push(style.dim(`Checked: ${checked.join('; ')}`));
  const paused = pauseLine(report.pause);
  if (paused) out.push(style.change(paused));
  out.push('');
  out.push(...findingLines(report.findings, style));
  if (report.findings.length) out.push('');
  const n = countBySeverity(report.findings);
  out.push(
    style.bold(
      n.error + n.warning === 0
        ? `No competing controllers found${n.info ? ` (${n.info} info)` : ''}.`
        : `Doctor: ${countWords(report.findings)}.`,
    ),
  );
  return out.join('\n') + '\n';
}

export function doctorJson(report: DoctorReport, formatVersion: string) {
  return {
    format_version: formatVersion,
    kind: 'doctor',
    checked: { sysfs_root: report.sysfsRoot, root: report.root ?? null, policy: report.policy ?? null, lock_file: report.lockFile },
    disabled: pauseJson(report.pause),
    findings: report.findings,
    summary: countBySeverity(report.findings),
  };
}
