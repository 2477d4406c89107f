// udev rules that compete for memory: the rule files udev really loads
// (same-name override across its directories), and the lines in them that
// write memory block state or start daxctl. Parsing is pure; listing reads.
import { join } from 'node:path';
import type { Sysfs } from '../host/sysfs.js';

/** udev's rule directories, highest priority first (relative to the host root). */
export const UDEV_RULE_DIRS = ['etc/udev/rules.d', 'run/udev/rules.d', 'usr/local/lib/udev/rules.d', 'usr/lib/udev/rules.d', 'lib/udev/rules.d'];

/**
 * Rule files distributions ship that online memory as it appears, by name:
 * doctor names the distribution's rule and says how to mask it by name.
 */
export const KNOWN_RULE_FILES: Record<string, string> = {
  '40-redhat-hotplug.rules': "RHEL 10's memory hotplug rule",
  '40-redhat.rules': "RHEL 8 and 9's rules (their memory hotplug lines)",
  '40-vm-hotadd.rules': "Ubuntu's rule for memory hot-added to virtual machines",
};

/** The rule file udev loads for one name. */
export interface RuleFile {
  name: string;
  /** Root-relative path of the file that wins. */
  file: string;
  /** Its text; undefined when it is a link to /dev/null (a mask). */
  text: string | undefined;
  /** Lower-priority files of the same name it overrides. */
  overrides: string[];
}

export interface RuleHit {
  line: number;
  kind: 'memory-state' | 'daxctl';
  /** The key and value that do it, e.g. ATTR{state}="online". */
  detail: string;
}

/** The rule files udev would load, by name, each from its highest-priority directory. */
export function effectiveRuleFiles(files: Sysfs): RuleFile[] {
  const byName = new Map<string, RuleFile>();
  for (const dir of UDEV_RULE_DIRS) {
    for (const name of files.list(dir).filter((n) => n.endsWith('.rules')).sort()) {
      const file = `${dir}/${name}`;
      const winner = byName.get(name);
      if (winner) {
        if (winner.file !== file) winner.overrides.push(file);
        continue;
      }
      byName.set(name, { name, file, text: readRuleText(files, file), overrides: [] });
    }
  }
  return [...byName.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

function readRuleText(files: Sysfs, file: string): string | undefined {
  const target = files.link(file);
  if (target === '/dev/null') return undefined;
  try {
    // An absolute link names a path on the host under the root, not on this machine.
    return files.read(target?.startsWith('/') ? target : file) ?? '';
  } catch {
    return ''; // a directory or an unreadable file holds no rules udev could load either
  }
}

interface Token {
  key: string;
  attr: string | undefined;
  op: string;
  value: string;
}

const TOKEN = /([A-Za-z_]+)(?:\{([^}]*)\})?\s*(==|!=|\+=|-=|:=|=)\s*"((?:[^"\\]|\\.)*)"/g;
const ASSIGN = new Set(['=', '+=', ':=']);

/** Logical lines (continuations joined) with the number of the line each starts on. */
function logicalLines(text: string): { line: number; text: string }[] {
  const out: { line: number; text: string }[] = [];
  let pending: { line: number; text: string } | undefined;
  text.split('\n').forEach((raw, i) => {
    const part = raw.replace(/\r$/, '');
    const continued = /\\\s*$/.test(part);
    const body = continued ? part.replace(/\\\s*$/, '') : part;
    pending = pending ? { line: pending.line, text: pending.text + ' ' + body.trim() } : { line: i + 1, text: body };
    if (!continued) {
      out.push(pending);
      pending = undefined;
    }
  });
  if (pending) out.push(pending);
  return out;
}

const isMemoryMatch = (t: Token) =>
  (t.key === 'SUBSYSTEM' && t.op === '==' && t.value === 'memory') ||
  (t.key === 'KERNEL' && t.op === '==' && /^memory/.test(t.value)) ||
  (t.key === 'DEVPATH' && t.op === '==' && t.value.includes('/devices/system/memory/'));

const RUNS = new Set(['RUN', 'PROGRAM', 'IMPORT']);

/**
 * Lines of a rules file that write memory block state (ATTR{state}= on
 * memory devices, or a program writing .../memory*\/state) or start daxctl.
 * A line is about memory when it matches SUBSYSTEM=="memory" itself or sits
 * after SUBSYSTEM!="memory", GOTO="x" and before LABEL="x".
 */
export function scanRules(text: string): RuleHit[] {
  const hits: RuleHit[] = [];
  let guard: string | undefined;
  for (const { line, text: rule } of logicalLines(text)) {
    const trimmed = rule.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    const tokens: Token[] = [...trimmed.matchAll(TOKEN)].map((m) => ({ key: m[1].toUpperCase(), attr: m[2], op: m[3], value: m[4] }));
    const label = tokens.find((t) => t.key === 'LABEL');
    if (label && label.value === guard) guard = undefined;
    const skipsOthers = tokens.some((t) => t.key === 'SUBSYSTEM' && t.op === '!=' && t.value === 'memory');
    const jump = tokens.find((t) => t.key === 'GOTO');
    if (skipsOthers && jump) {
      guard = jump.value;
      continue;
    }
    const memory = guard !== undefined || tokens.some(isMemoryMatch);
    for (const t of tokens) {
      const shown = `${t.key}${t.attr !== undefined ? `{${t.attr}}` : ''}${t.op}"${t.value}"`;
      if (memory && t.key === 'ATTR' && t.attr === 'state' && ASSIGN.has(t.op)) hits.push({ line, kind: 'memory-state', detail: shown });
      else if (RUNS.has(t.key) && writesMemoryState(t.value, memory)) hits.push({ line, kind: 'memory-state', detail: shown });
      else if ((RUNS.has(t.key) || t.key === 'ENV') && /daxdev-reconfigure@|\bdaxctl\b/.test(t.value)) hits.push({ line, kind: 'daxctl', detail: shown });
    }
  }
  return hits;
}

function writesMemoryState(command: string, memoryRule: boolean): boolean {
  if (/\/devices\/system\/memory\b/.test(command) && /\bstate\b|auto_online_blocks/.test(command)) return true;
  return memoryRule && /\/state\b|\bchmem\b/.test(command);
}

/** Where an override of a rule file goes: /etc/udev/rules.d/NAME. */
export function overridePath(root: string, name: string): string {
  return join(root, UDEV_RULE_DIRS[0], name);
}
