// Apply for host-wide kernel settings (kernel: in the policy): read, write
// through the Sysfs, read back. Runs before any device step, because the
// device steps were planned for the kernel as these settings leave it.
import { SysfsWriteError, type Sysfs } from '../host/sysfs.js';
import { MEMORY } from '../host/sysfs.js';
import type { SettingEntry } from '../plan/plan.js';

export interface SettingOutcome {
  setting: SettingEntry['setting'];
  from: string | undefined;
  to: string;
  result: 'applied' | 'failed';
  message?: string;
}

const FILES: Record<SettingEntry['setting'], string> = { auto_online_blocks: `${MEMORY}/auto_online_blocks` };

export function applySetting(sysfs: Sysfs, entry: SettingEntry): SettingOutcome {
  const file = FILES[entry.setting];
  const base = { setting: entry.setting, to: entry.to };
  const before = sysfs.read(file);
  if (before === entry.to) return { ...base, from: before, result: 'applied' };
  try {
    sysfs.write(file, entry.to);
  } catch (err) {
    const why = err instanceof SysfsWriteError ? err.code : (err as Error).message;
    return { ...base, from: before, result: 'failed', message: `writing ${entry.to} to ${file} failed: ${why}` };
  }
  const after = sysfs.read(file);
  if (after !== entry.to) return { ...base, from: before, result: 'failed', message: `${file} reads "${after ?? 'nothing'}" after writing ${entry.to}` };
  return { ...base, from: before, result: 'applied' };
}

interface SavedSetting {
  setting: SettingEntry['setting'];
  decision: SettingEntry['kind'];
  from?: SettingEntry['from'] | null;
  to: SettingEntry['to'];
  rule?: { file?: string; line?: number | null } | null;
  reason?: string;
}

/** The kernel settings of a saved plan (plan --out), as validated by schemas/plan.schema.json. */
export function savedSettings(saved: object): SettingEntry[] {
  const list = (saved as { kernel_settings?: SavedSetting[] }).kernel_settings ?? [];
  return list.map((s) => ({
    setting: s.setting,
    kind: s.decision,
    from: s.from ?? undefined,
    to: s.to,
    file: s.rule?.file ?? 'saved plan',
    line: s.rule?.line ?? 0,
    reason: s.reason ?? `kernel.${s.setting}`,
  }));
}
