import { createHash } from 'node:crypto';
import * as os from 'node:os';
import * as path from 'node:path';
import { checkPlan, CONFIG, HOST, policyFrom, printJson, sysfsRoot, DEFAULT_SYSFS_ROOT } from '../cli/common.js';
import { deviceNames, oneOf, seconds, type Command, type Values } from '../cli/args.js';
import { DirSysfs, type Sysfs } from '../sysfs.js';
import { observe } from '../observe.js';
import { changes, plan, type Change, type Plan } from '../plan.js';
import { Applier } from '../apply/engine.js';
import { acquireLock, DEFAULT_LOCK_FILE } from '../apply/lock.js';
import { SimulatedKernel } from '../sim/kernel.js';
import { changesFromSavedPlan, readSavedPlan } from '../savedplan.js';
import { readProcFacts } from '../fingerprint.js';
import { applyJson } from '../render/json.js';
import { outcomesText, planText } from '../render/text.js';
import { styleFor } from '../render/style.js';
import { EXIT, HostError, UsageError } from '../errors.js';
import { describeStep } from '../render/words.js';
import { describeDevice } from '../model.js';

export const TRIGGERS = ['manual', 'udev', 'boot', 'schedule'] as const;
const DEFAULT_LOCK_TIMEOUT = 30;

export const LOCKING = {
  'lock-file': { type: 'string', arg: 'FILE', help: `lock file (default ${DEFAULT_LOCK_FILE}; with --sysfs-root, one per tree in the temp directory)` },
  'lock-timeout': { type: 'string', arg: 'SECONDS', help: `how long to wait for another run to finish (default ${DEFAULT_LOCK_TIMEOUT}; 0: do not wait)` },
  trigger: { type: 'string', arg: 'NAME', help: `what started this run, recorded in the lock and logs: ${TRIGGERS.join(', ')} (default manual)` },
  simulate: { type: 'boolean', help: 'treat --sysfs-root as a simulated kernel: writes have the kernel\'s effects (configured by its .daxplan-sim.json)' },
} as const;

export const applyCommand: Command = {
  name: 'apply',
  summary:
    'Move dax devices to the state the policy asks for: plan, take the lock, write each step, verify; a failed device is rolled back and reported. With PLAN_FILE (from plan --out), apply exactly that plan, refusing it if the host changed.',
  usage: 'daxplan apply [PLAN_FILE] [--config FILE] [--sysfs-root DIR] [--device NAME...] [--dry-run] [--format text|json] [--lock-timeout SECONDS] [--trigger NAME]',
  positionals: { min: 0, max: 1 },
  options: {
    ...CONFIG,
    ...HOST,
    ...LOCKING,
    'dry-run': { type: 'boolean', help: 'plan and print, change nothing' },
    format: { type: 'string', short: 'f', arg: 'text|json', help: 'output format (default text)' },
  },
  async run(values, positionals, io) {
    const format = oneOf(values.format ?? 'text', ['text', 'json'] as const, 'format');
    const trigger = oneOf(values.trigger ?? 'manual', TRIGGERS, 'trigger');
    const timeout = seconds(values['lock-timeout'], 'lock-timeout') ?? DEFAULT_LOCK_TIMEOUT;
    const only = deviceNames(values.device);
    const planFile = positionals[0];
    if (planFile && (only || values.config)) throw new UsageError('a saved plan is applied whole: drop --device and --config');
    const sysfs = hostSysfs(values);
    // Everything that can be refused is checked before the lock and any write.
    const saved = planFile ? readSavedPlan(planFile) : undefined;
    const policy = saved ? undefined : policyFrom(values, io).policy;

    const log = (line: string) => io.stderr.write(`daxplan[${trigger}]: ${line}\n`);
    const lock = values['dry-run']
      ? undefined
      : await acquireLock(lockFile(values), { timeoutSeconds: timeout, trigger, onWait: (holder) => log(`waiting up to ${timeout}s for the lock held by ${holder}`) });
    try {
      const observed = observe(sysfs, only);
      const current: Plan = saved ? savedPlanAsPlan(changesFromSavedPlan(planFile!, saved, observed, readProcFacts()), observed) : plan(policy!, observed);
      if (policy) checkPlan(current, sysfs, policy);
      const lost = lock?.interrupted;
      if (lost?.moving) {
        const now = observed.devices.find((d) => d.name === lost.moving!.device);
        const warning = `a previous run (pid ${lost.pid}, trigger ${lost.trigger}, started ${lost.started}) died while moving ${lost.moving.device} from ${lost.moving.from} to ${lost.moving.to}; it is now ${now ? describeDevice(now) : 'gone'}`;
        current.warnings.push(warning);
        log(warning);
      }
      const style = styleFor(io.stdout, io.env);
      if (format === 'text') io.stdout.write(planText(current, style));
      if (values['dry-run']) {
        if (format === 'json') printJson(io, applyJson(current, []));
        return EXIT.ok;
      }
      if (current.warnings.length && policy?.safety.onMovableExcess === 'refuse')
        throw new HostError(`refusing to apply (safety.on_movable_excess: refuse): ${current.warnings.join('; ')}`);
      const applier = new Applier(sysfs, observed.kernel, {
        step: (device, i, total, planned) => log(`${device}: step ${i + 1}/${total}: ${describeStep(planned, observed.devices.find((d) => d.name === device)!)}`),
      });
      const outcomes = changes(current).map((change) => {
        lock?.record({ device: change.device.name, from: change.device.state, to: change.to });
        const outcome = applier.apply(change);
        lock?.record(undefined);
        return outcome;
      });
      for (const o of outcomes) if (o.result !== 'applied') log(`${o.device}: ${o.result}: ${o.message}`);
      if (format === 'json') printJson(io, applyJson(current, outcomes));
      else if (outcomes.length) io.stdout.write('\n' + outcomesText(current, outcomes, style));
      const clean = outcomes.every((o) => o.result === 'applied') && current.summary.blocked === 0;
      return clean ? EXIT.ok : EXIT.runtime;
    } finally {
      await lock?.release();
    }
  },
};

export function hostSysfs(values: Values): Sysfs {
  const root = sysfsRoot(values);
  if (!values.simulate) return new DirSysfs(root);
  if (path.resolve(root) === DEFAULT_SYSFS_ROOT) throw new UsageError('--simulate needs --sysfs-root pointing at a copy of a sysfs tree, never /sys');
  return SimulatedKernel.fromTree(root);
}

export function lockFile(values: Values): string {
  if (values['lock-file']) return values['lock-file'] as string;
  const root = path.resolve(sysfsRoot(values));
  if (root === DEFAULT_SYSFS_ROOT) return DEFAULT_LOCK_FILE;
  // Another tree (a snapshot, a simulated host) gets a lock of its own, outside it.
  return path.join(os.tmpdir(), `daxplan-${createHash('sha256').update(root).digest('hex').slice(0, 16)}.lock`);
}

function savedPlanAsPlan(saved: Change[], observed: ReturnType<typeof observe>): Plan {
  return { entries: saved, kernel: observed.kernel, warnings: [], summary: { change: saved.length, unchanged: 0, unmanaged: 0, blocked: 0 } };
}
