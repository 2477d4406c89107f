// daxctl's persistent reconfiguration: /etc/daxctl.conf.d/*.conf sections
//   [reconfigure-device <unique name>]
//   nvdimm.uuid = <namespace uuid>
//   mode = system-ram | devdax
//   online = true|false    (default true)
//   movable = true|false   (default true)
// applied by daxdev-reconfigure@.service (started by 90-daxctl-device.rules)
// for every dax device that appears. Pure parsing; reading is the caller's.
import type { ObservedState } from '../model/device.js';

export const DAXCTL_CONF_DIR = 'etc/daxctl.conf.d';
export const DAXCTL_RULE = '90-daxctl-device.rules';
const SECTION = 'reconfigure-device';

export interface DaxctlSection {
  /** Root-relative path of the .conf file, and the line of the [section] header. */
  file: string;
  line: number;
  name: string;
  uuid?: string;
  mode?: string;
  online?: boolean;
  movable?: boolean;
}

/** daxctl's reading of a boolean: first letter t/y/1 or f/n/0, anything else unset. */
function bool(value: string): boolean | undefined {
  if (/^[tTyY1]/.test(value)) return true;
  if (/^[fFnN0]/.test(value)) return false;
  return undefined;
}

export function parseDaxctlConf(text: string, file: string): DaxctlSection[] {
  const sections: DaxctlSection[] = [];
  let current: DaxctlSection | undefined;
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) return;
    const header = /^\[\s*([^\]\s]+)(?:\s+"?([^\]"]*?)"?)?\s*\]/.exec(line);
    if (header) {
      current = header[1].toLowerCase() === SECTION ? { file, line: i + 1, name: (header[2] ?? '').trim() } : undefined;
      if (current) sections.push(current);
      return;
    }
    const pair = /^([^=]+?)\s*=\s*(.*)$/.exec(line);
    if (!current || !pair) return;
    const value = pair[2].replace(/\s+[#;].*$/, '').replace(/^"(.*)"$/, '$1').trim();
    switch (pair[1].toLowerCase()) {
      case 'nvdimm.uuid':
        current.uuid = value.toLowerCase();
        break;
      case 'mode':
        current.mode = value;
        break;
      case 'online':
        current.online = bool(value);
        break;
      case 'movable':
        current.movable = bool(value);
        break;
    }
  });
  return sections;
}

/** What daxctl would make of the device, in daxplan's words; undefined for a section daxctl refuses. */
export function daxctlIntent(section: DaxctlSection): ObservedState | 'famfs' | undefined {
  switch (section.mode) {
    case 'devdax':
      return 'devdax';
    case 'famfs':
      return 'famfs';
    case 'system-ram':
      if (section.online === false) return 'offline';
      return section.movable === false ? 'online' : 'online_movable';
    default:
      return undefined;
  }
}

/** The section's header, as written in the file: [reconfigure-device NAME]. */
export function sectionHeader(s: DaxctlSection): string {
  return `[${SECTION} ${s.name}]`;
}

/** The header and what daxctl reads from the section, defaults filled in. */
export function describeSection(s: DaxctlSection): string {
  const parts = [`mode = ${s.mode ?? '(none)'}`];
  if (s.mode === 'system-ram') parts.push(`online = ${s.online ?? true}`, `movable = ${s.movable ?? true}`);
  return `${sectionHeader(s)} (${parts.join(', ')})`;
}
