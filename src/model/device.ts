// The typed model shared by the observed host and the desired policy.
import { autoMovable, type HotplugParams } from './hotplug.js';

/**
 * States a policy can ask for. `famfs` is one daxplan never makes: a policy
 * names it to say a device belongs to a famfs file system (bound to
 * fsdev_dax), so that a device found otherwise is reported, not changed.
 */
export const DESIRED_STATES = ['unplug', 'online', 'online_movable', 'devdax', 'famfs'] as const;
export type DesiredState = (typeof DESIRED_STATES)[number];

/**
 * States a device can be observed in, judged by its memory blocks (the
 * truth; the kernel's `state` file is the lever). `unplug`: bound to kmem with
 * no memory blocks; `offline`: blocks present, all offline; `mixed`: blocks
 * disagree in state or zone; `unbound`: no driver; `famfs`: bound to
 * fsdev_dax (a famfs file system may be mounted on it); `foreign`: bound to
 * another driver daxplan does not know; `unknown`: its memory blocks could
 * not all be read (a problem says why). Devices in the last three are never
 * changed.
 */
export type ObservedState = DesiredState | 'offline' | 'mixed' | 'unbound' | 'foreign' | 'unknown';

/** The drivers daxplan binds and unbinds. */
export type Driver = 'kmem' | 'device_dax';
/** The driver of famfs (Linux 7.1+): the device holds a shared-memory file system. */
export const FAMFS_DRIVER = 'fsdev_dax';
/**
 * What a device is bound to: a driver daxplan drives, fsdev_dax, `none`, or
 * the name of another driver (`other` when the name is not one a kernel
 * module could have).
 */
export type DeviceDriver = Driver | typeof FAMFS_DRIVER | 'none' | (string & {});

/** States of devices bound to a driver daxplan never unbinds. */
export function heldByOtherDriver(state: ObservedState): state is 'famfs' | 'foreign' {
  return state === 'famfs' || state === 'foreign';
}

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

/** A CXL memory device (memdev) behind a region: the handles that survive a reboot, and its name, which does not. */
export interface CxlMemdev {
  /** memN: not stable across boots. */
  name: string;
  serial: bigint;
  /** Other memdevs on the host that report the same serial (then it is no identity). */
  serialSharedWith: string[];
  /** PCI address of the device the memdev belongs to (its parent), when that is a PCI device. */
  pci: string | undefined;
  numaNode: number | undefined;
}

/** What a dax device made of a CXL region is, read from the region and the memdevs behind it. */
export interface CxlIdentity {
  /** regionN: not stable across boots. */
  region: string;
  /** The region's mode (ram, pmem, ...); undefined on kernels that do not show it. */
  mode: string | undefined;
  /** The region's physical range. */
  start: bigint;
  size: bigint;
  interleaveWays: number;
  /** The root decoder's QoS class, else the one every memdev reports; undefined when none is. */
  qosClass: number | undefined;
  /** In interleave order (the region's targetN). */
  memdevs: CxlMemdev[];
}

/**
 * A 64-bit number as the kernel prints a CXL serial or address (%#llx) or as
 * cxl list may print it (decimal); undefined when it is neither.
 */
export function parseU64(text: string): bigint | undefined {
  if (!/^(0x[0-9a-f]{1,16}|[0-9]{1,20})$/i.test(text)) return undefined;
  const value = BigInt(text);
  return value <= NO_SERIAL ? value : undefined;
}

const PCI_ADDRESS = /^(?:([0-9a-f]{1,8}):)?([0-9a-f]{2}:[0-9a-f]{2}\.[0-7])$/i;

/**
 * A PCI address as the kernel names the device (lower case, the domain in at
 * least four hex digits: 0000:0d:00.0), from any spelling of it (no domain, an
 * eight-digit one as lspci -D may print): undefined when it is none.
 */
export function normalisePci(text: string): string | undefined {
  const m = PCI_ADDRESS.exec(text);
  return m ? `${parseInt(m[1] ?? '0', 16).toString(16).padStart(4, '0')}:${m[2].toLowerCase()}` : undefined;
}

/** What cxl-cli reads as "no serial" (it prints none then), and the largest u64. */
export const NO_SERIAL = (1n << 64n) - 1n;

/** Why a memdev's serial cannot tell it from every other memdev, or undefined when it can. */
export function serialFlaw(memdev: CxlMemdev): string | undefined {
  if (memdev.serial === 0n || memdev.serial === NO_SERIAL) return 'what emulators and some firmware report for every device';
  if (memdev.serialSharedWith.length) return `also reported by ${memdev.serialSharedWith.join(', ')}`;
  return undefined;
}

/** A CXL window: a root decoder's range of host physical addresses, where CXL memory is mapped. */
export interface CxlWindow {
  /** The root decoder, decoderN.M (its name may change between boots). */
  decoder: string;
  start: bigint;
  end: bigint; // inclusive
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
  /** Set for devices made of a CXL region. */
  cxl: CxlIdentity | undefined;
  /**
   * Set for a device with no CXL parent whose memory lies in a CXL window:
   * CXL memory whose region did not assemble, which dax_hmem (Linux 7.0+)
   * turned into a plain dax device. Its serial, PCI address and QoS class
   * cannot be read.
   */
  unassembled?: CxlWindow;
  driver: DeviceDriver;
  /** The kernel's `state` file when the device has one (bound to kmem on Linux 7.3+). */
  stateFile: StateWord | undefined;
  /** Memory blocks present inside the device's ranges. */
  blocks: BlockState[];
  /** How many blocks the ranges span once added (for display and planning). */
  blockSpan: number;
  /** Problems reading this device; a device with problems is never changed. */
  problems: string[];
}

