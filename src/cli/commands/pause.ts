import { defineCommand, type OptionSpecs, type ValuesOf } from '../args.js';
import { ROOT } from '../root.js';
import { EXIT, UsageError } from '../../model/errors.js';
import { clean, clearPause, describePause, PAUSE_FILE, readPause, whoAmI, writePause } from '../../host/pause.js';

const rootOf = (values: ValuesOf<typeof MARKER_ROOT>) => values.root ?? '/';
const MARKER_ROOT = { root: { ...ROOT.root, help: `the marker is DIR/${PAUSE_FILE} (default DIR: /)` } } as const satisfies OptionSpecs;

export const disableCommand = defineCommand({
  name: 'disable',
  summary:
    "Pause daxplan for maintenance: until 'daxplan enable', runs started by udev, at boot or on a schedule log the reason and exit 0 without changing anything, and a manual apply refuses (exit 75) unless --force.",
  usage: 'daxplan disable --reason TEXT [--root DIR]',
  options: {
    reason: { type: 'string', short: 'r', arg: 'TEXT', help: 'why, for the logs of every run skipped meanwhile (required)' },
    ...MARKER_ROOT,
  },
  run(values, _positionals, io) {
    const reason = clean(values.reason ?? '');
    if (!reason) throw new UsageError("disable needs --reason TEXT: it is logged by every run skipped while daxplan is disabled");
    const root = rootOf(values);
    const before = readPause(root);
    const pause = writePause(root, reason, whoAmI(io.env));
    if (before) io.stdout.write(`daxplan was already disabled (since ${before.since} by ${before.by}: ${before.reason}); reason replaced.\n`);
    io.stdout.write(`${describePause(pause)}.\nudev, boot and scheduled runs exit 0 without changing anything; a manual apply refuses unless --force. Resume with 'daxplan enable'.\n`);
    return EXIT.ok;
  },
});

export const enableCommand = defineCommand({
  name: 'enable',
  summary: "End a pause started by 'daxplan disable': runs change memory again from the next one on.",
  usage: 'daxplan enable [--root DIR]',
  options: { ...MARKER_ROOT },
  run(values, _positionals, io) {
    const previous = clearPause(rootOf(values));
    io.stdout.write(previous ? `daxplan enabled (it was disabled since ${previous.since} by ${previous.by}: ${previous.reason}).\n` : 'daxplan was not disabled.\n');
    return EXIT.ok;
  },
});
