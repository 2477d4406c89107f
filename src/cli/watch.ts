// daxplan watch, one tick at a time: reload the policy, observe, plan, and
// (with --apply) converge through the same pipeline as daxplan apply. Each
// tick is told in one line: how many changes, whether the policy changed
// (its sha256) or the host drifted (a device moved since the last tick), and
// what was done. A tick never throws: whatever goes wrong is its line.
import type { Sysfs } from '../host/sysfs.js';
import { observe, readStateWord } from '../host/observe.js';
import { checkSysfsTree } from '../host/root-check.js';
import type { ObservedDevice } from '../model/device.js';
import { sameMemory } from '../model/identity.js';
import { plan, type Plan } from '../plan/plan.js';
import type { PolicyOptions } from '../policy/load.js';
import { loadPolicy } from './policy.js';
import { describePause, readPause } from '../host/pause.js';
import { converge } from '../apply/run.js';
import type { Binding } from '../model/saved-plan.js';
import { applyRecord } from '../apply/record.js';
import { recordApply } from './signals.js';
import { DaxplanError, formatDiagnostic, HostError, LockHeldError, PolicyError } from '../model/errors.js';
import { sha256Hex } from '../model/digest.js';
import type { Priority } from '../model/priority.js';

export interface WatchSetup {
  policy: PolicyOptions;
  sysfs: Sysfs;
  only?: string[];
  /** Where the disable marker lives (see daxplan disable); undefined: not read. */
  root?: string;
  /** Converge at each tick, under this lock, in the boot `binding` reads (the tree's, for a tree: a debt on the lock is bound to it); absent: plan and log only. `record`: where the last apply is recorded (cli/signals.ts recordedBeside), if anywhere. */
  apply?: { lock: { file: string; transient: boolean }; timeoutSeconds: number; binding: () => Binding; record?: string };
  /** Hears the policy's warnings, once for each version of the policy. */
  warn(line: string): void;
}

/** What a tick leaves for the next one to compare with. */
export interface TickMemory {
  policySha?: string;
  devices?: ObservedDevice[];
}

export interface Tick {
  line: string;
  /** err: the tick failed (an error, a device that failed, an invalid policy); warning: its apply was skipped; info: otherwise. */
  priority: Priority;
  memory: TickMemory;
}

const DRIFT_SHOWN = 3;

/** `trigger`: why the tick runs off its schedule (the poll saw a state file change), shown in its line. */
export async function tick(setup: WatchSetup, memory: TickMemory, at: Date = new Date(), trigger?: string): Promise<Tick> {
  const head = trigger ? `tick (${trigger})` : 'tick';
  const say = (text: string, next: TickMemory = memory, priority: Priority = 'info'): Tick => ({ line: `${timestamp(at)} ${head}: ${text}`, memory: next, priority });
  try {
    const pause = readPause(setup.root);
    if (pause) return say(`skipped: ${describePause(pause)}`);
    let loaded;
    try {
      loaded = loadPolicy(setup.policy);
    } catch (err) {
      if (!(err instanceof PolicyError)) throw err;
      const [first, ...rest] = err.diagnostics;
      return say(`skipped: the policy is invalid: ${formatDiagnostic(first)}${rest.length ? ` (+${rest.length} more)` : ''}`, memory, 'err');
    }
    const sha = sha256Hex(loaded.text);
    if (sha !== memory.policySha) for (const w of loaded.warnings) setup.warn(formatDiagnostic(w));
    const policyNote = memory.policySha && memory.policySha !== sha ? `policy changed (sha ${short(memory.policySha)} -> ${short(sha)})` : undefined;

    // The tree may have gone (an unmounted --sysfs-root, a device removed) since the last tick.
    checkSysfsTree(setup.sysfs, { devices: setup.only });
    const observed = observe(setup.sysfs, setup.only);
    const drift = memory.devices ? hostDrift(memory.devices, observed.devices) : [];
    const current = plan(loaded.policy, observed);
    const next = (devices: ObservedDevice[]): TickMemory => ({ policySha: sha, devices });
    const { change, blocked } = current.summary;
    if (change === 0 && blocked === 0) return say(['no drift', policyNote].filter(Boolean).join('; '), next(observed.devices));

    const causes = [policyNote, drift.length ? `host drifted: ${drift.join(', ')}` : undefined].filter(Boolean);
    if (causes.length === 0) causes.push(memory.devices ? 'still pending' : 'first tick');
    const head = `${counts(current)} (${causes.join('; ')})`;
    if (change === 0) return say(`${head}; nothing to apply`, next(observed.devices), blocked ? 'err' : 'info');
    if (!setup.apply) return say(`${head}; not applied (watch without --apply)`, next(observed.devices));
    const result = await applyTick(setup, setup.apply, loaded.policy);
    return say(`${head}; ${result.text}`, next(observe(setup.sysfs, setup.only).devices), result.priority);
  } catch (err) {
    const message = err instanceof DaxplanError ? err.message : `internal error (this is a bug): ${(err as Error).message}`;
    return say(`error: ${message.split('\n')[0]}`, memory, 'err');
  }
}

