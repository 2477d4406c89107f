import type * as Crypto from 'node:crypto';
import * as os from 'node:os';
import * as path from 'node:path';
import { CONFIG, HOST, policyFrom, printJson, sysfsRoot, DEFAULT_SYSFS_ROOT } from '../cli/common.js';
import { deviceNames, oneOf, seconds, type Command, type Values } from '../cli/args.js';
import { DirSysfs, type Sysfs } from '../sysfs.js';
import { hostRoot, ROOT } from '../cli/root.js';
import { PausedError, readPause } from '../pause.js';
import { DEFAULT_LOCK_FILE } from '../apply/lock.js';
import { converge } from '../apply/run.js';
import { SimulatedKernel } from '../sim/kernel.js';
import { readSavedPlan } from '../savedplan.js';
import { applyJson } from '../render/json.js';
import { outcomesText, planText } from '../render/text.js';
import { styleFor } from '../render/style.js';
import { EXIT, UsageError } from '../errors.js';
import { builtin } from '../lazy.js';

const crypto = builtin<typeof Crypto>('node:crypto');

export const TRIGGERS = ['manual', 'udev', 'boot', 'schedule'] as const;
const DEFAULT_LOCK_TIMEOUT = 30;

export const LOCKING = {
  'lock-file': { type: 'string', arg: 'FILE', help: `lock file (default ${DEFAULT_LOCK_FILE}; with --sysfs-root, one per tree: under /run/daxplan as root, else in the temp directory)` },
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

    const style = styleFor(io.stdout, io.env);
    const { plan: current, outcomes, settings, clean } = await converge({
      sysfs,
      only: kernelOnly ? [] : only,
      target: saved ? { saved, file: planFile! } : { policy: policy! },
      pause,
      lock: values['dry-run'] ? undefined : { file: lockFile(values), timeoutSeconds: timeout, trigger },
      log,
      steps: true,
      planned: (p) => format === 'text' && io.stdout.write(planText(p, style)),
    });
    if (values['dry-run']) {
      if (format === 'json') printJson(io, applyJson(current, []));
      return EXIT.ok;
    }
    if (format === 'json') printJson(io, applyJson(current, outcomes, settings));
    else if (outcomes.length || settings.length) io.stdout.write('\n' + outcomesText(current, outcomes, style, settings));
    return clean ? EXIT.ok : EXIT.runtime;
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
  // Another tree (a snapshot, a simulated host) gets a lock of its own, outside
  // it: root keeps it out of world-writable /tmp.
  const dir = process.getuid?.() === 0 ? path.dirname(DEFAULT_LOCK_FILE) : os.tmpdir();
  return path.join(dir, `daxplan-${crypto().createHash('sha256').update(root).digest('hex').slice(0, 16)}.lock`);
}
