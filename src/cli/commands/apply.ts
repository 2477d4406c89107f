import { CONFIG, detailedExitCode, formatOption, HOST, LOCKING, lockFor, openSysfs, outputStyle, writableSysfs, policyFrom, printJson, procBinding, TRIGGERS, DEFAULT_LOCK_TIMEOUT } from '../common.js';
import { deviceNames, oneOf, seconds, defineCommand } from '../args.js';
import { hostRoot, ROOT } from '../root.js';
import { recordThisBoot } from '../boot.js';
import { approvalFor, askFirst } from '../approve.js';
import { PausedError, readPause } from '../../host/pause.js';
import { converge, type ConvergeOptions } from '../../apply/run.js';
import { phaseTimings, sinceStart, timed } from '../../apply/timings.js';
import { readSavedPlan } from '../../host/saved-plan-file.js';
import { applyJson } from '../../render/json.js';
import { outcomesText, planText } from '../../render/text.js';
import { describeSteps } from '../../render/words.js';
import { changes, kernelAfter } from '../../plan/plan.js';
import { EXIT, LockHeldError, UsageError } from '../../model/errors.js';
import { applyRecord } from '../../apply/record.js';
import { LockFileError } from '../../apply/lock.js';
import { observe } from '../../host/observe.js';
import { recordApply, recordedBeside, SIGNAL_FILES, writeSignalFiles } from '../signals.js';
import { say } from '../journal.js';
import type { Priority } from '../../model/priority.js';

const FORMATS = ['text', 'json'] as const;