async function applyTick(setup: WatchSetup, apply: NonNullable<WatchSetup['apply']>, policy: Parameters<typeof plan>[0]): Promise<{ text: string; priority: Priority }> {
  const started = new Date();
  const record = (done: Awaited<ReturnType<typeof converge>> | undefined) => {
    if (apply.record) recordApply(apply.record, applyRecord(done, 'schedule', started, new Date()), setup.warn);
  };
  try {
    const done = await converge({
      sysfs: setup.sysfs,
      only: setup.only,
      target: { policy },
      binding: apply.binding,
      lock: { ...apply.lock, timeoutSeconds: apply.timeoutSeconds, trigger: 'schedule' },
    });
    record(done);
    const count = (r: string) => done.outcomes.filter((o) => o.result === r).length;
    const parts = [`applied ${count('applied')}`, `failed ${count('failed')}`];
    if (count('skipped')) parts.push(`skipped ${count('skipped')}`);
    const failedSettings = done.settings.filter((s) => s.result === 'failed');
    if (failedSettings.length) parts.push(`kernel settings failed ${failedSettings.length}`);
    const trouble = done.outcomes.find((o) => o.result !== 'applied');
    return { text: parts.join(', ') + (trouble ? ` (${trouble.device}: ${trouble.message})` : ''), priority: done.clean ? 'info' : 'err' };
  } catch (err) {
    if (err instanceof LockHeldError) return { text: `skipped: ${err.message.replace(/^lock (\S+) is held by/, 'lock held by')}`, priority: 'warning' };
    if (err instanceof HostError) {
      record(undefined);
      return { text: `not applied: ${err.message}`, priority: 'err' };
    }
    throw err;
  }
}

/**
 * Linux 7.3 sends no uevent when a device's `state` file is written, so a
 * change another agent makes through it is seen only by reading it: one read
 * per device the last tick found with the file (bound to kmem), nothing on a
 * kernel without it. The changes since that tick, in words: "dax1.0
 * online_movable -> unplugged"; empty when none (or before the first tick).
 */
export function pollStateWords(sysfs: Sysfs, memory: TickMemory): string[] {
  const changed: string[] = [];
  for (const device of memory.devices ?? []) {
    if (device.stateFile === undefined) continue;
    const now = readStateWord(sysfs, device.name);
    if (now !== device.stateFile) changed.push(`${device.name} ${device.stateFile} -> ${now ?? 'no state file'}`);
  }
  return firstFew(changed);
}

/** Devices that moved since the last tick, in words: "dax1.0 online -> offline". */
export function hostDrift(before: ObservedDevice[], now: ObservedDevice[]): string[] {
  const old = new Map(before.map((d) => [d.name, d]));
  const out: string[] = [];
  for (const d of now) {
    const was = old.get(d.name);
    if (!was) out.push(`${d.name} appeared (${d.state})`);
    else if (!sameMemory(was, d)) out.push(was.state === d.state ? `${d.name} ${d.state}, blocks changed` : `${d.name} ${was.state} -> ${d.state}`);
    old.delete(d.name);
  }
  for (const name of old.keys()) out.push(`${name} gone`);
  return firstFew(out);
}

/** At most DRIFT_SHOWN items, then how many more. */
function firstFew(items: string[]): string[] {
  return items.length > DRIFT_SHOWN ? [...items.slice(0, DRIFT_SHOWN), `+${items.length - DRIFT_SHOWN} more`] : items;
}

function counts(p: Plan): string {
  const parts = [`${p.summary.change} to change`];
  if (p.summary.blocked) parts.push(`${p.summary.blocked} blocked`);
  return parts.join(', ');
}

export function timestamp(at: Date): string {
  return at.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function short(sha: string): string {
  return sha.slice(0, 8);
}
