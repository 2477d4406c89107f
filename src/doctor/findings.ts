// Competing controllers: evidence in, findings out. Pure: the readers in
// read.ts collect the evidence; this decides what it means.
import { join } from 'node:path';
import { describeBlockRuns, describeDevice, stateDrift, type AutoOnline, type Observed, type ObservedDevice } from '../model/device.js';
import type { Plan } from '../plan/plan.js';
import { describeHolder, type Holder } from '../host/lock-record.js';
import { describeSocketHolder, type SocketHolder } from '../host/lock-socket.js';
import { lastParam, parseCmdline } from './cmdline.js';
import { daxctlIntent, describeSection, parseDaxctlConf, sectionHeader, type DaxctlSection } from './daxctl.js';
import { KNOWN_RULE_FILES, overridePath, scanRules, type RuleFile } from './udev.js';
import { MEMORY } from '../host/sysfs.js';
import { cxlFindings, unassembledFindings } from './cxl.js';
import { heldFindings } from './famfs.js';
import { bootDefaultFindings, type BootHistory } from './boot-default.js';
import { memhpdFindings, type MemhpdEvidence } from './memhpd.js';
import { containerFindings, type MountTable } from './containers.js';
import { hotplugFindings } from './hotplug.js';
import { autoMovable } from '../model/hotplug.js';
import { KERNEL_DEFAULTS_UNIT, SEVERITIES, sysfsPath, wantedBy, type Finding, type Severity } from './finding.js';

export { SEVERITIES, type Finding, type Severity } from './finding.js';

/** The host's files (under --root), read by read.ts. */
export interface HostEvidence {
  root: string;
  /** /proc/cmdline; undefined when unreadable. */
  cmdline: string | undefined;
  /** The udev rule files udev would load (after same-name overrides). */
  rules: RuleFile[];
  /** /etc/daxctl.conf.d/*.conf, root-relative path and text. */
  daxctlConf: { file: string; text: string }[];
  memhpd: MemhpdEvidence;
  /** Mount tables of the host's mount namespaces (doctor only; empty for plan). */
  mounts: MountTable[];
  /** The boot-time default of this boot and the one before (undefined where not compared). */
  boots?: BootHistory;
}

export interface LockEvidence {
  file: string;
  holder: Holder | undefined;
  /** Whether the holder's process is alive (the lock is really held). */
  running: boolean;
  /** Processes holding the lock's socket that are not the run the record names (the lock is squatted). */
  squatters?: SocketHolder[];
}

export interface DoctorInput {
  observed: Observed;
  /** The plan for the policy, when there is one: what daxplan wants of each device. */
  plan?: Plan;
  /** Undefined when the host's files were not read (a snapshot or another tree without --root). */
  host?: HostEvidence;
  lock?: LockEvidence;
}

const DAXCTL_MASK = 'contrib/competitors/udev/90-daxctl-device.rules';

export function findConflicts(input: DoctorInput): Finding[] {
  const findings = [
    ...autoOnlineFindings(input),
    ...hotplugFindings(input.observed.kernel, declaredAutoOnline(input) ?? input.observed.kernel.autoOnlineBlocks),
    ...(input.host ? cmdlineFindings(input, input.host) : []),
    ...(input.host ? udevFindings(input.host) : []),
    ...(input.host ? daxctlFindings(input, input.host) : []),
    ...bootDefaultFindings(input.host?.boots),
    ...containerFindings(input.host?.mounts ?? []),
    ...(input.host ? memhpdFindings(input.host.memhpd, input.host.root, declaredAutoOnline(input), bootsWithDefault(input.host)) : []),
    ...lockFindings(input),
    ...mixedFindings(input),
    ...driftFindings(input),
    ...cxlFindings(input.observed, input.plan, input.host),
    ...heldFindings(input.observed, input.plan),
    ...unassembledFindings(input.observed),
  ];
  return SEVERITIES.flatMap((s) => findings.filter((f) => f.severity === s));
}

/** Where the kernel's own default puts what kmem binds, as a parenthetical. */
function arrivalZone(auto: AutoOnline, kernel: Observed['kernel']): string {
  if (auto === 'online_movable') return '';
  if (auto === 'online' && autoMovable(kernel.hotplug)) return ', in the zone the auto-movable policy picks by its ratio';
  return ', ZONE_NORMAL unless told otherwise';
}

/** What the policy declares for auto_online_blocks, if anything. */
function declaredAutoOnline(input: DoctorInput): AutoOnline | undefined {
  return input.plan?.settings.find((s) => s.setting === 'auto_online_blocks')?.to;
}

