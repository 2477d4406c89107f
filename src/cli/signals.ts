// The host's signals for fleet tools (metrics, node facts): gathered from the
// host, its policy, the last apply and the pause, and written to the files
// --metrics-file and --features-file name (status, apply, watch).
import { lstatSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Observed } from '../model/device.js';
import { EXIT, formatDiagnostic, PolicyError } from '../model/errors.js';
import { plan } from '../plan/plan.js';
import { readLastApply, writeLastApply, type LastApply } from '../host/last-apply.js';
import { readPause } from '../host/pause.js';
import { replaceTrusted } from '../host/trust.js';
import type { HostSignals, PolicyStanding } from '../report/signals.js';
import { prometheusText } from '../render/prometheus.js';
import { nfdText } from '../render/nfd.js';
import { loadPolicy } from './policy.js';
import { lockFor, type CONFIG, type HostFlags, type LOCKING } from './common.js';
import type { ROOT } from './root.js';
import { hostRoot } from './root.js';
import { say } from './journal.js';
import type { Io, OptionSpecs, ValuesOf } from './args.js';

export const SIGNAL_FILES = {
  'metrics-file': {
    type: 'string',
    arg: 'FILE',
    help: "also write the host's metrics (as --format prometheus prints them) to FILE, atomically (a temporary file beside it, then a rename), e.g. daxplan.prom in node_exporter's textfile directory; skipped with a note when FILE's directory does not exist",
  },
  'features-file': {
    type: 'string',
    arg: 'FILE',
    help: "also write the host's node facts (as --format nfd prints them) to FILE, atomically, e.g. daxplan in NFD's features.d directory; skipped with a note when FILE's directory does not exist",
  },
} as const satisfies OptionSpecs;

function exists(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

/** The flags the signals read: the host, its policy, lock and files, and the files to write. */
type SignalFlags = HostFlags & ValuesOf<typeof CONFIG & typeof ROOT & Pick<typeof LOCKING, 'lock-file'> & typeof SIGNAL_FILES>;

/** The policy against the host: planned, or why it could not be loaded. */
function policyStanding(values: SignalFlags, io: Io, observed: Observed): PolicyStanding {
  try {
    const { policy } = loadPolicy({ config: values.config, cwd: io.cwd });
    return { kind: 'planned', plan: plan(policy, observed) };
  } catch (err) {
    // loadPolicy reports every way a policy can fail (missing, refused, invalid) as a PolicyError.
    if (err instanceof PolicyError) return { kind: 'invalid', message: err.diagnostics.map(formatDiagnostic).join('\n') };
    throw err;
  }
}

/** Everything the fleet formats show about the host `observed` came from. */
export function hostSignals(values: SignalFlags, io: Io, observed: Observed): HostSignals {
  return {
    observed,
    policy: policyStanding(values, io, observed),
    lastApply: lastApplyOf(values),
    pause: readPause(hostRoot(values)),
  };
}

/**
 * Writes the files --metrics-file and --features-file name, if any. Never
 * fails the command: what could not be written is said on stderr (a missing
 * directory, where no node_exporter or NFD runs, as a note; anything else as a
 * warning).
 */
export function writeSignalFiles(values: SignalFlags, io: Io, observe: () => Observed): void {
  const files = [
    { file: values['metrics-file'], what: 'metrics', render: prometheusText },
    { file: values['features-file'], what: 'node features', render: nfdText },
  ].filter((f): f is typeof f & { file: string } => f.file !== undefined);
  if (files.length === 0) return;
  let signals: HostSignals;
  try {
    signals = hostSignals(values, io, observe());
  } catch (err) {
    say(io, 'warning', `daxplan: ${files.map((f) => f.what).join(' and ')} not written: ${(err as Error).message.split('\n')[0]}`);
    return;
  }
  for (const { file, what, render } of files) {
    if (!exists(dirname(file))) {
      say(io, 'info', `daxplan: ${what} not written: ${dirname(file)} does not exist`);
      continue;
    }
    try {
      replaceTrusted(file, render(signals), { exitCode: EXIT.runtime });
    } catch (err) {
      say(io, 'warning', `daxplan: ${what} not written: ${(err as Error).message.split('\n')[0]}`);
    }
  }
}

/**
 * The lock file the last apply is recorded beside: the host's lock, or one
 * --lock-file names. A tree's own lock (--sysfs-root without --lock-file) is
 * transient, removed after a clean run; nothing is recorded beside it, so that
 * runs on trees leave no record behind in /run/daxplan.
 */
export function recordedBeside(values: SignalFlags): string | undefined {
  if (values.state !== undefined) return undefined;
  const lock = lockFor(values);
  return lock.transient ? undefined : lock.file;
}

function lastApplyOf(values: SignalFlags): LastApply | undefined {
  const beside = recordedBeside(values);
  return beside === undefined ? undefined : readLastApply(beside);
}

/** Records the last apply beside the lock file; a failure to do so is a warning, never the run's failure. */
export function recordApply(lock: string, record: LastApply, warn: (line: string) => void): void {
  try {
    writeLastApply(lock, record);
  } catch (err) {
    warn(`daxplan: the last apply could not be recorded for the metrics: ${(err as Error).message.split('\n')[0]}`);
  }
}
