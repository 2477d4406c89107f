// daxplan init: the policy that keeps a host as it is. One rule per device,
// selected by the most stable identity that names it alone on this host (the
// CXL memdevs' serials, the namespace UUID, the physical range; its node only
// where it has nothing else), asking for the state it is in; the kernel's
// online default as it reads. Devices no policy state can keep (offline,
// mixed, unreadable, a drifted state file) get no rule: left unmanaged, with
// the reason. Pure: the command renders and writes it.
import { serialFlaw, stateDrift, type AutoOnline, type DesiredState, type Observed, type ObservedDevice } from '../model/device.js';
import type { Policy, Rule } from '../policy/parse.js';
import type { Match } from '../policy/match.js';
import type { HotplugParams } from '../model/hotplug.js';
import { matchRule } from './match.js';

/** Which identity a rule selects its device by, most stable first. */
export type IdentityKind = 'serial' | 'uuid' | 'address' | 'numa_node' | 'device';

export interface AdoptedRule {
  name: string;
  device: ObservedDevice;
  by: IdentityKind;
  match: Match;
  state: DesiredState;
}

export interface Adopted {
  rules: AdoptedRule[];
  /** Devices left without a rule (unmanaged), and why. */
  leftOut: { device: ObservedDevice; why: string }[];
  /** The kernel's online default as read, when it could be. */
  autoOnlineBlocks: AutoOnline | undefined;
}

/** The state a policy asks for to keep the device where it is, or why none can. */
function keepState(device: ObservedDevice, hotplug: HotplugParams): DesiredState | { why: string } {
  if (device.problems.length) return { why: `it could not be read (${device.problems.join('; ')})` };
  const drift = stateDrift(device, hotplug);
  if (drift) return { why: `${drift}; a rule would repair it through the state file` };
  switch (device.state) {
    case 'online':
    case 'online_movable':
    case 'devdax':
    case 'unplug':
    case 'famfs':
      return device.state;
    case 'unbound':
      // No driver: no memory in the system, which `unplug` accepts as it is.
      return 'unplug';
    case 'offline':
      return { why: 'its memory blocks are offline, a state no policy keeps (say unplug, online or online_movable)' };
    case 'mixed':
      return { why: 'its memory blocks disagree in state or zone (say which state it should have)' };
    case 'unknown':
      return { why: 'its memory blocks could not all be read' };
    case 'foreign':
      return { why: `it is bound to ${device.driver}, a driver daxplan does not manage` };
  }
}

/** The selectors that could name the device, most stable first. */
function candidates(device: ObservedDevice): { by: IdentityKind; match: Match }[] {
  const out: { by: IdentityKind; match: Match }[] = [];
  const memdevs = device.cxl?.memdevs ?? [];
  if (memdevs.length && memdevs.every((m) => serialFlaw(m) === undefined)) out.push({ by: 'serial', match: { serial: memdevs.map((m) => m.serial) } });
  if (device.uuid) out.push({ by: 'uuid', match: { uuid: [device.uuid] } });
  if (device.ranges.length) out.push({ by: 'address', match: { address: device.ranges.map((r) => ({ start: r.start, end: r.end })) } });
  if (device.targetNode !== undefined) out.push({ by: 'numa_node', match: { numa_node: [device.targetNode] } }, { by: 'numa_node', match: { numa_node: [device.targetNode], device: [device.name] } });
  out.push({ by: 'device', match: { device: [device.name] } });
  return out;
}

export function adopt(observed: Observed, file: string): Adopted {
  // The policy the rules are judged in: only matchRule's tier lookup reads it, and no rule selects by tier.
  const policy: Policy = { file, rules: [], kernel: {}, defaultState: 'unmanaged', tierNodes: {}, safety: { movableRatioPercent: undefined, onMovableExcess: 'warn' } };
  const names = new Set<string>();
  const rules: AdoptedRule[] = [];
  const leftOut: Adopted['leftOut'] = [];
  // Devices with no serial to go by come first: a rule by serial would block one whose serial is no identity (emulators report 0), unless an earlier rule has taken it.
  const bySerial = (d: ObservedDevice) => candidates(d)[0].by === 'serial';
  const ordered = [...observed.devices.filter((d) => !bySerial(d)), ...observed.devices.filter(bySerial)];
  const taken = new Set<ObservedDevice>();
  for (const device of ordered) {
    const state = keepState(device, observed.kernel.hotplug);
    if (typeof state !== 'string') {
      leftOut.push({ device, why: state.why });
      continue;
    }
    // The first selector that takes this device and leaves alone every other no earlier rule has taken.
    const chosen = candidates(device).find(({ match }) => {
      const rule: Rule = { name: 'x', match, state, onUnassembled: 'block', file, line: 0, col: 0 };
      return observed.devices.every((other) => taken.has(other) || matchRule(rule, other, policy) === (other === device ? 'yes' : 'no'));
    })!;
    taken.add(device);
    const name = uniqueName(ruleName(device, chosen.by), names);
    rules.push({ name, device, by: chosen.by, match: chosen.match, state });
  }
  return { rules, leftOut, autoOnlineBlocks: observed.kernel.autoOnlineBlocks };
}

/** A name from the identity, not the kernel's name for the device (which a reboot can change). */
function ruleName(device: ObservedDevice, by: IdentityKind): string {
  switch (by) {
    case 'serial':
      return `cxl-${device.cxl!.memdevs.map((m) => m.serial.toString(16)).join('-')}`;
    case 'uuid':
      return `namespace-${device.uuid!.slice(0, 8)}`;
    case 'address':
      return `range-${device.ranges[0].start.toString(16)}`;
    case 'numa_node':
      return `node${device.targetNode}-${device.name}`;
    case 'device':
      return device.name;
  }
}

function uniqueName(base: string, taken: Set<string>): string {
  let name = base.slice(0, 60);
  for (let i = 2; taken.has(name); i++) name = `${base.slice(0, 56)}-${i}`;
  taken.add(name);
  return name;
}