function autoOnlineFindings(input: DoctorInput): Finding[] {
  const current = input.observed.kernel.autoOnlineBlocks;
  if (current === undefined) return [];
  const declared = declaredAutoOnline(input);
  const evidence = `${sysfsPath(`${MEMORY}/auto_online_blocks`)} = ${current}`;
  const id = 'kernel.auto_online_blocks';
  if (declared !== undefined && declared !== current)
    return [
      {
        id,
        severity: 'warning',
        evidence,
        message: `the kernel onlines new memory as "${current}", the policy declares auto_online_blocks: ${declared}`,
        fix: `Run 'daxplan apply' (it writes ${declared} before any device step) and enable ${KERNEL_DEFAULTS_UNIT} (make install installs it) so the setting is back before udev binds dax devices at every boot.`,
      },
    ];
  if (current === 'offline') return [];
  if (declared === current)
    return [
      {
        id,
        severity: 'info',
        evidence,
        message: `the kernel onlines every block of a dax device the moment kmem binds it ("${current}"), as the policy declares`,
        fix: 'Nothing to do; declare auto_online_blocks: offline to let daxplan choose the zone of new memory instead.',
      },
    ];
  return [
    {
      id,
      severity: 'warning',
      evidence,
      message: `the kernel onlines every block of a dax device the moment kmem binds it ("${current}"${arrivalZone(current, input.observed.kernel)}), before daxplan or daxctl can choose; ZONE_NORMAL memory often cannot be offlined again`,
      fix: `Declare 'kernel: { auto_online_blocks: offline }' in the policy, run 'daxplan apply' and enable ${KERNEL_DEFAULTS_UNIT} (make install installs it): 'echo offline > auto_online_blocks' alone is lost at the next boot.`,
    },
  ];
}

function cmdlineFindings(input: DoctorInput, host: HostEvidence): Finding[] {
  if (host.cmdline === undefined) return [];
  const params = parseCmdline(host.cmdline);
  const evidence = (text: string) => `${join(host.root, 'proc/cmdline')}: ${text}`;
  const declared = declaredAutoOnline(input);
  // What the kernel will do with memory it adds once daxplan's settings are in place.
  const effective = declared ?? input.observed.kernel.autoOnlineBlocks;
  const findings: Finding[] = [];
  const state = lastParam(params, 'memhp_default_state');
  if (state && state.value !== 'offline' && state.value !== declared)
    findings.push({
      id: 'cmdline.memhp_default_state',
      severity: 'warning',
      evidence: evidence(state.text),
      message: `the kernel boots with auto_online_blocks=${state.value ?? ''}: memory added before daxplan's boot unit runs (drivers in the initramfs or built into the kernel) is onlined at once`,
      fix: `Replace ${state.text} with memhp_default_state=offline on the kernel command line (contrib/competitors/README.md shows how).`,
    });
  const policy = lastParam(params, 'memory_hotplug.online_policy');
  // When sysfs shows the policy in force, kernel.online_policy (hotplug.ts) says it.
  if (policy && policy.value === 'auto-movable' && !autoMovable(input.observed.kernel.hotplug))
    findings.push({
      id: 'cmdline.online_policy',
      severity: effective === 'online' ? 'warning' : 'info',
      evidence: evidence(policy.text),
      message: 'memory the kernel onlines with its own choice of zone ("online") goes to ZONE_MOVABLE or ZONE_NORMAL by a ratio, not by the policy',
      fix: 'Leave the zone to daxplan: keep auto_online_blocks at offline (daxplan names the zone in every write), or drop memory_hotplug.online_policy=auto-movable.',
    });
  const movable = lastParam(params, 'movable_node');
  if (movable)
    findings.push({
      id: 'cmdline.movable_node',
      severity: effective === 'online' ? 'warning' : 'info',
      evidence: evidence(movable.text),
      message: 'with movable_node the kernel puts memory it onlines with its own choice of zone ("online") into ZONE_MOVABLE, and hotpluggable boot memory too',
      fix: 'Keep auto_online_blocks at offline so daxplan names the zone, or drop movable_node if hotpluggable memory should be usable by the kernel.',
    });
  return findings;
}

/** memhp_default_state= is on the kernel command line. */
function bootsWithDefault(host: HostEvidence): boolean {
  return host.cmdline !== undefined && lastParam(parseCmdline(host.cmdline), 'memhp_default_state') !== undefined;
}

