// systemd-memhpd (a systemd prototype, "Memory Hotplug Configuration
// Daemon"): at start it writes a target state to auto_online_blocks, from
// TARGET_BLOCK_STATE in /etc/memhpd.conf (an environment file) or, without
// one, by its own guess (online_movable on bare metal, online in most
// virtual machines, offline on s390 outside KVM); where the kernel refuses
// the write it sets offline and onlines every memory block that appears
// itself. When auto_online_blocks read offline before, it also onlines every
// offline block already present. It does nothing when memhp_default_state=
// is on the kernel command line. Parsing is pure; read.ts reads the files.
import { join } from 'node:path';
import { isAutoOnline, type AutoOnline } from '../model/device.js';
import { evidenceText, type Finding } from './finding.js';

export const MEMHPD_CONF = 'etc/memhpd.conf';
export const MEMHPD_UNIT = 'systemd-memhpd.service';
/** systemd's unit directories, highest priority first (relative to the host root). */
export const UNIT_DIRS = ['etc/systemd/system', 'run/systemd/system', 'usr/local/lib/systemd/system', 'usr/lib/systemd/system', 'lib/systemd/system'];

/** What the host has of memhpd: its unit (where it is, or masked) and its configuration. */
export interface MemhpdEvidence {
  /** Root-relative path of the unit file that wins; undefined when none is installed. */
  unit: string | undefined;
  /** The winning unit is a link to /dev/null. */
  masked: boolean;
  conf: { file: string; text: string } | undefined;
}

/** TARGET_BLOCK_STATE as memhpd reads it, with its line; `value` undefined when it names no state memhpd knows. */
export type TargetSetting = { line: number; text: string; value: AutoOnline | undefined };

/** The last TARGET_BLOCK_STATE= of an environment file (quotes stripped, # comments skipped), as systemd's parse_env_file takes it. */
export function parseMemhpdConf(text: string): TargetSetting | undefined {
  let found: TargetSetting | undefined;
  text.split('\n').forEach((raw, i) => {
    const m = /^\s*TARGET_BLOCK_STATE\s*=\s*(.*?)\s*$/.exec(raw);
    if (!m) return;
    const word = m[1].replace(/^"(.*)"$|^'(.*)'$/, '$1$2');
    found = { line: i + 1, text: evidenceText(raw.trim()).slice(0, 200), value: isAutoOnline(word) ? word : undefined };
  });
  return found;
}

const MASK = `mask it (systemctl mask ${MEMHPD_UNIT})`;

/** `declared`: the policy's auto_online_blocks; `cmdlineDefault`: memhp_default_state= is on the kernel command line. */
export function memhpdFindings(ev: MemhpdEvidence, root: string, declared: AutoOnline | undefined, cmdlineDefault: boolean): Finding[] {
  if (ev.unit === undefined && ev.conf === undefined) return [];
  const setting = ev.conf && parseMemhpdConf(ev.conf.text);
  const confAt = ev.conf && (setting ? `${join(root, ev.conf.file)}:${setting.line}` : join(root, ev.conf.file));
  const unitAt = ev.unit && join(root, ev.unit);
  const base = { id: 'memhpd', evidence: [unitAt && `${unitAt}${ev.masked ? ' -> /dev/null' : ''}`, confAt].filter(Boolean).join(', ') };
  const idle = (message: string, fix = 'Nothing to do.'): Finding[] => [{ ...base, severity: 'info', message, fix }];
  if (ev.unit === undefined) return idle(`${MEMHPD_CONF} is there but ${MEMHPD_UNIT} is not installed: nothing reads it`, `Nothing to do; remove /${MEMHPD_CONF} if memhpd is gone for good.`);
  if (ev.masked) return idle(`${MEMHPD_UNIT} is installed but masked: it does not set auto_online_blocks`);
  if (cmdlineDefault) return idle(`${MEMHPD_UNIT} does nothing on this host: it refuses to start while memhp_default_state= is on the kernel command line`);
  const fix = `Set TARGET_BLOCK_STATE=offline in /${MEMHPD_CONF} (daxplan then chooses every zone)${declared && declared !== 'offline' ? ` or declare auto_online_blocks: offline in the policy` : ''}, or ${MASK}.`;
  if (setting === undefined)
    return [
      {
        ...base,
        severity: 'warning',
        message: `${MEMHPD_UNIT} has no TARGET_BLOCK_STATE${ev.conf ? ` in /${MEMHPD_CONF}` : ` (no /${MEMHPD_CONF})`}, so at every start it guesses one (online_movable on bare metal, online in most virtual machines) and writes it to auto_online_blocks: the kernel then onlines every block of a dax device the moment kmem binds it`,
        fix,
      },
    ];
  if (setting.value === undefined) return idle(`${setting.text} names no state ${MEMHPD_UNIT} knows, so it refuses to start`, `Set TARGET_BLOCK_STATE=offline, or ${MASK}.`);
  if (setting.value === 'offline') {
    if (declared === undefined || declared === 'offline') return idle(`${MEMHPD_UNIT} keeps auto_online_blocks at offline (${setting.text}), as daxplan wants it`);
    return [{ ...base, severity: 'warning', message: `${MEMHPD_UNIT} writes auto_online_blocks=offline at every start, the policy declares ${declared}: the two race at boot`, fix: `Set TARGET_BLOCK_STATE=${declared} in /${MEMHPD_CONF}, or ${MASK}.` }];
  }
  return [
    {
      ...base,
      severity: declared !== undefined && declared !== setting.value ? 'error' : 'warning',
      message: `${MEMHPD_UNIT} writes auto_online_blocks=${setting.value} at every start (${setting.text})${declared !== undefined && declared !== setting.value ? `, against the policy's ${declared}` : ''}: the kernel onlines every block of a dax device the moment kmem binds it, and where auto_online_blocks read offline before, memhpd onlines every offline memory block present, a dax device's too`,
      fix,
    },
  ];
}
