// What the lock file says: who holds the lock, and what it is moving. The
// next run and doctor read it to tell what a run that died left behind.
import * as fs from 'node:fs';

export interface Holder {
  pid: number;
  trigger: string;
  started: string;
  /** The device the holder is moving right now, if any, and the auto_online_blocks value to put back should it die mid-bind. */
  moving?: { device: string; from: string; to: string; restoreAutoOnline?: string };
}

export function readHolder(file: string): Holder | undefined {
  try {
    const holder = JSON.parse(fs.readFileSync(file, 'utf8')) as Holder;
    return typeof holder.pid === 'number' ? holder : undefined;
  } catch {
    return undefined;
  }
}

export function describeHolder(holder: Holder | undefined): string {
  return holder ? `pid ${holder.pid} (trigger ${holder.trigger}, since ${holder.started})` : 'another process';
}
