import { CONFIG, HOST, LOCKING, lockFile, openSysfs, policyFrom, printJson, TRIGGERS, DEFAULT_LOCK_TIMEOUT } from '../common.js';
import { deviceNames, oneOf, seconds, type Command } from '../args.js';
import { hostRoot, ROOT } from '../root.js';
import { PausedError, readPause } from '../../host/pause.js';
import { converge } from '../../apply/run.js';
import { readSavedPlan } from '../../host/saved-plan-file.js';
import { applyJson } from '../../render/json.js';
import { outcomesText, planText } from '../../render/text.js';
import { describeStep } from '../../render/words.js';
import { kernelAfter } from '../../plan/plan.js';
import type { AutoOnline } from '../../model/device.js';
import { styleFor } from '../../render/style.js';
import { EXIT, UsageError } from '../../model/errors.js';

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
    const sysfs = openSysfs(values, io);
    // Everything that can be refused is checked before the lock and any write.
    const saved = planFile ? readSavedPlan(planFile) : undefined;
    const policy = saved ? undefined : policyFrom(values, io).policy;

    const style = styleFor(io.stdout, io.env);
    let auto: AutoOnline | undefined;
    // A stop request lets the device being moved finish (and be verified or rolled back); the rest are skipped.
    let stopSignal: NodeJS.Signals | undefined;
    const stop = (signal: NodeJS.Signals) => {
      stopSignal = signal;
      log(`${signal}: stopping after the current device`);
    };
    process.on('SIGTERM', stop).on('SIGINT', stop);
    let converged;
    try {
      converged = await converge({
        sysfs,
        only: kernelOnly ? [] : only,
        target: saved ? { saved, file: planFile! } : { policy: policy! },
        pause,
        lock: values['dry-run'] ? undefined : { file: lockFile(values), timeoutSeconds: timeout, trigger },
        log,
        step: (device, i, total, planned) => log(`${device.name}: step ${i + 1}/${total}: ${describeStep(planned, device, auto)}`),
        planned: (report) => {
          auto = kernelAfter(report.plan.kernel, report.plan.settings).autoOnlineBlocks;
          if (format === 'text') io.stdout.write(planText(report, style));
        },
        stopping: () => stopSignal !== undefined,
      });
    } finally {
      process.off('SIGTERM', stop).off('SIGINT', stop);
    }
    const { report, outcomes, settings, clean } = converged;
    if (values['dry-run']) {
      if (format === 'json') printJson(io, applyJson(report, []));
      return EXIT.ok;
    }
    if (format === 'json') printJson(io, applyJson(report, outcomes, settings));
    else if (outcomes.length || settings.length) io.stdout.write('\n' + outcomesText(report.plan, outcomes, style, settings));
    if (stopSignal) return EXIT.runtime;
    return clean ? EXIT.ok : EXIT.runtime;
  },
};
