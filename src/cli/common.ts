// Options and wiring several commands share.
import { DirSysfs, type Sysfs } from '../sysfs.js';
import type { Plan } from '../plan.js';
import type { Policy } from '../policy.js';
import { addsMovable, movableRatioWarning, observeMemoryTotals } from '../safety.js';
import { observe } from '../observe.js';
import type { Observed } from '../model.js';
import { loadPolicy, type LoadedPolicy } from '../config.js';
import { formatDiagnostic } from '../errors.js';
import { deviceNames, type Io, type OptionSpecs, type Values } from './args.js';

export const DEFAULT_SYSFS_ROOT = '/sys';

export const CONFIG: OptionSpecs = {
  config: { type: 'string', short: 'c', arg: 'FILE', help: 'policy file (default: search daxplan.yaml upwards from the working directory, then /etc/daxplan/daxplan.yaml)' },
};
export const HOST: OptionSpecs = {
  'sysfs-root': { type: 'string', arg: 'DIR', help: 'read sysfs from DIR instead of /sys' },
  device: { type: 'string', multiple: true, arg: 'NAME', help: 'only this device (daxR.N)' },
};

export function sysfsRoot(values: Values): string {
  return (values['sysfs-root'] as string | undefined) ?? DEFAULT_SYSFS_ROOT;
}

export function observeHost(values: Values): Observed {
  return observe(new DirSysfs(sysfsRoot(values)), deviceNames(values.device));
}

export function policyFrom(values: Values, io: Io): LoadedPolicy {
  const loaded = loadPolicy({ config: values.config as string | undefined, cwd: io.cwd });
  for (const w of loaded.warnings) io.stderr.write(formatDiagnostic(w) + '\n');
  return loaded;
}

/** Adds host-wide warnings to a plan (they need reads the pure planner does not make). */
export function checkPlan(result: Plan, sysfs: Sysfs, policy: Policy): void {
  if (!addsMovable(result)) return;
  const totals = observeMemoryTotals(sysfs);
  const warning = totals && movableRatioWarning(result, totals, policy);
  if (warning) result.warnings.push(warning);
}

export function printJson(io: Io, value: unknown): void {
  io.stdout.write(JSON.stringify(value, null, 2) + '\n');
}
