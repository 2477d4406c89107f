import { CONFIG, formatOption, HOST, LOCKING, lockFile, openSysfs, outputStyle, policyFrom, printJson, sysfsRoot } from '../common.js';
import { gatherConflicts } from '../conflicts.js';
import { hostRoot, ROOT } from '../root.js';
import { oneOf, defineCommand, type Io, type ValuesOf } from '../args.js';
import type { LoadedPolicy } from '../../policy/load.js';
import { locatePolicy } from '../policy.js';
import { observe } from '../../host/observe.js';
import { plan } from '../../plan/plan.js';
import { doctorJson, doctorText } from '../../render/findings.js';
import { FORMAT_VERSION } from '../../render/json.js';
import { EXIT, PolicyError } from '../../model/errors.js';

const FORMATS = ['text', 'json'] as const;

export const doctorCommand = defineCommand({
  name: 'doctor',
  summary:
    "Find the other controllers of dax memory: the kernel's auto-online default, its command line and a boot-time default that changed since the last boot, udev rules that online memory (distributions' rules known by name, masked or not), systemd-memhpd, containers with the host's auto_online_blocks mounted, daxctl's hook and daxctl.conf.d sections, another daxplan run, devices left mixed, devices held by famfs (fsdev_dax) or another driver, CXL memory whose region did not assemble. Each finding has a severity, its evidence and the fix. Exit 1 when a finding is an error.",
  usage: 'daxplan doctor [--config FILE] [--sysfs-root DIR] [--root DIR] [--lock-file FILE] [--format text|json] [--no-color]',
  options: {
    ...CONFIG,
    'sysfs-root': HOST['sysfs-root'],
    ...ROOT,
    'lock-file': LOCKING['lock-file'],
    format: formatOption(FORMATS),
  },
  run(values, _positionals, io) {
    const format = oneOf(values.format ?? 'text', FORMATS, 'format');
    const observed = observe(openSysfs(values, io));
    const loaded = optionalPolicy(values, io);
    const { findings, pause } = gatherConflicts(values, observed, loaded && plan(loaded.policy, observed), true);
    const report = { sysfsRoot: sysfsRoot(values), root: hostRoot(values), policy: loaded?.policy.file, lockFile: lockFile(values), pause, findings };
    if (format === 'json') printJson(io, doctorJson(report, FORMAT_VERSION));
    else io.stdout.write(doctorText(report, outputStyle(values, io)));
    return findings.some((f) => f.severity === 'error') ? EXIT.runtime : EXIT.ok;
  },
});

/** The policy when one is given or found; doctor still runs without one. */
function optionalPolicy(values: ValuesOf<typeof CONFIG>, io: Io): LoadedPolicy | undefined {
  if (values.config !== undefined) return policyFrom(values, io);
  let file: string;
  try {
    file = locatePolicy({ cwd: io.cwd });
  } catch (err) {
    if (err instanceof PolicyError) return undefined;
    throw err;
  }
  return policyFrom({ ...values, config: file }, io);
}
