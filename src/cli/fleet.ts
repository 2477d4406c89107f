// plan --state over many snapshots: every snapshot is read and checked first
// (a bad one exits 64 before anything is printed), then each host is planned
// and handed to the renderer, so that only one host's plan is alive at a time.
import { fromSnapshot, snapshotTotals, type Snapshot } from '../host/snapshot.js';
import { plan } from '../plan/plan.js';
import { checkMovable } from '../plan/safety.js';
import { unmatchedRules } from '../plan/coverage.js';
import { addHost, emptyTotals } from '../plan/fleet.js';
import { fleetJson, fleetMarkdown, fleetText, type FleetRenderer } from '../render/fleet.js';
import { EXIT, formatDiagnostic, type Diagnostic } from '../model/errors.js';
import type { Policy } from '../policy/parse.js';
import { deviceNames, type Io } from './args.js';
import { gatherConflicts } from './conflicts.js';
import { detailedExitCode, outputStyle, readSnapshotHolding, snapshotLabel, type HostFlags } from './common.js';
import { say } from './journal.js';

/** The flags a fleet plan reads, as plan parses them (its --state is the list of snapshots, given apart). */
type FleetFlags = Omit<HostFlags, 'state'> & { root?: string; 'lock-file'?: string; 'detailed-exitcode'?: boolean; 'no-color'?: boolean };

export type FleetFormat = 'text' | 'json' | 'markdown';

/** Plans every snapshot in `files` with `policy`; returns the exit code (plan's, over the whole fleet). */
export function planFleet(policy: Policy, files: string[], format: FleetFormat, values: FleetFlags, io: Io): number {
  const only = deviceNames(values.device);
  const snapshots = files.map((file): [string, Snapshot] => [file, readSnapshotHolding(file, only)]);
  const write = (text: string) => void io.stdout.write(text);
  const renderer: FleetRenderer =
    format === 'json' ? fleetJson(write, policy.file) : format === 'markdown' ? fleetMarkdown(write, policy.file) : fleetText(write, outputStyle(values, io));
  const totals = emptyTotals();
  // Rules that match no device on any host; with --device the other devices are not looked at.
  let unmatched: Diagnostic[] | undefined = values.device ? [] : undefined;
  for (const [file, snapshot] of snapshots) {
    const observed = fromSnapshot(snapshot, only);
    const result = plan(policy, observed);
    const { findings, pause } = gatherConflicts({ ...values, state: file }, observed, result);
    const report = { plan: result, warnings: checkMovable(result, () => snapshotTotals(snapshot), policy), conflicts: findings, paused: pause };
    renderer.host({ name: snapshotLabel(snapshot, file), file, report });
    addHost(totals, result);
    if (unmatched?.length === 0) continue;
    const missing = unmatchedRules(policy, [observed], `any of the ${files.length} snapshots`);
    unmatched = unmatched === undefined ? missing : unmatched.filter((w) => missing.some((m) => m.path === w.path));
  }
  renderer.end(totals);
  for (const w of unmatched ?? []) say(io, 'warning', formatDiagnostic(w));
  return values['detailed-exitcode'] ? detailedExitCode({ blocked: totals.blocked, change: totals.changing }) : EXIT.ok;
}
