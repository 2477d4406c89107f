// Options and wiring several commands share.
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { DirSysfs, isRealSysfs, treeIdentity, type Sysfs } from '../host/sysfs.js';
import { DEFAULT_LOCK_FILE } from '../apply/lock.js';
import { observeMemoryTotals } from '../host/totals.js';
import type { MemoryTotals } from '../model/host-facts.js';
import { observe } from '../host/observe.js';
import type { Observed } from '../model/device.js';
import { fromSnapshot, readSnapshot, snapshotTotals, type Snapshot } from '../host/snapshot.js';
import { readProcFacts } from '../host/proc.js';
import type { Binding } from '../model/saved-plan.js';
import type { LoadedPolicy } from '../policy/load.js';
import { loadPolicy } from './policy.js';
import { EXIT, formatDiagnostic, UsageError } from '../model/errors.js';
import type { Summary } from '../plan/plan.js';
import { sha256Hex } from '../model/digest.js';
import { checkSysfsTree, requireDevices } from '../host/root-check.js';
import { deviceNames, type Io, type OptionSpec, type OptionSpecs, type ValuesOf } from './args.js';
import { NO_STYLE, styleFor, type Style } from '../render/style.js';
import { say } from './journal.js';

export const DEFAULT_SYSFS_ROOT = '/sys';

export const CONFIG = {
  config: { type: 'string', short: 'c', arg: 'FILE', help: 'policy file (default: search daxplan.yaml upwards from the working directory, then /etc/daxplan/daxplan.yaml; as root only the latter)' },
} as const satisfies OptionSpecs;
export const HOST = {
  'sysfs-root': { type: 'string', arg: 'DIR', help: 'read sysfs from DIR instead of /sys' },
  device: { type: 'string', multiple: true, arg: 'NAME', help: 'only this device (daxR.N)' },
} as const satisfies OptionSpecs;

/** --format with its closed set of values; the first is the default. */
export function formatOption<const C extends readonly string[]>(choices: C) {
  return { type: 'string', short: 'f', choices, help: `output format (default ${choices[0]})` } as const satisfies OptionSpec;
}

/** Colour on a terminal unless --no-color, NO_COLOR or TERM=dumb says otherwise. */
export function outputStyle(values: ValuesOf<{}>, io: Io): Style {
  return values['no-color'] ? NO_STYLE : styleFor(io.stdout, io.env);
}

/** The flags that say which host to look at, as every command that takes them parses them. */
export type HostFlags = ValuesOf<typeof HOST & typeof STATE> & { 'kernel-only'?: boolean };

export function sysfsRoot(values: Pick<HostFlags, 'sysfs-root'>): string {
  return values['sysfs-root'] ?? DEFAULT_SYSFS_ROOT;
}

/**
 * The sysfs a command reads and writes: the tree at --sysfs-root through the
 * door the caller gave (tests give a simulated kernel). Throws NoHostError
 * when it is not a sysfs tree or lacks a --device.
 */
export function openSysfs(values: HostFlags, io: Io): Sysfs {
  const root = sysfsRoot(values);
  const sysfs = io.openSysfs ? io.openSysfs(root) : new DirSysfs(root);
  checkSysfsTree(sysfs, { devices: deviceNames(values.device), kernelOnly: values['kernel-only'] === true });
  return sysfs;
}

/**
 * The sysfs a command writes to: a real sysfs mount, or the door the caller
 * gave (tests' simulated kernel). A plain tree of files is refused: writing
 * it would change the files, not where any memory is.
 */
export function writableSysfs(values: HostFlags, io: Io): Sysfs {
  const sysfs = openSysfs(values, io);
  if (!io.openSysfs && !isRealSysfs(sysfs.root))
    throw new UsageError(
      `--sysfs-root ${sysfs.root} is not a sysfs mount: writing it would rewrite its files, not move memory (plan, status and apply --dry-run read any tree; to try apply without root, use dist/daxplan-sim.mjs: see the README)`,
    );
  return sysfs;
}

export const TRIGGERS = ['manual', 'udev', 'boot', 'schedule'] as const;
export const DEFAULT_LOCK_TIMEOUT = 30;

export const LOCKING = {
  'lock-file': { type: 'string', arg: 'FILE', help: `lock file (default ${DEFAULT_LOCK_FILE}; with --sysfs-root, one per tree, removed after a clean run: under /run/daxplan as root, else in the temp directory, TMPDIR)` },
  'lock-timeout': { type: 'string', arg: 'SECONDS', help: `how long to wait for another run to finish (default ${DEFAULT_LOCK_TIMEOUT}; 0: do not wait)` },
  trigger: { type: 'string', arg: 'NAME', choices: TRIGGERS, help: `what started this run, recorded in the lock and logs: ${TRIGGERS.join(', ')} (default manual)` },
} as const satisfies OptionSpecs;

/** The lock for the tree looked at: the real /sys has one lock; another tree gets its own, outside it; each however its path is spelt. */
export function lockFile(values: HostFlags & ValuesOf<Pick<typeof LOCKING, 'lock-file'>>): string {
  return lockFor(values).file;
}