function udevFindings(host: HostEvidence): Finding[] {
  const findings: Finding[] = [];
  for (const rule of host.rules) {
    const known = KNOWN_RULE_FILES[rule.name];
    const override = overridePath(host.root, rule.name);
    if (rule.text === undefined) {
      if (known)
        findings.push({
          id: 'udev.masked',
          severity: 'info',
          evidence: `${join(host.root, rule.file)} -> /dev/null`,
          message: `${rule.name} (${known}) is masked by name: its rules do not run`,
          fix: 'Nothing to do.',
        });
      continue;
    }
    const where = join(host.root, rule.file);
    const inEtc = where === override;
    for (const hit of scanRules(rule.text)) {
      if (hit.kind !== 'memory-state') continue;
      const reload = "then run 'udevadm control --reload'";
      findings.push({
        id: 'udev.memory-state',
        severity: 'error',
        evidence: `${where}:${hit.line}`,
        message: `udev rule ${rule.name}${known ? ` (${known})` : ''} writes the state of memory blocks as they appear (${hit.detail}): it races daxplan for every block a dax device brings`,
        // Not a mask first: distributions' files also online hot-added CPUs, which a mask would stop too.
        fix: inEtc
          ? `Delete or comment out line ${hit.line} of ${where}, ${reload}.`
          : `Override it by name: copy ${where} to ${override} without line ${hit.line} (or link ${override} to /dev/null if you need none of its rules), ${reload}.`,
      });
    }
  }
  return findings;
}

function daxctlFindings(input: DoctorInput, host: HostEvidence): Finding[] {
  const hooks = host.rules.flatMap((rule) =>
    rule.text === undefined ? [] : scanRules(rule.text).filter((h) => h.kind === 'daxctl').map((h) => ({ rule, hit: h })),
  );
  const sections = host.daxctlConf.flatMap(({ file, text }) => parseDaxctlConf(text, file));
  const resolved = sections.map((section) => ({ section, device: input.observed.devices.find((d) => section.uuid !== undefined && d.uuid === section.uuid) }));
  const findings: Finding[] = [];
  const live = hooks.length > 0;
  const anyDevice = resolved.some((r) => r.device);
  // One finding per file that starts daxctl, at its first such line.
  const seen = new Set<string>();
  for (const { rule, hit } of hooks) {
    if (seen.has(rule.file)) continue;
    seen.add(rule.file);
    const where = join(host.root, rule.file);
    findings.push({
      id: 'daxctl.udev-hook',
      severity: anyDevice ? 'warning' : 'info',
      evidence: `${where}:${hit.line}`,
      message: anyDevice
        ? `daxctl's udev hook (${hit.detail}) reconfigures every dax device a daxctl.conf.d section names, each time it appears`
        : `daxctl's udev hook (${hit.detail}) runs for every dax device that appears; no daxctl.conf.d section names a device on this host, so today it changes nothing`,
      fix: `If daxplan manages these devices, install ${DAXCTL_MASK} as ${overridePath(host.root, rule.name)} to mask it, then run 'udevadm control --reload'.`,
    });
  }
  for (const { section, device } of resolved) findings.push(sectionFinding(input, host, section, device, live));
  return findings;
}

function sectionFinding(input: DoctorInput, host: HostEvidence, section: DaxctlSection, device: ObservedDevice | undefined, hookLive: boolean): Finding {
  const evidence = `${join(host.root, section.file)}:${section.line}`;
  const what = describeSection(section);
  const remove = `Remove ${sectionHeader(section)} from ${join(host.root, section.file)}`;
  const base = { id: 'daxctl.conf', evidence };
  if (section.uuid === undefined)
    return { ...base, severity: 'info', message: `${what} names no nvdimm.uuid, so daxctl matches it to no device`, fix: `${remove}, or give it the namespace's nvdimm.uuid.` };
  const intent = daxctlIntent(section);
  if (intent === undefined)
    return { ...base, severity: 'info', message: `${what} has no mode daxctl accepts (system-ram or devdax), so daxctl refuses it`, fix: `${remove}; daxplan's policy is the place for this device.` };
  if (!device)
    return { ...base, severity: 'info', message: `${what} names nvdimm.uuid ${section.uuid}, which no dax device on this host has`, fix: `${remove} if that namespace is gone.` };
  const wants = section.mode === 'system-ram' ? `${intent} (system-ram)` : intent;
  if (!hookLive)
    return {
      ...base,
      severity: 'info',
      message: `${what} would reconfigure ${device.name} to ${wants}, but daxctl's udev hook is absent or masked, so only a manual 'daxctl reconfigure-device -C' applies it`,
      fix: `${remove} to leave ${device.name} to daxplan alone.`,
    };
  const { entry, to: desired, decider } = wantedBy(input.plan, device.name);
  const mask = `, or mask daxctl's hook with ${DAXCTL_MASK}, then run 'udevadm control --reload'.`;
  if (!entry || entry.kind === 'unmanaged' || desired === undefined)
    return {
      ...base,
      severity: input.plan ? 'info' : 'warning',
      message: `${what} reconfigures ${device.name} to ${wants} each time it appears${input.plan ? '; the policy leaves it unmanaged, so daxctl owns it' : ''}`,
      fix: input.plan ? `Nothing to do if daxctl should own ${device.name}; otherwise give it a policy rule. ${remove}.` : `${remove} if daxplan should own ${device.name}.`,
    };
  if (desired === intent)
    return {
      ...base,
      severity: 'warning',
      message: `daxctl and daxplan both configure ${device.name} (both want ${intent}; daxplan by ${decider}): two controllers race each time it appears`,
      fix: `${remove}${mask}`,
    };
  return {
    ...base,
    severity: 'error',
    message: `${what} reconfigures ${device.name} to ${wants} each time it appears, but the policy's ${decider} wants ${desired}`,
    fix: `${remove}${mask}`,
  };
}

