// What --help says beyond each command's own text, kept here so that the
// top-level usage and the man pages (scripts/gen-docs.ts) say the same.
import { EXIT } from '../model/errors.js';

export const DESCRIPTION =
  'daxplan decides how memory behind Linux dax devices (CXL expanders, pmem namespaces, soft-reserved memory) joins the system through the kernel\'s kmem driver. A YAML policy (daxplan.yaml(5)) maps devices to unplug, online (ZONE_NORMAL), online_movable (ZONE_MOVABLE) or devdax; plan diffs the policy against sysfs, apply carries the plan out under a lock, verifies each step and rolls a failed device back.';

export interface ExitStatus {
  code: number;
  /** A few words, for the one-line list in daxplan --help. */
  short: string;
  meaning: string;
}

export const EXIT_STATUS: ExitStatus[] = [
  { code: EXIT.ok, short: 'ok', meaning: 'success; for plan and apply, also "nothing to change"' },
  {
    code: EXIT.runtime,
    short: 'runtime error',
    meaning:
      'runtime error: init -o FILE would replace an existing FILE without --force; fmt --check: a policy is not in canonical form; a device failed to move or was skipped, a saved plan is stale (or, for apply and show, was edited), a device is blocked (apply, and plan --detailed-exitcode), sysfs could not be written, a file daxplan would write is refused, a safety refusal, the host changed while apply waited for "yes", the operator did not answer "yes"; doctor: a finding is an error',
  },
  {
    code: EXIT.changes,
    short: 'changes (--detailed-exitcode)',
    meaning: 'with --detailed-exitcode: plan has changes and nothing is blocked; apply applied changes and all succeeded; diff: some host\'s plan changes',
  },
  {
    code: EXIT.usage,
    short: 'usage',
    meaning:
      'usage error: unknown flag or command, bad value (an empty one too), a device name that is not daxR.N, a file that is not a saved plan or a snapshot or is refused (not a regular file, too large, or as root writable by another user), an invalid cron expression, apply without --auto-approve and without a terminal to ask',
  },
  { code: EXIT.policy, short: 'invalid policy', meaning: 'invalid policy: cannot be read, refused (ownership), does not parse or validate; validate --strict with warnings; plan --strict with a rule that selects by identity (serial, pci, uuid, address) and matches no device' },
  {
    code: EXIT.noHost,
    short: 'no such sysfs tree or device',
    meaning:
      'no such host: the sysfs root (--sysfs-root, else /sys) does not exist, is not a directory, or lacks bus/dax/devices or devices/system/memory (apply --kernel-only needs only the latter); or --device names a device the host (or the --state snapshot) does not have',
  },
  { code: EXIT.nodeTooOld, short: 'Node.js too old', meaning: 'the Node.js running daxplan is older than the version it needs (one line on standard error names both)' },
  {
    code: EXIT.cannotCreate,
    short: 'lock file cannot be created',
    meaning: 'apply, watch --apply: the lock file cannot be created or opened by this user; the message names it and how to choose another (--lock-file FILE; a --sysfs-root tree\'s default lock is in TMPDIR when not root)',
  },
  {
    code: EXIT.lockHeld,
    short: 'lock held or daxplan disabled',
    meaning: 'the lock is held by another daxplan run (its pid, trigger and start time are printed), or daxplan is disabled (daxplan disable) and the run was started by hand',
  },
];

export const ENVIRONMENT: [string, string][] = [
  ['NO_COLOR', 'when set (to anything), no colour (as --no-color); colour is used only on a terminal anyway, and never with TERM=dumb'],
  ['JOURNAL_STREAM', "set by systemd when standard output or error is the journal: lines on that stream then start with their syslog priority (<3> errors, <4> warnings, <6> progress), so that journalctl -p err finds failed runs"],
  ['DAXPLAN_DEBUG_CODE_CACHE', 'when set, say on standard error whether the compiled code cache (daxplan.cache beside the program) was used'],
];

export const FILES: [string, string][] = [
  ['/etc/daxplan/daxplan.yaml', 'the policy, when --config is not given and (for a normal user) no daxplan.yaml is found from the working directory upwards; as root the only place looked at without --config'],
  ['/run/daxplan/lock', 'the lock every writing run takes; it names the holder'],
  ['/run/daxplan/lock.last-apply.json', 'when the last apply ended, how long it took and how it went, for status --format prometheus'],
  ['/var/lib/daxplan/disabled', 'the pause marker written by daxplan disable'],
  ['/var/lib/daxplan/boot-default.json', "the kernel's boot-time default for new memory in the last two boots, recorded by apply at its first run in each boot; doctor compares them (kernel.default-changed)"],
  ['/etc/memhpd.conf, /etc/udev/rules.d, /usr/lib/udev/rules.d', 'read by doctor: systemd-memhpd\'s TARGET_BLOCK_STATE, udev rules that online memory (RHEL 10\'s 40-redhat-hotplug.rules and others known by name, masked or not)'],
  ['daxplan.service, daxplan-apply@.service, daxplan-kernel-defaults.service, daxplan-watch.service, daxplan.timer, daxplan-schedule.service, daxplan-memory.target', 'the systemd units: boot-time convergence, per-device runs started by the udev rule 70-daxplan.rules, the kernel settings before udev\'s coldplug, a resident schedule or a timer, and the target reached once the memory is where the policy wants it'],
];
