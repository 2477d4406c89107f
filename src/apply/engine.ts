// Apply: for each change, re-read, write one step, re-read, check; verify the
// end state with bounded retries; on any failure restore the device to where
// it was (its checkpoint) and report exactly where it is now.
import type { Sysfs } from '../host/sysfs.js';
import { observe } from '../host/observe.js';
import {
  blockKind,
  describeDevice as describe,
  sameDevice,
  type DesiredState,
  type KernelFacts,
  type ObservedDevice,
  type ObservedState,
  type Zone,
  ZONE_NAMES,
} from '../model/device.js';
import { findSteps, satisfies, type Change, type Method, type PlannedStep } from '../plan/plan.js';
import { StepRunner } from './steps.js';

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
  step?(device: string, index: number, total: number, step: PlannedStep): void;
}

export class Applier {
  private readonly runner: StepRunner;

  constructor(
    private readonly sysfs: Sysfs,
    private readonly kernel: KernelFacts,
    private readonly events: ApplyEvents = {},
  ) {
    this.runner = new StepRunner(sysfs);
  }

  private fresh(name: string): ObservedDevice | undefined {
    return observe(this.sysfs, [name]).devices[0];
  }

  apply(change: Change): Outcome {
    const started = performance.now();
    const name = change.device.name;
    const base = {
      device: name,
      from: change.device.state,
      to: change.to,
      method: change.method,
      bytes: change.bytes,
      node: change.device.targetNode,
      stepsTotal: change.steps.length,
    };
    const done = (result: OutcomeResult, stepsDone: number, extra: Partial<Outcome> = {}): Outcome => ({
      ...base,
      result,
      stepsDone,
      final: this.fresh(name),
      elapsedMs: performance.now() - started,
      ...extra,
    });

    const checkpoint = this.fresh(name);
    if (!checkpoint) return done('skipped', 0, { message: `${name} is gone` });
    if (!sameDevice(checkpoint, change.device))
      return done('skipped', 0, { message: `${name} changed since it was planned (planned from ${describe(change.device)}, now ${describe(checkpoint)}); nothing written` });

    let before: ObservedState = change.device.state;
    for (const [i, planned] of change.steps.entries()) {
      const current = this.fresh(name);
      if (!current || current.state !== before) {
        const message = `before step ${i + 1} ${name} was ${current?.state ?? 'gone'}, expected ${before}: another agent moved it`;
        return done('failed', i, this.rollback(checkpoint, change.method, message));
      }
      this.events.step?.(name, i, change.steps.length, planned);
      try {
        this.runner.run(planned.step, current);
      } catch (err) {
        return done('failed', i, this.rollback(checkpoint, change.method, `step ${i + 1} (${planned.step.op}) failed: ${(err as Error).message}`));
      }
      const after = this.fresh(name);
      if (!after || after.state !== planned.expect) {
        const message = `after step ${i + 1} (${planned.step.op}) ${name} is ${after?.state ?? 'gone'}, expected ${planned.expect}`;
        return done('failed', i + 1, this.rollback(checkpoint, change.method, message));
      }
      before = planned.expect;
    }
    const verified = this.verify(name, change.to);
    if (!verified.ok) {
      const message = `verification failed: ${name} is ${verified.state}, expected ${change.to}`;
      return done('failed', change.steps.length, this.rollback(checkpoint, change.method, message));
    }
    return done('applied', change.steps.length);
  }

  private verify(name: string, to: DesiredState): { ok: boolean; state: ObservedState | 'gone' } {
    let state: ObservedState | 'gone' = 'gone';
    for (let attempt = 1; attempt <= VERIFY_ATTEMPTS; attempt++) {
      const device = this.fresh(name);
      state = device?.state ?? 'gone';
      if (device && satisfies(device.state, to) && !device.blocks.some((b) => b.state === 'going-offline')) return { ok: true, state };
      if (attempt < VERIFY_ATTEMPTS) sleep(VERIFY_DELAY_MS);
    }
    return { ok: false, state };
  }

  /** Puts the device back to its checkpoint; says what it did and where it ended. */
  private rollback(checkpoint: ObservedDevice, method: Method, reason: string): Partial<Outcome> {
    const problems: string[] = [];
    const current = this.fresh(checkpoint.name);
    if (current && !sameDevice(current, checkpoint)) {
      if (checkpoint.state === 'mixed') this.restoreBlocks(checkpoint, current, problems);
      else this.restoreState(checkpoint.state, current, method, problems);
    }
    const final = this.fresh(checkpoint.name);
    const restored = final !== undefined && sameDevice(final, checkpoint);
    const where = final ? describe(final) : 'gone';
    const outcome = restored
      ? `rolled back: ${checkpoint.name} is ${where} as before`
      : `ROLLBACK INCOMPLETE: ${checkpoint.name} was ${describe(checkpoint)} and is now ${where}${problems.length ? ` (${problems.join('; ')})` : ''}`;
    return { message: `${reason}; ${outcome}`, restored };
  }

  private restoreState(state: ObservedState, current: ObservedDevice, method: Method, problems: string[]): void {
    const steps = findSteps(current, (s) => s === state, method, this.kernel);
    if (!steps) return void problems.push(`no way back from ${current.state} to ${state}`);
    for (const planned of steps) {
      const device = this.fresh(current.name);
      if (!device) return void problems.push('device disappeared');
      try {
        this.runner.run(planned.step, device);
      } catch (err) {
        return void problems.push(`restoring: ${(err as Error).message}`);
      }
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