function lockFindings({ lock }: DoctorInput): Finding[] {
  if (lock?.squatters?.length) {
    const who = lock.squatters.map(describeSocketHolder).join(', ');
    return [
      {
        id: 'daxplan.lock-squatted',
        severity: 'error',
        evidence: lock.file,
        message: `the lock is held by ${who}, not by the daxplan run its file names (${describeHolder(lock.holder)}): every apply waits --lock-timeout, then exits 75`,
        fix: `See what holds it (ls -l /proc/${lock.squatters[0].pid}/exe) and stop it; daxplan never needs its lock removed by hand.`,
      },
    ];
  }
  if (!lock?.holder) return [];
  const moving = lock.holder.moving;
  const who = `${describeHolder(lock.holder)}${moving ? `, moving ${moving.device} from ${moving.from} to ${moving.to}` : ''}`;
  if (lock.running)
    return [
      {
        id: 'daxplan.running',
        severity: 'warning',
        evidence: lock.file,
        message: `another daxplan run holds the lock: ${who}; devices it is moving may be between states`,
        fix: "Wait for it: apply waits for the lock (--lock-timeout), and 'daxplan status' shows where each device is.",
      },
    ];
  const owed = lock.holder.owed;
  // A record naming only a debt was released so: the run ended, it was not killed.
  const killed: Finding[] = moving || !owed
    ? [
        {
          id: 'daxplan.killed',
          severity: 'info',
          evidence: lock.file,
          message: `the last daxplan run, ${who}, ended without releasing the lock: it was killed`,
          fix: "Check 'daxplan status' for devices it left between states; the next apply finishes them.",
        },
      ]
    : [];
  const debt: Finding[] = owed
    ? [
        {
          id: 'daxplan.auto-online-owed',
          severity: 'warning',
          evidence: lock.file,
          message: `auto_online_blocks was set to ${owed.set} to bind ${owed.device} and not put back to ${owed.restore}: the kernel's default for new memory is not what it was`,
          fix: `Run 'daxplan apply': once approved it puts auto_online_blocks back to ${owed.restore} if it still reads ${owed.set} in the same boot, and otherwise drops the debt.`,
        },
      ]
    : [];
  return [...killed, ...debt];
}

function mixedFindings({ observed, lock }: DoctorInput): Finding[] {
  return observed.devices
    .filter((d) => d.state === 'mixed')
    .map((d) => ({
      id: 'device.mixed',
      severity: lock?.running ? 'info' : 'warning',
      evidence: `${sysfsPath(`bus/dax/devices/${d.name}`)} (blocks ${describeBlockRuns(d)})`,
      message: lock?.running
        ? `${d.name} is ${describeDevice(d)}: the daxplan run in progress may be moving it`
        : `${d.name} is ${describeDevice(d)}: its blocks disagree in state or zone, left so by another controller or an interrupted run`,
      fix: `Run 'daxplan apply --device ${d.name}' to move it to the policy's state, and remove whatever else writes its blocks.`,
    }));
}

/** Linux 7.3: a state file the blocks contradict was left so by per-block writes (daxctl, a udev rule, a script). */
function driftFindings({ observed }: DoctorInput): Finding[] {
  return observed.devices.flatMap((d) => {
    const drift = stateDrift(d, observed.kernel.hotplug);
    if (!drift) return [];
    return [
      {
        id: 'device.state-drift',
        severity: 'warning' as const,
        evidence: `${sysfsPath(`bus/dax/devices/${d.name}/state`)} = ${d.stateFile} (blocks ${describeBlockRuns(d)})`,
        message: `${d.name}: ${drift}: something moved its memory block by block behind the kernel's whole-device interface`,
        fix: `Run 'daxplan apply --device ${d.name}' to repair it through the state file, and stop whatever writes its blocks one by one (daxctl online-memory/offline-memory, a udev rule writing memory*/state).`,
      },
    ];
  });
}

export function countBySeverity(findings: Finding[]): Record<Severity, number> {
  return { error: findings.filter((f) => f.severity === 'error').length, warning: findings.filter((f) => f.severity === 'warning').length, info: findings.filter((f) => f.severity === 'info').length };
}
