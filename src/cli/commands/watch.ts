import { CONFIG, HOST, LOCKING, lockFor, openSysfs, procBinding, writableSysfs } from '../common.js';
import { deviceNames, seconds, defineCommand, type Io } from '../args.js';
import { hostRoot, ROOT } from '../root.js';
import { loadPolicy } from '../policy.js';
import { EXIT, UsageError } from '../../model/errors.js';
import { checkCronBounds } from '../cron.js';
import { recordThisBoot } from '../boot.js';
import { pollStateWords, tick, timestamp, type TickMemory, type WatchSetup } from '../watch.js';
import { recordedBeside, SIGNAL_FILES, writeSignalFiles } from '../signals.js';
import { observe } from '../../host/observe.js';
import { checkLockFile } from '../../apply/lock.js';
import { say, tell } from '../journal.js';

/** How often the state files are read between ticks, by default, and at most. */
const DEFAULT_POLL_SECONDS = 10;
const MIN_POLL_SECONDS = 1;

export const watchCommand = defineCommand({
  name: 'watch',
  summary:
    'Stay running and plan on a cron schedule; with --apply also converge. One line per tick: how many changes, whether the policy changed or the host drifted, what was applied. SIGTERM or SIGINT stops it between ticks.',
  usage:
    'daxplan watch --schedule CRON [--apply] [--poll-state SECONDS] [--config FILE] [--sysfs-root DIR] [--device NAME...] [--root DIR] [--lock-file FILE] [--lock-timeout SECONDS] [--metrics-file FILE] [--features-file FILE]',
  options: {
    schedule: { type: 'string', arg: 'CRON', help: 'when to tick: cron fields "minute hour day month weekday", optionally seconds first (e.g. "*/10 * * * *")' },
    apply: { type: 'boolean', help: 'converge at each tick, under the same lock as daxplan apply (default: plan and log only)' },
    'poll-state': {
      type: 'string',
      arg: 'SECONDS',
      help: `between ticks, read the state file of each device bound to kmem every SECONDS and tick at once when one changed (Linux 7.3 sends no uevent for a write to it); 0: never (default ${DEFAULT_POLL_SECONDS})`,
    },
    ...CONFIG,
    ...HOST,
    ...ROOT,
    'lock-file': LOCKING['lock-file'],
    'lock-timeout': { type: 'string', arg: 'SECONDS', help: "how long a tick waits for another run's lock (default 0: skip that tick's apply)" },
    ...SIGNAL_FILES,
  },
  async run(values, _positionals, io) {
    const schedule = values.schedule;
    if (typeof schedule !== 'string') throw new UsageError('watch needs --schedule CRON, e.g. --schedule "*/10 * * * *" (minute hour day month weekday)');
    checkCronBounds(schedule);
    // Loaded here, not at start-up: node-cron loads node:crypto and node:child_process, which other commands do without.
    const cron = await import('node-cron');
    if (!cron.validate(schedule)) {
      throw new UsageError(`--schedule "${schedule}" is not a cron expression: write 5 fields (minute hour day month weekday, e.g. "*/10 * * * *") or 6 with seconds first`);
    }
    const timeoutSeconds = seconds(values['lock-timeout'], 'lock-timeout') ?? 0;
    const pollSeconds = seconds(values['poll-state'], 'poll-state') ?? DEFAULT_POLL_SECONDS;
    if (pollSeconds > 0 && pollSeconds < MIN_POLL_SECONDS) throw new UsageError(`--poll-state takes 0 (never) or at least ${MIN_POLL_SECONDS} seconds (got ${pollSeconds})`);
    const lock = values.apply ? lockFor(values) : undefined;
    // A lock file this user can never open fails every tick alike: said now, exit 73, as apply says it.
    if (lock) checkLockFile(lock.file, lock.transient);
    const setup: WatchSetup = {
      policy: { config: values.config, cwd: io.cwd },
      sysfs: values.apply ? writableSysfs(values, io) : openSysfs(values, io),
      only: deviceNames(values.device),
      root: hostRoot(values),
      apply: lock ? { lock, timeoutSeconds, binding: () => procBinding(values), record: recordedBeside(values) } : undefined,
      warn: (line) => say(io, 'warning', line),
    };
    // An invalid policy at start is the operator's mistake now (exit 65); later
    // it is an edit in progress, and the tick that meets it says so and waits.
    const { policy } = loadPolicy(setup.policy);
    // Until the first tick has read the host, the poll compares with the host as found here: a word
    // written before a far-off first tick is seen within the poll, not at that tick.
    const atStart: TickMemory = pollSeconds > 0 ? { devices: observe(setup.sysfs, setup.only).devices } : {};
    say(io, 'info', `daxplan watch: ${policy.file}, schedule "${schedule}", ${setup.apply ? 'applying' : 'planning only'}`);
    // Applying, it may be the first to write in this boot: what the kernel booted with is recorded first, as by apply.
    const unrecorded = setup.apply && setup.root !== undefined ? recordThisBoot(setup.root, setup.sysfs) : undefined;
    if (unrecorded) say(io, 'warning', `daxplan watch: ${unrecorded}`);
    // After every tick, applying or not: the metrics' drift and the node facts follow the host.
    const signals = () => writeSignalFiles(values, io, () => observe(setup.sysfs));
    return watch(cron, schedule, { seconds: pollSeconds, atStart }, setup, io, signals);
  },
});

/** Ticks on the schedule (and when the poll of the state files sees a change) until SIGTERM or SIGINT, then lets a running tick finish. */
async function watch(
  cron: typeof import('node-cron'),
  schedule: string,
  poll: { seconds: number; atStart: TickMemory },
  setup: WatchSetup,
  io: Io,
  signals: () => void,
): Promise<number> {
  let memory: TickMemory = {};
  let running: Promise<void> | undefined;
  let busy = false;
  const skipped = (at: Date) => tell(io, 'warning', `${timestamp(at)} tick: skipped: the previous tick is still running`);
  const runTick = (at: Date, trigger?: string) => {
    busy = true;
    running = tick(setup, memory, at, trigger).then((done) => {
      memory = done.memory;
      busy = false;
      tell(io, done.priority, done.line);
      signals();
    });
    return running;
  };
  const task = cron.schedule(schedule, (context) => (busy ? skipped(context.date) : runTick(context.date)), { name: 'daxplan watch', noOverlap: true, logger: cronLogger(io) });
  task.on('execution:overlap', (context) => skipped(context.date));
  task.on('execution:missed', (context) => skipped(context.date));
  const polling =
    poll.seconds > 0
      ? setInterval(() => {
          if (busy) return;
          const changed = pollStateWords(setup.sysfs, memory.devices ? memory : poll.atStart);
          if (changed.length) void runTick(new Date(), `state file changed: ${changed.join(', ')}`);
        }, poll.seconds * 1000)
      : undefined;
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    const stop = (name: NodeJS.Signals) => {
      process.off('SIGTERM', stop);
      process.off('SIGINT', stop);
      resolve(name);
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  });
  clearInterval(polling);
  await task.stop();
  await running;
  await task.destroy();
  say(io, 'info', `daxplan watch: ${signal}: stopped`);
  return EXIT.ok;
}

/** node-cron's own warnings repeat what the tick lines say; its errors are kept. */
function cronLogger(io: Io) {
  const error = (message: string | Error) => say(io, 'err', `daxplan watch: ${message instanceof Error ? message.message : message}`);
  return { info: () => {}, warn: () => {}, debug: () => {}, error };
}