export const applyCommand = defineCommand({
  name: 'apply',
  summary:
    'Move dax devices to the state the policy asks for: plan, take the lock, write each step, verify; a failed device is rolled back and reported. With PLAN_FILE (from plan --out), plan again from the policy it records and apply exactly that plan, refusing it if the host, its boot or the plan made now differ.',
  details: [
    'On a terminal apply shows the plan and writes only after the answer "yes"; --auto-approve skips the question (units, udev, cron and scripts pass it). Without a terminal and without --auto-approve apply refuses (exit 64) before it reads anything. A saved plan (PLAN_FILE) was reviewed when it was saved and is applied without a question.',
    'What a bind could not put back (auto_online_blocks, recorded on the lock) is put back once writing is approved, and only if the kernel still reads the value the bind set in the same boot; otherwise it is dropped with a log line. That write is in the output (JSON kernel_outcomes) and counts for --detailed-exitcode; before it, the plan (--dry-run included, JSON plan.owed) says what will be written back or why the debt will be dropped.',
  ],
  usage:
    'daxplan apply [PLAN_FILE] [--auto-approve] [--config FILE] [--sysfs-root DIR] [--root DIR] [--device NAME... | --kernel-only] [--dry-run] [--detailed-exitcode] [--force] [--format text|json] [--lock-file FILE] [--lock-timeout SECONDS] [--trigger NAME] [--timings] [--no-color] [--metrics-file FILE] [--features-file FILE]',
  positionals: { min: 0, max: 1 },
  options: {
    'auto-approve': { type: 'boolean', help: 'write without asking (units, udev, cron, scripts); without it apply asks on a terminal and refuses elsewhere' },
    ...CONFIG,
    ...HOST,
    ...LOCKING,
    ...ROOT,
    'kernel-only': { type: 'boolean', help: "apply only the policy's kernel: settings, no device (the early boot unit daxplan-kernel-defaults.service)" },
    force: { type: 'boolean', help: 'apply even while daxplan is disabled (daxplan disable)' },
    'dry-run': { type: 'boolean', help: 'plan and print, change nothing' },
    'detailed-exitcode': { type: 'boolean', help: 'exit 0 when there was nothing to do, 2 when changes were applied and all succeeded, 1 on any error (with --dry-run: as plan --detailed-exitcode: 2 when there is something to apply, a debt on the lock to put back included, 1 when a device or kernel setting is blocked)' },
    format: formatOption(FORMATS),
    timings: { type: 'boolean', help: 'print where the time goes on stderr, one `timing PHASE MS` line per phase (start-up, policy, lock, observe, plan, each re-read, step and verification, output, total)' },
    ...SIGNAL_FILES,
  },
  async run(values, positionals, io) {
    const print = (line: string) => say(io, 'info', line);
    if (values.timings) sinceStart(print, 'start-up');
    const timings = values.timings ? phaseTimings(print) : undefined;
    const format = oneOf(values.format ?? 'text', FORMATS, 'format');
    const trigger = oneOf(values.trigger ?? 'manual', TRIGGERS, 'trigger');
    const timeout = seconds(values['lock-timeout'], 'lock-timeout') ?? DEFAULT_LOCK_TIMEOUT;
    const only = deviceNames(values.device);
    const planFile = positionals[0];
    if (planFile && (only || values.config)) throw new UsageError('a saved plan is applied whole: drop --device and --config');
    const kernelOnly = values['kernel-only'] === true;
    if (kernelOnly && (only || planFile)) throw new UsageError("--kernel-only applies the policy's kernel: settings alone: drop --device and PLAN_FILE");
    const approval = approvalFor(values, planFile !== undefined, format, io);
    const log = (line: string, priority: Priority = 'info') => say(io, priority, `daxplan[${trigger}]: ${line}`);
    const root = hostRoot(values);
    // The pause comes first: during maintenance the policy itself may be half-edited.
    const pause = readPause(root);
    if (pause && !values.force && !values['dry-run']) {
      if (trigger === 'manual') throw new PausedError(pause);
      log(`daxplan is disabled: ${pause.reason} (since ${pause.since} by ${pause.by}); nothing changed`);
      // The fleet still hears about the host, and that it is paused.
      writeSignalFiles(values, io, () => observe(openSysfs(values, io)));
      return EXIT.ok;
    }
    if (pause && values.force) log(`daxplan is disabled (${pause.reason}); applying anyway (--force)`);
    const sysfs = values['dry-run'] ? openSysfs(values, io) : writableSysfs(values, io);
    const lock = lockFor(values);
    // The first look in a boot, before any write: what the kernel booted with (doctor compares boots).
    const unrecorded = root !== undefined && !values['dry-run'] ? recordThisBoot(root, sysfs) : undefined;
    if (unrecorded) log(unrecorded);
    // Everything that can be refused is checked before the lock and any write.
    const saved = planFile ? readSavedPlan(planFile) : undefined;
    const policy = saved ? undefined : timed(timings, 'policy', () => policyFrom(values, io).policy);

    const style = outputStyle(values, io);
    let stepWords = new Map<string, string[]>();
    const options: ConvergeOptions = {
      sysfs,
      only: kernelOnly ? [] : only,
      target: saved ? { saved, file: planFile! } : { policy: policy! },
      binding: () => procBinding(values),
      ledger: lock.file,
      pause,
      log,
      step: (device, i, total) => log(`${device.name}: step ${i + 1}/${total}: ${stepWords.get(device.name)?.[i]}`),
      planned: (report) => {
        const auto = kernelAfter(report.plan.kernel, report.plan.settings).autoOnlineBlocks;
        stepWords = new Map(changes(report.plan).map((c) => [c.device.name, describeSteps(c, auto, report.plan.kernel.blockSize)]));
        if (format === 'text' && !options.approve) io.stdout.write(planText(report, style));
      },
    };
    if (approval.by === 'operator') {
      const asked = await askFirst(options, approval.terminal, io);
      if ('exit' in asked) return asked.exit;
      options.approve = asked.approve;
    }
    // A stop request lets the device being moved finish (and be verified or rolled back); the rest are skipped.
    let stopSignal: NodeJS.Signals | undefined;
    const stop = (signal: NodeJS.Signals) => {
      stopSignal = signal;
      log(`${signal}: stopping after the current device`, 'warning');
    };
    process.on('SIGTERM', stop).on('SIGINT', stop);
    const started = new Date();
    const record = (done: Awaited<ReturnType<typeof converge>> | undefined) => {
      const beside = recordedBeside(values);
      if (beside) recordApply(beside, applyRecord(done, trigger, started, new Date()), (line) => say(io, 'warning', line));
      // Every device, whatever this run was limited to: the files describe the host.
      writeSignalFiles(values, io, () => observe(sysfs));
    };
    let converged;
    try {
      converged = await converge({
        ...options,
        lock: values['dry-run'] ? undefined : { ...lock, timeoutSeconds: timeout, trigger },
        stopping: () => stopSignal !== undefined,
        timings,
      });
    } catch (err) {
      // A run refused under the lock (a safety refusal, a host error) failed; one that found the lock held is another
      // run's turn, and one that could not make the lock file took no lock (nor could it write beside it).
      if (!values['dry-run'] && !(err instanceof LockHeldError) && !(err instanceof LockFileError)) record(undefined);
      throw err;
    } finally {
      process.off('SIGTERM', stop).off('SIGINT', stop);
    }
    if (!values['dry-run'] && converged.approved) record(converged);
    const { report, outcomes, settings, clean, approved } = converged;
    const detailed = values['detailed-exitcode'] === true;
    const exit = timed(timings, 'output', () => {
      if (values['dry-run']) {
        if (format === 'json') printJson(io, applyJson(report, []));
        // A debt to put back on the lock is something to apply too.
        const owed = report.owed?.action === 'write' ? 1 : 0;
        return detailed ? detailedExitCode({ ...report.plan.summary, change: report.plan.summary.change + owed }) : EXIT.ok;
      }
      if (!approved) {
        say(io, 'err', 'daxplan: the host changed while you decided: nothing written. Run daxplan apply again to see the new plan.');
        return EXIT.runtime;
      }
      if (format === 'json') printJson(io, applyJson(report, outcomes, settings));
      else if (outcomes.length || settings.length || report.plan.summary.blocked) io.stdout.write('\n' + outcomesText(report.plan, outcomes, style, settings));
      if (stopSignal || !clean) return EXIT.runtime;
      return detailed && outcomes.length + settings.length > 0 ? EXIT.changes : EXIT.ok;
    });
    if (values.timings) sinceStart(print, 'total');
    return exit;
  },
});
