// Apply one device: check it is as planned, then for each step write, re-read,
// check; verify the end state with bounded retries; on any failure restore the
// device to where it was (its checkpoint) and report exactly where it is now.
import type { Sysfs } from '../host/sysfs.js';
import { observe, reobserve } from '../host/observe.js';
import {
  blockKind,
  describeDevice as describe,
  stateDrift,
  stateOfWord,
  type DesiredState,
  type KernelFacts,
  type ObservedDevice,
  type ObservedState,
  type Zone,
  ZONE_NAMES,
} from '../model/device.js';
import { deviceChange, sameMemory } from '../model/identity.js';
import type { Change } from '../plan/plan.js';
import { findSteps, methodFor, satisfies } from '../plan/transitions.js';
import type { Method, PlannedStep, Step } from '../model/steps.js';
import { StepRunner } from './steps.js';
import type { Debts } from './owed.js';
import { timed, type Timings } from './timings.js';

/** Reads of a device after its last step until it settles (a block going offline, the kernel finishing a state change). */
export const VERIFY_ATTEMPTS = 5;
export const VERIFY_DELAY_MS = 200;

export type OutcomeResult = 'applied' | 'failed' | 'skipped';

export interface Outcome {
  device: string;
  from: ObservedState;
  to: DesiredState;
  method: Method;
  bytes: bigint;
  node: number | undefined;
  result: OutcomeResult;
  stepsDone: number;
  stepsTotal: number;
  /** The device as read after the run: what it really is now. */
  final: ObservedDevice | undefined;
  /** Why it failed or was skipped; what rollback did. */
  message?: string;
  /** For failures: whether the device is back in its state before the run. */
  restored?: boolean;
  elapsedMs: number;
}

export interface ApplyEvents {
  step?(device: ObservedDevice, index: number, total: number, step: PlannedStep): void;
  /** Where a bind's override of auto_online_blocks is owed until it is back (apply/owed.ts). */
  debts?: Debts;
  /** Times each re-read, step and verification (apply --timings). */
  timings?: Timings;
}

export class Applier {
  private readonly runner: StepRunner;

  constructor(
    private readonly sysfs: Sysfs,
    private readonly kernel: KernelFacts,
    private readonly events: ApplyEvents = {},
  ) {
    this.runner = new StepRunner(sysfs, events.debts);
  }

  /** The device read whole, its identity too: the checkpoint before its first step. */
  private fresh(name: string): ObservedDevice | undefined {
    return timed(this.events.timings, `reread:${name}`, () => observe(this.sysfs, [name]).devices[0]);
  }

  /** Where the memory of a device is now, its extent checked against the checkpoint's (host/observe.ts reobserve). */
  private again(checkpoint: ObservedDevice): ObservedDevice | undefined {
    return timed(this.events.timings, `reread:${checkpoint.name}`, () => reobserve(this.sysfs, checkpoint, this.kernel));
  }

  apply(change: Change): Outcome {
    const started = performance.now();
    const name = change.device.name;
    const { method, steps } = change;
    // `final` is the device as last read; read again only where no read is at hand (rollback reads it already).
    const done = (result: OutcomeResult, stepsDone: number, extra: Partial<Outcome> = {}): Outcome => ({
      device: name,
      from: change.device.state,
      to: change.to,
      method,
      bytes: change.bytes,
      node: change.device.targetNode,
      stepsTotal: steps.length,
      result,
      stepsDone,
      final: 'final' in extra ? extra.final : this.fresh(name),
      elapsedMs: performance.now() - started,
      ...extra,
    });

    const checkpoint = this.fresh(name);
    if (!checkpoint) return done('skipped', 0, { message: `${name} is gone` });
    const changed = deviceChange(change.device, checkpoint);
    if (changed) return done('skipped', 0, { message: `${name} changed since it was planned (${changed}); nothing written`, final: checkpoint });

    // Each read after a step is the read before the next: nothing else runs in between.
    let current = checkpoint;
    for (let i = 0; i < steps.length; i++) {
      const planned = steps[i];
      if (current.problems.length)
        return done('failed', i, this.rollback(checkpoint, `before step ${i + 1} ${name} could not be read: ${current.problems.join('; ')}`));
      this.events.step?.(current, i, steps.length, planned);
      try {
        timed(this.events.timings, `step:${name}:${i + 1}/${steps.length}:${planned.step.op}`, () => this.runner.run(planned.step, current));
      } catch (err) {
        return done('failed', i, this.rollback(checkpoint, `step ${i + 1} (${planned.step.op}) failed: ${(err as Error).message}`));
      }
      const after = this.again(checkpoint);
      if (!after || after.state !== planned.expect) {
        const undone = after ? undoneByAnother(planned.step, after) : '';
        const message = `after step ${i + 1} (${planned.step.op}) ${name} is ${after?.state ?? 'gone'}, expected ${planned.expect}${undone && `: ${undone}`}`;
        return done('failed', i + 1, this.rollback(checkpoint, message));
      }
      current = after;
    }
    // The interface the device has now (binding kmem may have brought the state file).
    const verified = timed(this.events.timings, `verify:${name}`, () => this.verify(checkpoint, current, change.to, methodFor(current, this.kernel)));
    if (!verified.ok) {
      const message = `verification failed: ${name} is ${verified.why}, expected ${change.to}`;
      return done('failed', steps.length, this.rollback(checkpoint, message));
    }
    return done('applied', steps.length, { final: verified.device });
  }