/** Values of devices/system/memory/auto_online_blocks (the kernel's default online type). */
export const AUTO_ONLINE = ['offline', 'online', 'online_kernel', 'online_movable'] as const;
export type AutoOnline = (typeof AUTO_ONLINE)[number];

export function isAutoOnline(text: string): text is AutoOnline {
  return (AUTO_ONLINE as readonly string[]).includes(text);
}

export interface KernelFacts {
  blockSize: bigint | undefined;
  autoOnlineBlocks: AutoOnline | undefined;
  /** The memory_hotplug parameters: where plain `online` puts memory. */
  hotplug: HotplugParams;
  stateFile: StateFileSupport;
  /** node -> tier, from memory_tiering nodelists. */
  nodeTiers: Record<number, number>;
  problems: string[];
}

/** Whether the kernel shows the whole-device state file: judged from the devices read (one bound to kmem shows it on 7.3+). */
export function stateFileSupport(devices: readonly Pick<ObservedDevice, 'stateFile'>[]): StateFileSupport {
  return devices.some((d) => d.stateFile !== undefined) ? 'seen' : 'not-seen';
}

export interface Observed {
  kernel: KernelFacts;
  devices: ObservedDevice[];
}

/** How sysfs (valid_zones) names each zone. */
export const ZONE_NAMES: Record<Zone, string> = { normal: 'Normal', movable: 'Movable' };

/** The word that onlines memory into a zone, for a memory block's `state` and a device's `state` file alike. */
export const ONLINE_WORD: Record<Zone, StateWrite> = { normal: 'online_kernel', movable: 'online_movable' };

/** The zone a valid_zones name means, if it is one of the two. */
export function zoneNamed(name: string): Zone | undefined {
  return name === ZONE_NAMES.normal ? 'normal' : name === ZONE_NAMES.movable ? 'movable' : undefined;
}

/** Bytes of the device online in each zone: its online blocks × the block size. */
export function onlineByZone(device: ObservedDevice, blockSize: bigint): Record<Zone, bigint> {
  const bytes: Record<Zone, bigint> = { normal: 0n, movable: 0n };
  for (const block of device.blocks) {
    const zone = block.state === 'online' ? zoneNamed(block.zone) : undefined;
    if (zone) bytes[zone] += blockSize;
  }
  return bytes;
}

/** The device state each `state` word stands for when it tells the truth. */
const WORD_MEANS: Record<StateWord, ObservedState> = {
  unplugged: 'unplug',
  offline: 'offline',
  online: 'online',
  online_kernel: 'online',
  online_movable: 'online_movable',
};

/** Whether the `state` file's word tells the truth about the device's blocks. */
function wordFits(word: StateWord, state: ObservedState, hotplug: HotplugParams): boolean {
  // `online` reads back as itself, not the zone: under auto-movable the kernel may have picked ZONE_MOVABLE for it.
  if (word === 'online' && state === 'online_movable') return autoMovable(hotplug);
  return WORD_MEANS[word] === state;
}

/** The state a `state` word stands for. */
export function stateOfWord(word: StateWord): ObservedState {
  return WORD_MEANS[word];
}

/**
 * When the `state` file disagrees with the blocks (someone wrote blocks one by
 * one, leaving the kernel's own record stale), what it says against what is.
 */
export function stateDrift(device: ObservedDevice, hotplug: HotplugParams): string | undefined {
  if (device.stateFile === undefined || wordFits(device.stateFile, device.state, hotplug)) return undefined;
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

const RUNS_SHOWN = 8;

/** The device's blocks as runs of consecutive blocks alike: "57-63: 57-60 Normal, 61-63 offline", or "57-63 Movable" for one run (at most 8 runs, then how many more). */
export function describeBlockRuns(device: ObservedDevice): string {
  const runs: { first: number; last: number; kind: string }[] = [];
  for (const block of device.blocks) {
    const kind = blockKind(block);
    const run = runs[runs.length - 1];
    if (run && run.kind === kind && run.last + 1 === block.index) run.last = block.index;
    else runs.push({ first: block.index, last: block.index, kind });
  }
  if (runs.length === 0) return 'no blocks';
  const span = (first: number, last: number) => (first === last ? `${first}` : `${first}-${last}`);
  const shown = runs.slice(0, RUNS_SHOWN).map((r) => `${span(r.first, r.last)} ${r.kind}`);
  if (runs.length === 1) return shown[0];
  const more = runs.length - shown.length;
  return `${span(runs[0].first, runs[runs.length - 1].last)}: ${shown.join(', ')}${more ? `, … (+${more} more runs)` : ''}`;
}

/** "online_movable (7/7 blocks online, Movable)" */
export function describeDevice(device: Pick<ObservedDevice, 'state' | 'blocks'>): string {
  if (device.blocks.length === 0) return device.state;
  return `${device.state} (${describeBlocks(device)})`;
}

/** "7/7 blocks online, Movable"; "none present" for a device without blocks. */
function describeBlocks(device: Pick<ObservedDevice, 'blocks'>): string {
  if (device.blocks.length === 0) return 'none present';
  const online = device.blocks.filter((b) => b.state === 'online');
  const kinds = [...new Set(online.map(blockKind))].join('+');
  return `${online.length}/${device.blocks.length} blocks online${kinds ? `, ${kinds}` : ''}`;
}
