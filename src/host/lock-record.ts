// What the lock file says: who holds the lock, and what it is moving. The
// next run and doctor read it to tell what a run that died left behind.
import { EXIT } from '../model/errors.js';
import { readTrusted } from './trust.js';
import { clean } from './pause.js';
import { isAutoOnline, type AutoOnline } from '../model/device.js';

export interface Holder {
  pid: number;
  trigger: string;
  started: string;
  /** The device the holder is moving right now, if any. */
  moving?: { device: string; from: string; to: string };
  /** What a bind owes auto_online_blocks (apply/owed.ts): recorded before the bind overrides it, cleared once it is back. */
  owed?: Debt;
}

/** A bind set auto_online_blocks to `set` (from `restore`) in boot `boot_id`, and it is not back yet. */
export interface Debt {
  device: string;
  restore: AutoOnline;
  set: AutoOnline;
  boot_id: string | null;
}

/** What an approved run does with a debt: write `restore` back, or drop the debt (nothing written) and why. */
export type DebtOutlook = { debt: Debt } & ({ action: 'write' } | { action: 'drop'; why: string });

/**
 * The compare-and-swap of apply/owed.ts decided on what the kernel `reads` in
 * boot `bootId`: only in the boot it was owed in, only while auto_online_blocks
 * still reads the value the bind set.
 */
export function debtOutlook(debt: Debt, bootId: string | null, reads: string | undefined): DebtOutlook {
  if (debt.boot_id !== bootId) return { debt, action: 'drop', why: `it was owed in boot ${debt.boot_id ?? 'unknown'}, this is boot ${bootId ?? 'unknown'}` };
  if (reads !== debt.set) return { debt, action: 'drop', why: `auto_online_blocks reads ${reads ?? 'nothing'}, not ${debt.set} as the bind of ${debt.device} left it: someone set it since` };
  return { debt, action: 'write' };
}

export const MAX_HOLDER_BYTES = 4096;

/** Who holds (or last held) the lock, as its file says; fields it lacks read "unknown", never "undefined". */
export function readHolder(file: string): Holder | undefined {
  let content: string;
  try {
    // Vetted as every file root reads (trust.ts): a lock file named by --lock-file may be anything.
    content = readTrusted(file, { maxBytes: MAX_HOLDER_BYTES, exitCode: EXIT.runtime });
  } catch {
    return undefined;
  }
  return parseHolder(content);
}

/**
 * The holder a lock file's text records: its first line (the holder writes
 * each record over the last, then cuts the file to the record's length, so a
 * run killed in between leaves the new record and a tail of the old).
 */
export function parseHolder(content: string): Holder | undefined {
  let data: Partial<Record<keyof Holder, unknown>>;
  try {
    data = JSON.parse(content.split('\n', 1)[0]);
  } catch {
    return undefined;
  }
  if (data === null || typeof data !== 'object' || !Number.isSafeInteger(data.pid) || (data.pid as number) <= 0) return undefined;
  const moving = data.moving as Partial<Record<keyof NonNullable<Holder['moving']>, unknown>> | undefined;
  const owed = debtIn(data.owed);
  return {
    pid: data.pid as number,
    trigger: text(data.trigger),
    started: text(data.started),
    ...(moving && typeof moving === 'object' ? { moving: { device: text(moving.device), from: text(moving.from), to: text(moving.to) } } : {}),
    ...(owed ? { owed } : {}),
  };
}

/** A debt as recorded, or undefined: a record without the value the bind set and its boot cannot be paid by compare-and-swap, and is none. */
function debtIn(value: unknown): Debt | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  const debt = value as Partial<Record<keyof Debt, unknown>>;
  const [restore, set] = [autoOnline(debt.restore), autoOnline(debt.set)];
  const boot = typeof debt.boot_id === 'string' && /^[0-9a-f-]{1,64}$/i.test(debt.boot_id) ? debt.boot_id : debt.boot_id === null ? null : undefined;
  return restore && set && boot !== undefined ? { device: text(debt.device), restore, set, boot_id: boot } : undefined;
}

/** A value auto_online_blocks can hold, or undefined: anything else is dropped, never written. */
function autoOnline(value: unknown): AutoOnline | undefined {
  return typeof value === 'string' && isAutoOnline(value) ? value : undefined;
}

function text(value: unknown): string {
  return (typeof value === 'string' && clean(value)) || 'unknown';
}

export function describeHolder(holder: Holder | undefined): string {
  return holder ? `pid ${holder.pid} (trigger ${holder.trigger}, since ${holder.started})` : 'another process';
}