  /** The device is where it should be and settled: no block going offline, the state file agreeing with the blocks. */
  private verify(checkpoint: ObservedDevice, first: ObservedDevice, to: DesiredState, method: Method): { ok: true; device: ObservedDevice } | { ok: false; why: string } {
    let device: ObservedDevice | undefined = first;
    let why = 'gone';
    for (let attempt = 1; attempt <= VERIFY_ATTEMPTS; attempt++) {
      if (attempt > 1) {
        sleep(VERIFY_DELAY_MS);
        device = this.again(checkpoint);
      }
      if (!device) continue;
      const drift = method === 'state' ? stateDrift(device, this.kernel.hotplug) : undefined;
      if (satisfies(device.state, to) && !drift && !device.problems.length && !device.blocks.some((b) => b.state === 'going-offline')) return { ok: true, device };
      why = drift ? `${device.state} (${drift})` : device.problems.length ? `${describe(device)}: ${device.problems.join('; ')}` : describe(device);
    }
    return { ok: false, why };
  }

  /** Puts the device back to its checkpoint; says what it did and where it ended. */
  private rollback(checkpoint: ObservedDevice, reason: string): Partial<Outcome> {
    const problems: string[] = [];
    const current = this.again(checkpoint);
    // A device that cannot be read whole, or is no longer the device checkpointed, is left alone.
    if (current?.problems.length) problems.push(...current.problems);
    else if (current && !sameMemory(current, checkpoint)) {
      const method = methodFor(current, this.kernel);
      if (checkpoint.state !== 'mixed') this.restoreState(checkpoint.state, checkpoint, current, method, problems);
      else if (method === 'per-block') this.restoreBlocks(checkpoint, current, problems);
      else {
        // Never block by block on a state-file device: back through the file to what its word said, which a mixed device cannot be again.
        const word = checkpoint.stateFile;
        problems.push(`a mixed device is not put back block by block where the state file moves it${word ? `: brought back through it to ${word}` : ''}`);
        if (word) this.restoreState(stateOfWord(word), checkpoint, current, method, problems);
      }
    }
    const final = this.again(checkpoint);
    // Judged by the blocks read at the checkpoint: the same memory in the same zones.
    const restored = final !== undefined && sameMemory(final, checkpoint);
    const where = final ? describe(final) : 'gone';
    const outcome = restored
      ? `rolled back: ${checkpoint.name} is ${where} as before${problems.length ? ` (${problems.join('; ')})` : ''}`
      : `ROLLBACK INCOMPLETE: ${checkpoint.name} was ${describe(checkpoint)} and is now ${where}${problems.length ? ` (${problems.join('; ')})` : ''}`;
    return { message: `${reason}; ${outcome}`, restored, final };
  }

  private restoreState(state: ObservedState, checkpoint: ObservedDevice, start: ObservedDevice, method: Method, problems: string[]): void {
    const steps = findSteps(start, (s) => s === state, method);
    if (!steps) return void problems.push(`no way back from ${start.state} to ${state}`);
    let device: ObservedDevice | undefined = start;
    for (const planned of steps) {
      if (!device) return void problems.push('device disappeared');
      if (device.problems.length) return void problems.push(...device.problems);
      try {
        this.runner.run(planned.step, device);
      } catch (err) {
        return void problems.push(`restoring: ${(err as Error).message}`);
      }
      device = this.again(checkpoint);
    }
  }

  /** A mixed checkpoint has no single state: put each block back as it was. */
  private restoreBlocks(checkpoint: ObservedDevice, current: ObservedDevice, problems: string[]): void {
    if (current.driver !== 'kmem') return void problems.push(`cannot restore blocks: ${current.name} is no longer bound to kmem`);
    const want = new Map(checkpoint.blocks.map((b) => [b.index, blockKind(b)]));
    const wrong = current.blocks.filter((b) => want.has(b.index) && want.get(b.index) !== blockKind(b));
    const offline = { ...current, blocks: wrong.filter((b) => b.state === 'online') };
    try {
      this.runner.run({ op: 'offline_blocks' }, offline);
    } catch (err) {
      return void problems.push(`restoring: ${(err as Error).message}`);
    }
    for (const zone of ['normal', 'movable'] as Zone[]) {
      const blocks = wrong.filter((b) => want.get(b.index) === ZONE_NAMES[zone]).map((b) => ({ index: b.index, state: 'offline' as const }));
      try {
        this.runner.run({ op: 'online_blocks', zone }, { ...current, blocks });
      } catch (err) {
        problems.push(`restoring: ${(err as Error).message}`);
      }
    }
  }
}

function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * Blocks a per-block step wrote one way (every write succeeded, or it would
 * have thrown) that a read just after finds the other way: only another writer
 * (auto-online, a udev rule, a script) moves them in between.
 */
function undoneByAnother(step: Step, after: ObservedDevice): string {
  if (step.op === 'offline_blocks') {
    const online = after.blocks.filter((b) => b.state === 'online').map((b) => b.index);
    return online.length ? `another agent onlined block(s) ${online.join(', ')} after daxplan offlined them` : '';
  }
  if (step.op === 'online_blocks') {
    const elsewhere = after.blocks.filter((b) => b.state !== 'online' || b.zone !== ZONE_NAMES[step.zone]).map((b) => b.index);
    return elsewhere.length ? `another agent moved block(s) ${elsewhere.join(', ')} after daxplan onlined them into ${ZONE_NAMES[step.zone]}` : '';
  }
  return '';
}
