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
  /** The device the holder is moving right now, if any, and the auto_online_blocks value to put back should it die mid-bind. */
  moving?: { device: string; from: string; to: string; restoreAutoOnline?: AutoOnline };
  /** An auto_online_blocks value a run overrode to bind `device` and could not put back (it died, or the write failed): whoever holds the lock next puts it back. */
  owed?: Owed;
}

export interface Owed {
  device: string;
  restoreAutoOnline: AutoOnline;
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
  const restore = autoOnline(moving?.restoreAutoOnline);
  const owed = data.owed as Partial<Record<keyof Owed, unknown>> | undefined;
  const owedValue = autoOnline(owed?.restoreAutoOnline);
  return {
    pid: data.pid as number,
    trigger: text(data.trigger),
    started: text(data.started),
    ...(moving && typeof moving === 'object'
      ? { moving: { device: text(moving.device), from: text(moving.from), to: text(moving.to), ...(restore ? { restoreAutoOnline: restore } : {}) } }
      : {}),
    ...(owed && typeof owed === 'object' && owedValue ? { owed: { device: text(owed.device), restoreAutoOnline: owedValue } } : {}),
  };
}

/** A value auto_online_blocks can hold, or undefined: anything else is dropped, never written. */
function autoOnline(value: unknown): AutoOnline | undefined {
  return typeof value === 'string' && isAutoOnline(value) ? value : undefined;
}

/** What a lock record asks the next holder to put back: its own debt, or the override of a bind it died in. */
export function owedBy(holder: Holder | undefined): Owed | undefined {
  if (holder?.owed) return holder.owed;
  const restore = holder?.moving?.restoreAutoOnline;
  return restore ? { device: holder!.moving!.device, restoreAutoOnline: restore } : undefined;
}

function text(value: unknown): string {
  return (typeof value === 'string' && clean(value)) || 'unknown';
}

export function describeHolder(holder: Holder | undefined): string {
  return holder ? `pid ${holder.pid} (trigger ${holder.trigger}, since ${holder.started})` : 'another process';
}
