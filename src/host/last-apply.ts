// The record of the last apply on a host (daxplan apply, or a watch tick
// that applied): when it ended, how long it took and how it went, for the
// metrics (status --format prometheus). It lives beside the lock file
// (/run/daxplan/lock.last-apply.json), is written whole under the same vetting
// as every file root writes, and is read back as untrusted: a record that is
// refused or does not parse reads as no record.
import { EXIT } from '../model/errors.js';
import { readTrusted, RefusedFileError, replaceTrusted } from './trust.js';

export const APPLY_RESULTS = ['nothing-to-do', 'applied', 'failed'] as const;
/** nothing-to-do: the host matched the plan; applied: every change applied; failed: a device or setting failed, was skipped or blocked, or the run was refused. */
export type ApplyResult = (typeof APPLY_RESULTS)[number];

export const DEVICE_RESULTS = ['applied', 'failed', 'skipped', 'blocked'] as const;

export interface LastApply {
  trigger: string;
  /** When the run ended, ISO 8601. */
  finished: string;
  durationSeconds: number;
  result: ApplyResult;
  /** Devices and kernel settings by outcome. */
  counts: Record<(typeof DEVICE_RESULTS)[number], number>;
}

const MAX_RECORD_BYTES = 4096;

export function lastApplyFile(lockFile: string): string {
  return `${lockFile}.last-apply.json`;
}

export function writeLastApply(lockFile: string, record: LastApply): void {
  replaceTrusted(lastApplyFile(lockFile), JSON.stringify(record) + '\n', { exitCode: EXIT.runtime });
}

/** The last apply recorded beside this lock file; undefined when there is none or it cannot be trusted or read. */
export function readLastApply(lockFile: string): LastApply | undefined {
  let text: string;
  try {
    text = readTrusted(lastApplyFile(lockFile), { maxBytes: MAX_RECORD_BYTES, exitCode: EXIT.runtime });
  } catch (err) {
    if (err instanceof RefusedFileError) return undefined;
    throw err;
  }
  try {
    return parseLastApply(JSON.parse(text));
  } catch {
    return undefined;
  }
}

function parseLastApply(data: unknown): LastApply | undefined {
  if (data === null || typeof data !== 'object') return undefined;
  const r = data as Record<string, unknown>;
  const counts = r.counts as Record<string, unknown> | null | undefined;
  const count = (v: unknown) => typeof v === 'number' && Number.isInteger(v) && v >= 0;
  const valid =
    typeof r.trigger === 'string' &&
    /^[a-z]{1,16}$/.test(r.trigger) &&
    typeof r.finished === 'string' &&
    !Number.isNaN(Date.parse(r.finished)) &&
    typeof r.durationSeconds === 'number' &&
    Number.isFinite(r.durationSeconds) &&
    r.durationSeconds >= 0 &&
    (APPLY_RESULTS as readonly unknown[]).includes(r.result) &&
    typeof counts === 'object' &&
    counts !== null &&
    DEVICE_RESULTS.every((k) => count(counts[k]));
  if (!valid) return undefined;
  return {
    trigger: r.trigger as string,
    finished: r.finished as string,
    durationSeconds: r.durationSeconds as number,
    result: r.result as ApplyResult,
    counts: Object.fromEntries(DEVICE_RESULTS.map((k) => [k, counts[k] as number])) as LastApply['counts'],
  };
}
