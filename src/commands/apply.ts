import { createHash } from 'node:crypto';
import * as os from 'node:os';
import * as path from 'node:path';
import { checkPlan, CONFIG, HOST, policyFrom, printJson, sysfsRoot, DEFAULT_SYSFS_ROOT } from '../cli/common.js';
import { deviceNames, oneOf, seconds, type Command, type Values } from '../cli/args.js';
import { DirSysfs, type Sysfs } from '../sysfs.js';
import { observe } from '../observe.js';
import { changes, kernelAfter, plan, settingChanges, summarise, type Change, type Plan, type SettingEntry } from '../plan.js';
import { Applier, type Outcome } from '../apply/engine.js';
import { applySetting, savedSettings } from '../apply/kernel.js';
import { hostRoot, ROOT } from '../cli/root.js';
import { PausedError, readPause } from '../pause.js';
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
  usage:
    'daxplan apply [PLAN_FILE] [--config FILE] [--sysfs-root DIR] [--root DIR] [--device NAME... | --kernel-only] [--dry-run] [--force] [--format text|json] [--lock-timeout SECONDS] [--trigger NAME]',
  positionals: { min: 0, max: 1 },
  options: {
    ...CONFIG,
    ...HOST,
    ...LOCKING,
    ...ROOT,
    'kernel-only': { type: 'boolean', help: "apply only the policy's kernel: settings, no device (the early boot unit daxplan-kernel-defaults.service)" },
    force: { type: 'boolean', help: "apply even while daxplan is disabled (daxplan disable)" },
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
    const kernelOnly = values['kernel-only'] === true;
    if (kernelOnly && (only || planFile)) throw new UsageError("--kernel-only applies the policy's kernel: settings alone: drop --device and PLAN_FILE");
    const log = (line: string) => io.stderr.write(`daxplan[${trigger}]: ${line}\n`);
    // The pause comes first: during maintenance the policy itself may be half-edited.
    const pause = readPause(hostRoot(values));
    if (pause && !values.force && !values['dry-run']) {
      if (trigger === 'manual') throw new PausedError(pause);
      log(`daxplan is disabled: ${pause.reason} (since ${pause.since} by ${pause.by}); nothing changed`);
      return EXIT.ok;
    }
    if (pause && values.force) log(`daxplan is disabled (${pause.reason}); applying anyway (--force)`);
    const sysfs = hostSysfs(values);
    // Everything that can be refused is checked before the lock and any write.
    const saved = planFile ? readSavedPlan(planFile) : undefined;
    const policy = saved ? undefined : policyFrom(values, io).policy;

    const lock = values['dry-run']
      ? undefined
      : await acquireLock(lockFile(values), { timeoutSeconds: timeout, trigger, onWait: (holder) => log(`waiting up to ${timeout}s for the lock held by ${holder}`) });
    try {
      const observed = observe(sysfs, kernelOnly ? [] : only);
      const current: Plan = saved
        ? savedPlanAsPlan(changesFromSavedPlan(planFile!, saved, observed, readProcFacts()), savedSettings(saved), observed)
        : plan(policy!, observed);
      current.paused = pause;
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
      // Kernel settings first: the device steps were planned for the kernel they leave.
      const settings = settingChanges(current).map((s) => applySetting(sysfs, s));
      for (const s of settings) log(`kernel ${s.setting}: ${s.from ?? '?'} -> ${s.to}: ${s.result}${s.message ? `: ${s.message}` : ''}`);
      const unset = settings.find((s) => s.result === 'failed');
      const applier = new Applier(sysfs, kernelAfter(observed.kernel, current.settings), {
        step: (device, i, total, planned) => log(`${device}: step ${i + 1}/${total}: ${describeStep(planned, observed.devices.find((d) => d.name === device)!)}`),
      });
      const outcomes = changes(current).map((change) => {
        if (unset) return skipped(change, `kernel ${unset.setting} is not ${unset.to} and the steps were planned for it; nothing written`);
        lock?.record({ device: change.device.name, from: change.device.state, to: change.to });
        const outcome = applier.apply(change);
        lock?.record(undefined);
        return outcome;
      });
      for (const o of outcomes) if (o.result !== 'applied') log(`${o.device}: ${o.result}: ${o.message}`);
      if (format === 'json') printJson(io, applyJson(current, outcomes, settings));
      else if (outcomes.length || settings.length) io.stdout.write('\n' + outcomesText(current, outcomes, style, settings));
      const clean = outcomes.every((o) => o.result === 'applied') && !unset && current.summary.blocked === 0;
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

function savedPlanAsPlan(saved: Change[], settings: SettingEntry[], observed: ReturnType<typeof observe>): Plan {
  return { entries: saved, settings, kernel: observed.kernel, warnings: [], conflicts: [], summary: summarise(saved, settings) };
}

function skipped(change: Change, message: string): Outcome {
  const d = change.device;
  return { device: d.name, from: d.state, to: change.to, method: change.method, bytes: change.bytes, node: d.targetNode, result: 'skipped', stepsDone: 0, stepsTotal: change.steps.length, final: d, message, elapsedMs: 0 };
}
