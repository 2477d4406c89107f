// The typed model shared by the observed host and the desired policy.

/** States a policy can ask for. */
export const DESIRED_STATES = ['unplug', 'online', 'online_movable', 'devdax'] as const;
export type DesiredState = (typeof DESIRED_STATES)[number];

/**
 * States a device can be observed in, judged by its memory blocks (the
 * truth; the kernel's `state` file is the lever). `unplug`: bound to kmem with
 * no memory blocks; `offline`: blocks present, all offline; `mixed`: blocks
 * disagree in state or zone; `unbound`: no driver.
 */
export type ObservedState = DesiredState | 'offline' | 'mixed' | 'unbound';

export type Driver = 'kmem' | 'device_dax';

/** The two zones a dax device's memory can join. */
export type Zone = 'normal' | 'movable';

export type BlockState =
  | { index: number; state: 'online'; zone: string }
  | { index: number; state: 'offline' | 'going-offline' };

/**
 * Words of the kernel's whole-device `state` file (bus/dax/devices/daxX.Y/state,
 * Linux 7.3+, present while bound to kmem). `online` is written as "the
 * kernel picks the zone" and read back as itself; `offline` is read only.
 */
export const STATE_WORDS = ['unplugged', 'online', 'online_kernel', 'online_movable', 'offline'] as const;
export type StateWord = (typeof STATE_WORDS)[number];
/** The words daxplan writes: it always names the zone. */
export type StateWrite = 'unplugged' | 'online_kernel' | 'online_movable';

/** Whether the kernel showed the `state` file on some device bound to kmem. */
export type StateFileSupport = 'seen' | 'not-seen';

export type DeviceSource = 'nvdimm' | 'cxl' | 'hmem' | 'unknown';

export interface Range {
  start: bigint;
  end: bigint; // inclusive, as sysfs prints it
}

export interface ObservedDevice {
  name: string;
  state: ObservedState;
  size: bigint;
  ranges: Range[];
  targetNode: number | undefined;
  tier: number | undefined;
  uuid: string | undefined;
  source: DeviceSource;
  driver: Driver | 'none' | 'other';
  /** The kernel's `state` file when the device has one (bound to kmem on Linux 7.3+). */
  stateFile: StateWord | undefined;
  /** Memory blocks present inside the device's ranges. */
  blocks: BlockState[];
  /** How many blocks the ranges span once added (for display and planning). */
  blockSpan: number;
  /** Problems reading this device; a device with problems is never changed. */
  problems: string[];
}

export type AutoOnline = 'offline' | 'online' | 'online_kernel' | 'online_movable';

export interface KernelFacts {
  blockSize: bigint | undefined;
  autoOnlineBlocks: AutoOnline | undefined;
  stateFile: StateFileSupport;
  /** node -> tier, from memory_tiering nodelists. */
  nodeTiers: Record<number, number>;
  problems: string[];
}

export interface Observed {
  kernel: KernelFacts;
  devices: ObservedDevice[];
}

/** How sysfs (valid_zones) names each zone. */
export const ZONE_NAMES: Record<Zone, string> = { normal: 'Normal', movable: 'Movable' };

/** The zone a valid_zones name means, if it is one of the two. */
export function zoneNamed(name: string): Zone | undefined {
  return name === ZONE_NAMES.normal ? 'normal' : name === ZONE_NAMES.movable ? 'movable' : undefined;
}

/** The device states each `state` word stands for when it tells the truth. */
const WORD_MEANS: Record<StateWord, ObservedState> = {
  unplugged: 'unplug',
  offline: 'offline',
  online: 'online',
  online_kernel: 'online',
  online_movable: 'online_movable',
};

/**
 * When the `state` file disagrees with the blocks (someone wrote blocks one by
 * one, leaving the kernel's own record stale), what it says against what is.
 */
export function stateDrift(device: ObservedDevice): string | undefined {
  if (device.stateFile === undefined || WORD_MEANS[device.stateFile] === device.state) return undefined;
  return `the kernel's state file reads ${device.stateFile} but the memory blocks are ${describeBlocks(device)}`;
}

/** Zone of an online device state, if any. */
export function zoneOf(state: ObservedState): Zone | undefined {
  if (state === 'online') return 'normal';
  if (state === 'online_movable') return 'movable';
  return undefined;
}

export function stateForZone(zone: Zone): 'online' | 'online_movable' {
  return zone === 'normal' ? 'online' : 'online_movable';
}

export function onlineBlockCount(device: ObservedDevice): number {
  return device.blocks.filter((b) => b.state === 'online').length;
}

/** A block's state and zone in one word: `offline`, `Normal`, `Movable`, ... */
export function blockKind(block: BlockState): string {
  return block.state === 'online' ? block.zone : block.state;
}

export function blockSignature(device: ObservedDevice): string {
  return device.blocks.map((b) => `${b.index}:${blockKind(b)}`).join(',');
}

/** Same driver and every block in the same state and zone: the same memory in the system. */
export function sameMemory(a: ObservedDevice, b: ObservedDevice): boolean {
  return a.state === b.state && a.driver === b.driver && blockSignature(a) === blockSignature(b);
}

/** The same memory, and the kernel's `state` file reads the same. */
export function sameDevice(a: ObservedDevice, b: ObservedDevice): boolean {
  return sameMemory(a, b) && a.stateFile === b.stateFile;
}

/** "online_movable (7/7 blocks online, Movable)" */
export function describeDevice(device: ObservedDevice): string {
  if (device.blocks.length === 0) return device.state;
  return `${device.state} (${describeBlocks(device)})`;
}

/** "7/7 blocks online, Movable"; "none present" for a device without blocks. */
function describeBlocks(device: ObservedDevice): string {
  if (device.blocks.length === 0) return 'none present';
  const online = device.blocks.filter((b) => b.state === 'online');
  const kinds = [...new Set(online.map(blockKind))].join('+');
  return `${online.length}/${device.blocks.length} blocks online${kinds ? `, ${kinds}` : ''}`;
}
