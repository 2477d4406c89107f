// Options and wiring several commands share.
import * as path from 'node:path';
import { DirSysfs } from '../sysfs.js';
import { observeMemoryTotals, type MemoryTotals } from '../safety.js';
import { observe } from '../observe.js';
import type { Observed } from '../model.js';
import { fromSnapshot, readSnapshot, snapshotTotals } from '../snapshot.js';
import { loadPolicy, type LoadedPolicy } from '../config.js';
import { formatDiagnostic, UsageError } from '../errors.js';
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

export const STATE: OptionSpecs = {
  state: { type: 'string', arg: 'FILE', help: 'look at a host snapshot (from daxplan snapshot) instead of this host' },
};

/** What a command looks at: this host's sysfs, or a snapshot of a host (--state FILE). */
export interface HostView {
  observed: Observed;
  /** Online memory by zone across the host, read only when asked (it walks every memory block). */
  memoryTotals(): MemoryTotals | undefined;
  /** The snapshot's host name or file name; undefined for the host itself. */
  label?: string;
}

/** The one place that decides where Observed comes from. */
export function openHost(values: Values): HostView {
  const only = deviceNames(values.device);
  const state = values.state as string | undefined;
  if (state === undefined) {
    const sysfs = new DirSysfs(sysfsRoot(values));
    const observed = observe(sysfs, only);
    return { observed, memoryTotals: () => observeMemoryTotals(sysfs, observed) };
  }
  if (values['sysfs-root'] !== undefined) throw new UsageError('--state FILE and --sysfs-root DIR both name the host: give one of them');
  const snapshot = readSnapshot(state);
  return { observed: fromSnapshot(snapshot, only), memoryTotals: () => snapshotTotals(snapshot), label: snapshot.hostname ?? path.basename(state) };
}

export function observeHost(values: Values): Observed {
  return openHost(values).observed;
}

export function policyFrom(values: Values, io: Io): LoadedPolicy {
  const loaded = loadPolicy({ config: values.config as string | undefined, cwd: io.cwd });
  for (const w of loaded.warnings) io.stderr.write(formatDiagnostic(w) + '\n');
  return loaded;
}

export function printJson(io: Io, value: unknown): void {
  io.stdout.write(JSON.stringify(value, null, 2) + '\n');
}
