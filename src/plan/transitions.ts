// The kernel's transitions between device states, as a graph: every path a
// plan, an apply re-derivation or a rollback takes is a shortest path in it.
import {
  blockKind,
  ONLINE_WORD,
  stateDrift,
  stateForZone,
  zoneNamed,
  type DesiredState,
  type KernelFacts,
  type ObservedDevice,
  type ObservedState,
} from '../model/device.js';
import type { Arrival, Method, PlannedStep, Step } from '../model/steps.js';
import type { HotplugParams } from '../model/hotplug.js';

/** The state each arrival leaves a freshly bound device in. */
export const ARRIVAL_STATE: Record<Arrival, ObservedState> = { offline: 'offline', online_kernel: 'online', online_movable: 'online_movable' };

/** An observed state fulfils a desired one (unbound memory is unplugged too). */
export function satisfies(observed: ObservedState, desired: DesiredState): boolean {
  return observed === desired || (desired === 'unplug' && observed === 'unbound');
}

/**
 * The interface a device is moved through: `state` where the device shows the
 * file, or (not yet bound to kmem) where the kernel showed it on another
 * device; per-block otherwise. A device not bound to kmem reaches every
 * target with the bind itself (its memory arrives as wanted), so for it the
 * method names the interface it will have, not writes it needs.
 */
export function methodFor(device: ObservedDevice, kernel: KernelFacts): Method {
  if (device.driver === 'kmem') return device.stateFile !== undefined ? 'state' : 'per-block';
  return kernel.stateFile === 'seen' ? 'state' : 'per-block';
}

interface Edge {
  to: ObservedState;
  step: Step;
}

function edges(from: ObservedState, method: Method, device: ObservedDevice): Edge[] {
  switch (from) {
    case 'unknown':
    case 'famfs':
    case 'foreign':
      return [];
    case 'devdax':
      return [{ to: 'unbound', step: { op: 'unbind', driver: 'device_dax' } }];
    case 'unbound':
      return [
        { to: 'devdax', step: { op: 'bind', driver: 'device_dax' } },
        ...(Object.keys(ARRIVAL_STATE) as Arrival[]).map((arrive): Edge => ({ to: ARRIVAL_STATE[arrive], step: { op: 'bind', driver: 'kmem', arrive } })),
      ];
    case 'unplug':
      if (method === 'per-block') return [{ to: 'unbound', step: { op: 'unbind', driver: 'kmem' } }];
      return [
        { to: 'online', step: { op: 'state', write: ONLINE_WORD.normal } },
        { to: 'online_movable', step: { op: 'state', write: ONLINE_WORD.movable } },
        { to: 'unbound', step: { op: 'unbind', driver: 'kmem' } },
      ];
    default:
      break;
  }
  // Every change between online types, and from offline, goes through unplugged (the kernel answers EBUSY otherwise).
  if (method === 'state') return [{ to: 'unplug', step: { op: 'state', write: 'unplugged' } }];
  if (from === 'offline')
    return [
      { to: 'online', step: { op: 'online_blocks', zone: 'normal' } },
      { to: 'online_movable', step: { op: 'online_blocks', zone: 'movable' } },
      { to: 'unbound', step: { op: 'unbind', driver: 'kmem' } },
    ];
  const out: Edge[] = [{ to: 'offline', step: { op: 'offline_blocks' } }];
  if (from === 'mixed') {
    // Online the offline blocks where every online block is already in one zone.
    const zones = new Set(device.blocks.filter((b) => b.state === 'online').map(blockKind));
    const zone = zones.size === 1 ? zoneNamed([...zones][0]) : undefined;
    if (zone) out.unshift({ to: stateForZone(zone), step: { op: 'online_blocks', zone } });
  }
  return out;
}

/** Shortest sequence of kernel steps from the device's state to one `goal` accepts. */
export function findSteps(device: ObservedDevice, goal: (state: ObservedState) => boolean, method: Method): PlannedStep[] | undefined {
  const start = device.state;
  const previous = new Map<ObservedState, { from: ObservedState; edge: Edge }>();
  const queue: ObservedState[] = [start];
  const seen = new Set<ObservedState>([start]);
  while (queue.length) {
    const state = queue.shift()!;
    if (state !== start && goal(state)) {
      const path: PlannedStep[] = [];
      for (let s = state; s !== start; ) {
        const { from, edge } = previous.get(s)!;
        path.unshift({ step: edge.step, expect: edge.to });
        s = from;
      }
      return path;
    }
    for (const edge of edges(state, method, device)) {
      if (seen.has(edge.to)) continue;
      seen.add(edge.to);
      previous.set(edge.to, { from: state, edge });
      queue.push(edge.to);
    }
  }
  return undefined;
}

/**
 * The steps that take a device to `to`: none when it is there already, a
 * path through the graph otherwise. The blocks are the truth: memory already
 * where the policy wants it stays there whatever a stale `state` word says
 * (writing the word it reads changes nothing, and any other word needs an
 * unplug first: kernel-abi §3), and the word is right again after the
 * device's next move. A drifted device that must move is moved through the
 * file alone: unplugged, then the wanted word, never by mixing the two
 * interfaces on one device.
 */
export function stepsTo(device: ObservedDevice, to: DesiredState, method: Method, hotplug: HotplugParams): PlannedStep[] | undefined {
  if (satisfies(device.state, to)) return [];
  const drifted = method === 'state' && stateDrift(device, hotplug) !== undefined;
  if (!drifted) return findSteps(device, (s) => satisfies(s, to), method);
  const unplug: PlannedStep = { step: { op: 'state', write: 'unplugged' }, expect: 'unplug' };
  if (to === 'unplug') return [unplug];
  const rest = findSteps({ ...device, state: 'unplug', blocks: [] }, (s) => satisfies(s, to), method);
  return rest && [unplug, ...rest];
}
