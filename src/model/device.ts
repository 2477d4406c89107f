// The typed model shared by the observed host and the desired policy.

/** States a policy can ask for. */
export const DESIRED_STATES = ['unplug', 'online', 'online_movable', 'devdax'] as const;
export type DesiredState = (typeof DESIRED_STATES)[number];

/**
 * States a device can be observed in. `unplug`: bound to kmem with no memory
 * blocks (kernels with the hotplug attribute); `offline`: blocks present, all
 * offline; `mixed`: blocks disagree in state or zone; `unbound`: no driver.
 */
export type ObservedState = DesiredState | 'offline' | 'mixed' | 'unbound';

export type Driver = 'kmem' | 'device_dax';

/** The two zones a dax device's memory can join. */
export type Zone = 'normal' | 'movable';

export type BlockState =
  | { index: number; state: 'online'; zone: string }
  | { index: number; state: 'offline' | 'going-offline' };

/**
 * What is known of the kernel's per-device `hotplug` attribute: `not-seen`
 * when no kmem-bound device shows it, `seen` when one does but its value is
 * spelled alike in both ABI generations, else the generation.
 */
export type HotplugSupport = 'not-seen' | 'seen' | 'v3' | 'v4';

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
  /** Raw value of the `hotplug` attribute when the kernel has one. */
  hotplug: string | undefined;
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
  hotplug: HotplugSupport;
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

/** Same driver and every block in the same state and zone. */
export function sameDevice(a: ObservedDevice, b: ObservedDevice): boolean {
  return a.state === b.state && a.driver === b.driver && blockSignature(a) === blockSignature(b);
}

/** "online_movable (7/7 blocks online, Movable)" */
export function describeDevice(device: ObservedDevice): string {
  if (device.blocks.length === 0) return device.state;
  const online = device.blocks.filter((b) => b.state === 'online');
  const kinds = [...new Set(online.map(blockKind))].join('+');
  return `${device.state} (${online.length}/${device.blocks.length} blocks online${kinds ? `, ${kinds}` : ''})`;
}
