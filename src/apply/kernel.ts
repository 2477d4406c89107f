// Apply for host-wide kernel settings (kernel: in the policy): read, write
// through the Sysfs, read back. Runs before any device step, because the
// device steps were planned for the kernel as these settings leave it.
import { SysfsWriteError, type Sysfs } from '../host/sysfs.js';
import { MEMORY } from '../host/sysfs.js';
import type { SettingEntry } from '../plan/plan.js';
import type { AutoOnline } from '../model/device.js';

export interface SettingOutcome {
  setting: SettingEntry['setting'];
  from: string | undefined;
  to: string;
  result: 'applied' | 'failed';
  message?: string;
}

const FILES: Record<SettingEntry['setting'], string> = { auto_online_blocks: `${MEMORY}/auto_online_blocks` };

export function applySetting(sysfs: Sysfs, setting: SettingEntry['setting'], to: AutoOnline): SettingOutcome {
  const file = FILES[setting];
  const base = { setting, to };
  const before = sysfs.read(file);
  if (before === to) return { ...base, from: before, result: 'applied' };
  try {
    sysfs.write(file, to);
  } catch (err) {
    const why = err instanceof SysfsWriteError ? err.code : (err as Error).message;
    return { ...base, from: before, result: 'failed', message: `writing ${to} to ${file} failed: ${why}` };
  }
  const after = sysfs.read(file);
  if (after !== to) return { ...base, from: before, result: 'failed', message: `${file} reads "${after ?? 'nothing'}" after writing ${to}` };
  return { ...base, from: before, result: 'applied' };
}
