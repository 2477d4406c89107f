// Words shared by every renderer: steps, deciders, summaries.
import { blockKind, onlineBlockCount, serialFlaw, zoneOf, type AutoOnline, type CxlIdentity, type CxlWindow, type KernelFacts, type ObservedDevice, type Zone } from '../model/device.js';
import { autoMovable } from '../model/hotplug.js';
import type { Arrival, Method, PlannedStep } from '../model/steps.js';
import { bytes, hex, hexRange, signedBytes } from '../model/units.js';
import type { Change } from '../plan/plan.js';
import { blocksPerStep } from '../plan/moves.js';

/**
 * Text from a file or a file name, made safe for a terminal: control
 * characters (C0, DEL, C1) shown as \xNN, never sent; `lines` keeps newline
 * and tab (a policy's text), else they are shown too (a name is one line).
 */
export function printable(text: string, lines = false): string {
  return text.replace(lines ? /[\x00-\x08\x0b-\x1f\x7f-\x9f]/g : /[\x00-\x1f\x7f-\x9f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

const ARRIVES: Record<Arrival, string> = { offline: 'offline', online_kernel: 'online in ZONE_NORMAL', online_movable: 'online in ZONE_MOVABLE' };

/** A NUMA node as people read it: `node ?` for one not known (capacityDelta and JSON key it -1). */
export function nodeName(node: number | undefined): string {
  return node === undefined || node < 0 ? 'node ?' : `node ${node}`;
}

/** "node 1: ZONE_NORMAL -256 MiB, ZONE_MOVABLE +256 MiB": what a node gains or loses, each zone that changes; `none` when neither does. */
export function capacityLine(node: number, delta: Record<Zone, bigint>): string {
  const parts = [delta.normal ? `ZONE_NORMAL ${signedBytes(delta.normal)}` : '', delta.movable ? `ZONE_MOVABLE ${signedBytes(delta.movable)}` : ''].filter(Boolean);
  return `${nodeName(node)}: ${parts.join(', ') || 'none'}`;
}

/** "7 blocks (896 MiB)": blocks and, when the block size is known, the memory they hold. */
export function blockAmount(blocks: number, blockSize: bigint | undefined): string {
  const count = `${blocks} block${blocks === 1 ? '' : 's'}`;
  return blockSize ? `${count} (${bytes(BigInt(blocks) * blockSize)})` : count;
}

/**
 * A step in words; `auto` is auto_online_blocks when the step runs (after the
 * plan's kernel settings), `blocks` the memory blocks it really moves
 * (default: every block the device spans).
 */
export function describeStep(planned: PlannedStep, device: ObservedDevice, auto: AutoOnline | undefined, blocks = device.blockSpan, blockSize?: bigint): string {
  const { step } = planned;
  const amount = blockAmount(blocks, blockSize);
  switch (step.op) {
    case 'bind': {
      if (step.driver === 'device_dax') return 'bind to device_dax';
      const arrive = `the new ${blocks > 0 && blockSize ? amount : 'blocks'} arrive ${ARRIVES[step.arrive]}`;
      if (auto === step.arrive) return `bind to kmem: ${arrive} (auto_online_blocks=${auto})`;
      return `bind to kmem with auto_online_blocks=${step.arrive} for the moment of the bind (then back to ${auto ?? 'its value'}): ${arrive}`;
    }
    case 'unbind':
      return `unbind from ${step.driver}`;
    case 'state':
      if (step.write !== 'unplugged')
        return `write ${step.write} to the state file: the kernel adds and onlines ${amount} at once into ZONE_${step.write === 'online_movable' ? 'MOVABLE' : 'NORMAL'}`;
      return blocks > 0
        ? `write unplugged to the state file: the kernel offlines ${amount} and removes the device's blocks at once`
        : "write unplugged to the state file: the kernel removes the device's offline blocks at once";
    case 'offline_blocks':
      return `offline ${amount}, highest first`;
    case 'online_blocks':
      return `online ${amount} into ZONE_${step.zone.toUpperCase()}, lowest first`;
  }
}

/** A change's steps in words, each with the memory it really moves. */
export function describeSteps(change: Change, auto: AutoOnline | undefined, blockSize: bigint | undefined): string[] {
  const moved = blocksPerStep(change.steps, change.device);
  return change.steps.map((s, i) => describeStep(s, change.device, auto, moved[i], blockSize));
}

/** What a change does to the system's memory, as terraform marks it: + memory joins, - memory leaves, ~ it changes zone or mode. */
export function changeMark(change: Change): '+' | '-' | '~' {
  const before = onlineBlockCount(change.device) > 0;
  const after = zoneOf(change.to) !== undefined;
  return before === after ? '~' : after ? '+' : '-';
}

/** The mark of a device no rule manages: not a removal, not a change. */
export const UNMANAGED_MARK = '·';

/** The zone every online block is in, or "mixed"; undefined when none is online. */
export function zoneSummary(device: ObservedDevice): string | undefined {
  const zones = new Set(device.blocks.filter((b) => b.state === 'online').map(blockKind));
  if (zones.size === 0) return undefined;
  return zones.size === 1 ? [...zones][0] : 'mixed';
}

/** Blocks column of status: online/total, or "-" for a device with no memory blocks (devdax, unbound, unplugged). */
export function blocksSummary(device: ObservedDevice): string {
  return device.blocks.length ? `${onlineBlockCount(device)}/${device.blockSpan}` : '-';
}

/** "region0 (ram, 0x1090000000, 1 GiB, qos_class 42): mem0 serial 0x1a2b at 0000:0d:00.0 node 0" */
export function cxlWords(c: CxlIdentity): string {
  const region = [c.mode ?? 'mode unknown', hex(c.start), bytes(c.size)];
  if (c.interleaveWays > 1) region.push(`${c.interleaveWays}-way interleave`);
  if (c.qosClass !== undefined) region.push(`qos_class ${c.qosClass}`);
  const memdevs = c.memdevs.map((m) => {
    const words = [`${m.name} serial ${hex(m.serial)}`];
    if (m.pci) words.push(`at ${m.pci}`);
    if (m.numaNode !== undefined) words.push(`node ${m.numaNode}`);
    const flaw = serialFlaw(m);
    return flaw ? `${words.join(' ')} (no identity: ${flaw})` : words.join(' ');
  });
  return `${c.region} (${region.join(', ')}): ${memdevs.join('; ')}`;
}

/** "CXL memory in window decoder0.0 (0x110000000-0x20fffffff) whose region did not assemble: no serial, PCI address or QoS class" */
export function unassembledWords(w: CxlWindow): string {
  return `CXL memory in window ${w.decoder} (${hexRange(w.start, w.end)}) whose region did not assemble: no serial, PCI address or QoS class to select it by`;
}

export function summaryLine(summary: { change: number; unchanged: number; unmanaged: number; blocked: number }): string {
  if (summary.change === 0 && summary.blocked === 0) return 'No changes. Memory matches policy.';
  const parts = [`${summary.change} to change`, `${summary.unchanged} unchanged`, `${summary.unmanaged} unmanaged`];
  if (summary.blocked) parts.push(`${summary.blocked} blocked`);
  return `Plan: ${parts.join(', ')}.`;
}

/** Which interface the kernel offers, for the plan's header. */
export function stateFileWords(kernel: KernelFacts): string {
  return kernel.stateFile === 'seen' ? 'state file (whole-device writes)' : 'no state file seen (per-block writes)';
}

/** Under auto-movable, why the zones a plan shows are certain; undefined under any other policy. */
export function onlinePolicyNote(kernel: KernelFacts): string | undefined {
  if (!autoMovable(kernel.hotplug)) return undefined;
  return 'online policy auto-movable: the kernel would pick the zone of plain "online" by its ratio; every step below names its zone (online_kernel, online_movable), so the memory lands where the plan says';
}

/** Why a device goes through the interface it does. */
export function methodWords(method: Method, device: ObservedDevice): string {
  if (method === 'state') return device.stateFile !== undefined ? 'state file' : 'state file (shown by other devices bound to kmem)';
  return device.driver === 'kmem' ? 'per-block: no state file on this kernel' : 'per-block: no device bound to kmem shows a state file';
}
