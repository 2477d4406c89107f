// The boot-time default, boot by boot (src/host/boot-default.ts): apply
// records this boot at its first run in it; plan and doctor compare it with
// the boot before.
import { observeBoot, readBootId, readBootRecord, recordBoot, BOOT_RECORD_FILE, MAX_CONFIG_TEXT_BYTES, type BootDefault, type Gunzip } from '../host/boot-default.js';
import { MEMORY, type Sysfs } from '../host/sysfs.js';
import { builtin } from '../model/builtin.js';
import { isAutoOnline, type AutoOnline } from '../model/device.js';
import type { BootHistory } from '../doctor/boot-default.js';
import { join } from 'node:path';

const gunzip: Gunzip = (data) => {
  try {
    return builtin('node:zlib').gunzipSync(data, { maxOutputLength: MAX_CONFIG_TEXT_BYTES }).toString('utf8');
  } catch {
    return undefined;
  }
};

/** Records this boot's default unless it is recorded already; a message when that failed (it never stops apply). */
export function recordThisBoot(root: string, sysfs: Sysfs): string | undefined {
  try {
    if (readBootRecord(root).some((b) => b.bootId === readBootId(root))) return undefined;
    const auto = sysfs.read(`${MEMORY}/auto_online_blocks`);
    const boot = observeBoot(root, auto !== undefined && isAutoOnline(auto) ? auto : undefined, gunzip);
    if (boot) recordBoot(root, boot);
    return undefined;
  } catch (err) {
    return `cannot record this boot's memory default in ${join(root, BOOT_RECORD_FILE)}: ${(err as Error).message}`;
  }
}

/** The boot before and this one: recorded when apply has run in this boot, else as the host shows it now. */
export function bootHistory(root: string, autoOnline: AutoOnline | undefined): BootHistory {
  const recorded = readBootRecord(root);
  const file = join(root, BOOT_RECORD_FILE);
  const newest: BootDefault | undefined = recorded[recorded.length - 1];
  // Nothing to compare with: nothing more is read.
  if (!newest) return { file, previous: undefined, current: undefined };
  if (newest.bootId === readBootId(root)) return { file, previous: recorded[recorded.length - 2], current: newest };
  return { file, previous: newest, current: observeBoot(root, autoOnline, gunzip) };
}