/** The lock apply takes: lockFile's, transient (removed by a clean release) when it is a tree's default one, so runs on trees leave no files behind. */
export function lockFor(values: HostFlags & ValuesOf<Pick<typeof LOCKING, 'lock-file'>>): { file: string; transient: boolean } {
  if (values['lock-file']) return { file: values['lock-file'], transient: false };
  const root = sysfsRoot(values);
  if (isRealSysfs(root)) return { file: DEFAULT_LOCK_FILE, transient: false };
  // Root keeps it out of world-writable /tmp.
  const dir = process.getuid?.() === 0 ? dirname(DEFAULT_LOCK_FILE) : tmpdir();
  return { file: join(dir, `daxplan-${sha256Hex(treeIdentity(root)).slice(0, 16)}.lock`), transient: true };
}

export const STATE = {
  state: { type: 'string', arg: 'FILE', help: 'look at a host snapshot (from daxplan snapshot) instead of this host' },
} as const satisfies OptionSpecs;

/** What a command looks at: this host's sysfs, or a snapshot of a host (--state FILE). */
export interface HostView {
  observed: Observed;
  /** The boot it was read in (a saved plan is bound to it): read from its /proc, or recorded in the snapshot. */
  binding(): Binding;
  /** Online memory by zone across the host, read only when asked (it walks every memory block). */
  memoryTotals(): MemoryTotals | undefined;
  /** The snapshot's host name or file name; undefined for the host itself. */
  label?: string;
}

/** How messages name the host looked at: a snapshot's label, the tree at --sysfs-root, or this host. */
export function hostName(host: HostView, values: Pick<HostFlags, 'sysfs-root'>): string {
  return host.label ?? (values['sysfs-root'] === undefined ? 'this host' : sysfsRoot(values));
}

export function requireOneHostSource(values: { 'sysfs-root'?: string; state?: string | string[] }): void {
  if (values.state !== undefined && values['sysfs-root'] !== undefined) throw new UsageError('--state FILE and --sysfs-root DIR both name the host: give one of them');
}

/** The one place that decides where Observed comes from. */
export function openHost(values: HostFlags, io: Io): HostView {
  const only = deviceNames(values.device);
  const state = values.state;
  if (state === undefined) {
    const sysfs = openSysfs(values, io);
    const observed = observe(sysfs, only);
    return { observed, binding: () => procBinding(values), memoryTotals: () => observeMemoryTotals(sysfs, observed) };
  }
  requireOneHostSource(values);
  const snapshot = readSnapshotHolding(state, only);
  const binding: Binding = { bootId: snapshot.host?.boot_id ?? null, kernelRelease: snapshot.host?.kernel_release ?? null, source: 'snapshot' };
  return { observed: fromSnapshot(snapshot, only), binding: () => binding, memoryTotals: () => snapshotTotals(snapshot), label: snapshotLabel(snapshot, state) };
}

/** A snapshot, read and checked, that has every device --device names (else NoHostError, exit 66). */
export function readSnapshotHolding(file: string, only: string[] | undefined): Snapshot {
  const snapshot = readSnapshot(file);
  const names = new Set(snapshot.devices.map((d) => d.name));
  requireDevices(only, (name) => names.has(name), () => [...names], file);
  return snapshot;
}

/** How messages name a snapshot's host: its recorded host name, else its file name. */
export function snapshotLabel(snapshot: Snapshot, file: string): string {
  return snapshot.hostname ?? basename(file);
}

/**
 * The boot id and kernel release of the sysfs looked at: from --root's proc/
 * when given, else this machine's /proc for the real /sys, else the proc/
 * beside the tree's sys/ (a tree without one binds to no boot, and so only to
 * a tree without one).
 */
export function procBinding(values: HostFlags & { root?: string }): Binding {
  const root = sysfsRoot(values);
  const real = isRealSysfs(root);
  const proc = values.root !== undefined ? join(values.root, 'proc') : real ? '/proc' : join(dirname(resolve(root)), 'proc');
  return { ...readProcFacts(proc), source: real ? 'host' : 'tree' };
}

export function policyFrom(values: ValuesOf<typeof CONFIG>, io: Io): LoadedPolicy {
  const loaded = loadPolicy({ config: values.config, cwd: io.cwd });
  for (const w of loaded.warnings) say(io, 'warning', formatDiagnostic(w));
  return loaded;
}

/** A plan's --detailed-exitcode (plan, apply --dry-run): a blocked device or setting is not "all is well", whatever else the plan says. */
export function detailedExitCode(summary: Pick<Summary, 'blocked' | 'change'>): number {
  return summary.blocked > 0 ? EXIT.runtime : summary.change > 0 ? EXIT.changes : EXIT.ok;
}

export function printJson(io: Io, value: unknown): void {
  io.stdout.write(JSON.stringify(value, null, 2) + '\n');
}
