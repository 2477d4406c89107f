// sysfs -> Observed. Reads only; anything that does not parse becomes a
// problem on the device (or the kernel facts), never an exception: a device
// with a problem is blocked, never derived into a state it may not be in.
import { posix } from 'node:path';
import { clip, DAX_DEVICES, DEVICE_NAME, MEMORY, SysfsReadError, TIERS, type Sysfs, resolveLink } from './sysfs.js';
import {
  blockKind,
  isAutoOnline,
  STATE_WORDS,
  type AutoOnline,
  type BlockState,
  FAMFS_DRIVER,
  type DeviceDriver,
  type DeviceSource,
  type KernelFacts,
  type Observed,
  type ObservedDevice,
  type ObservedState,
  type Range,
  stateFileSupport,
  type StateWord,
} from '../model/device.js';
import { parseNodeList } from '../model/nodelist.js';
import { markSharedSerials, markUnassembled, readCxlIdentity, readCxlWindows } from './cxl.js';
import { observeHotplug } from './hotplug.js';
import { identityChanges } from '../model/identity.js';
import { hex, hexRange } from '../model/units.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const NULL_UUID = '00000000-0000-0000-0000-000000000000';

/**
 * Memory block sizes Linux uses: powers of two from 16 MiB (powerpc's
 * sections) to 16 GiB; x86_64 uses 128 MiB to 2 GiB. Anything else read from
 * block_size_bytes is a damaged tree, not a fact.
 */
export const MIN_BLOCK_SIZE = 16n << 20n;
export const MAX_BLOCK_SIZE = 16n << 30n;
/** Most memory blocks one device may span (512 TiB in 128 MiB blocks): past it a range is implausible, and nothing is allocated by its size. */
export const MAX_DEVICE_BLOCKS = 1 << 22;
/** Physical addresses are 64-bit. */
const MAX_ADDRESS = (1n << 64n) - 1n;

export function observe(sysfs: Sysfs, only?: readonly string[]): Observed {
  const kernel = observeKernel(sysfs);
  const names = guarded(kernel.problems, () => sysfs.list(DAX_DEVICES), [] as string[])
    .filter((name) => {
      if (DEVICE_NAME.test(name)) return true;
      kernel.problems.push(`${DAX_DEVICES}/${JSON.stringify(name).slice(1, -1)}: not a dax device name, ignored`);
      return false;
    })
    .filter((name) => !only || only.includes(name))
    .sort(compareDeviceNames);
  const devices = names.map((name) => observeDevice(sysfs, name, kernel));
  markOverlaps(devices);
  guarded(kernel.problems, () => markSharedSerials(sysfs, devices), undefined);
  guarded(kernel.problems, () => markUnassembled(devices, readCxlWindows(sysfs, kernel.problems)), undefined);
  kernel.stateFile = stateFileSupport(devices);
  return { kernel, devices };
}

/** Two devices claiming the same physical memory: neither can be told apart from the other, so both are blocked. */
function markOverlaps(devices: ObservedDevice[]): void {
  const claims = devices.flatMap((device) => device.ranges.filter((r) => r.start <= r.end).map((range) => ({ device, range })));
  claims.sort((a, b) => byStart(a.range, b.range));
  let reach: { device: ObservedDevice; range: Range } | undefined;
  for (const claim of claims) {
    if (reach && claim.range.start <= reach.range.end && claim.device !== reach.device) {
      reach.device.problems.push(`${reach.device.name}: range ${rangeText(reach.range)} overlaps ${claim.device.name}'s ${rangeText(claim.range)}`);
      claim.device.problems.push(`${claim.device.name}: range ${rangeText(claim.range)} overlaps ${reach.device.name}'s ${rangeText(reach.range)}`);
    }
    if (!reach || claim.range.end > reach.range.end) reach = claim;
  }
}

export function compareDeviceNames(a: string, b: string): number {
  const [ra, ia] = a.slice(3).split('.').map(Number);
  const [rb, ib] = b.slice(3).split('.').map(Number);
  return ra - rb || ia - ib;
}

/** block_size_bytes as the kernel prints it (hex without 0x; with it accepted): a power of two Linux uses, else undefined. */
export function parseBlockSize(text: string | undefined): bigint | undefined {
  if (text === undefined || !/^(0x)?[0-9a-f]{1,16}$/i.test(text)) return undefined;
  const size = BigInt('0x' + text.replace(/^0x/i, ''));
  const powerOfTwo = (size & (size - 1n)) === 0n;
  return powerOfTwo && size >= MIN_BLOCK_SIZE && size <= MAX_BLOCK_SIZE ? size : undefined;
}

/** Runs a read; a file that is there but no attribute becomes a problem and `fallback`. */
function guarded<T>(problems: string[], read: () => T, fallback: T): T {
  try {
    return read();
  } catch (err) {
    if (!(err instanceof SysfsReadError)) throw err;
    problems.push(err.message);
    return fallback;
  }
}

function observeKernel(sysfs: Sysfs): KernelFacts {
  const problems: string[] = [];
  const read = (rel: string) => guarded(problems, () => sysfs.read(rel), undefined);
  const blockSizeText = read(`${MEMORY}/block_size_bytes`);
  const blockSize = parseBlockSize(blockSizeText);
  if (blockSizeText === undefined) problems.push(`${MEMORY}/block_size_bytes: missing`);
  else if (blockSize === undefined)
    problems.push(`${MEMORY}/block_size_bytes: "${clip(blockSizeText)}" is not a memory block size (a power of two from 16 MiB to 16 GiB, in hex)`);

  const autoText = read(`${MEMORY}/auto_online_blocks`);
  let autoOnlineBlocks: AutoOnline | undefined;
  if (autoText !== undefined) {
    if (isAutoOnline(autoText)) autoOnlineBlocks = autoText;
    else problems.push(`${MEMORY}/auto_online_blocks: unknown value "${clip(autoText)}"`);
  }

  const nodeTiers: Record<number, number> = {};
  for (const entry of guarded(problems, () => sysfs.list(TIERS), [] as string[])) {
    const m = /^memory_tier(\d{1,9})$/.exec(entry);
    if (!m) continue;
    const text = read(`${TIERS}/${entry}/nodelist`) ?? '';
    const nodes = parseNodeList(text);
    if (!nodes) {
      problems.push(`${TIERS}/${entry}/nodelist: cannot parse "${clip(text)}"`);
      continue;
    }
    for (const node of nodes) nodeTiers[node] = Number(m[1]);
  }
  const hotplug = observeHotplug(sysfs, read, problems);
  return { blockSize, autoOnlineBlocks, hotplug, stateFile: 'not-seen', nodeTiers, problems };
}

/** Ranges in address order (bigint starts: no subtraction). */
function byStart(a: Range, b: Range): number {
  return a.start < b.start ? -1 : a.start > b.start ? 1 : 0;
}

function observeDevice(sysfs: Sysfs, name: string, kernel: KernelFacts): ObservedDevice {
  const problems: string[] = [];
  const dir = deviceDir(sysfs, name, problems);
  const { size, ranges } = observeExtent(sysfs, dir, name, problems);
  const targetNode = parseNode(guarded(problems, () => sysfs.read(`${dir}/target_node`), undefined), `${name}/target_node`, problems);
  const { uuid, source } = guarded(problems, () => identity(sysfs, dir, problems), { uuid: undefined, source: 'unknown' as DeviceSource });
  const cxl = source === 'cxl' ? guarded(problems, () => readCxlIdentity(sysfs, dir, problems), undefined) : undefined;
  // `unassembled` is known once every device and the CXL windows are read (markUnassembled); the key is there from the start, as in snapshots.
  const identified = { name, size, ranges, targetNode, tier: targetNode === undefined ? undefined : kernel.nodeTiers[targetNode], uuid, source, cxl, unassembled: undefined };
  return { ...identified, ...observeMemory(sysfs, dir, identified, kernel, problems) };
}

/**
 * `device`, read whole before, read again for the reads between its steps:
 * where its memory is (driver, state file, blocks) and its extent (size and
 * ranges), which must not have changed (else a problem says so, and nothing
 * is written to it); not its node, UUID, CXL chain or the kernel's settings
 * again. Undefined when the device is gone. About half of a whole read.
 */
export function reobserve(sysfs: Sysfs, device: ObservedDevice, kernel: KernelFacts): ObservedDevice | undefined {
  const problems: string[] = [];
  const present = guarded(problems, () => sysfs.list(DAX_DEVICES).includes(device.name), true);
  if (!present) return undefined;
  const dir = deviceDir(sysfs, device.name, problems);
  const extent = observeExtent(sysfs, dir, device.name, problems);
  const moved = identityChanges(device, { ...device, ...extent });
  if (moved.length) problems.push(`${device.name} changed under daxplan: ${moved.join('; ')}`);
  return { ...device, ...extent, ...observeMemory(sysfs, dir, { name: device.name, ...extent }, kernel, problems) };
}

/** A device's size and physical ranges. */
function observeExtent(sysfs: Sysfs, dir: string, name: string, problems: string[]): Pick<ObservedDevice, 'size' | 'ranges'> {
  const size = parseBig(guarded(problems, () => sysfs.read(`${dir}/size`), undefined), 10, `${name}/size`, problems) ?? 0n;
  return { size, ranges: guarded(problems, () => readRanges(sysfs, dir, name, size, problems), []) };
}

/** "0x100000000-0x13fffffff": a range as problems name it. */
function rangeText(range: Range): string {
  return hexRange(range.start, range.end);
}

/** The device's directory: where its bus link points (or the link itself when it cannot be resolved). */
function deviceDir(sysfs: Sysfs, name: string, problems: string[]): string {
  const linkPath = `${DAX_DEVICES}/${name}`;
  return guarded(problems, () => resolveLink(sysfs, linkPath), undefined) ?? linkPath;
}

type MemorySide = Pick<ObservedDevice, 'state' | 'driver' | 'stateFile' | 'blocks' | 'blockSpan' | 'problems'>;

/** Where a device's memory is: its driver, its state file and its blocks (problems adds to `problems`). */
function observeMemory(
  sysfs: Sysfs,
  dir: string,
  { name, size, ranges }: Pick<ObservedDevice, 'name' | 'size' | 'ranges'>,
  kernel: KernelFacts,
  problems: string[],
): MemorySide {
  const driver = guarded(problems, () => readDriver(sysfs, dir), 'other' as DeviceDriver);
  const stateFile = parseStateWord(guarded(problems, () => sysfs.read(`${dir}/state`), undefined), name, problems);
  const indices = size === 0n && ranges.length === 0 ? [] : blockIndicesOf(ranges, kernel.blockSize, name, problems);
  // A device whose blocks could not all be read is in no known state: never unplugged, never devdax.
  let blocks = indices && guarded(problems, () => readBlocks(sysfs, indices, problems), undefined);
  if (blocks?.length === 0 && indices?.length && driver === 'kmem' && stateFile !== undefined && stateFile !== 'unplugged') {
    // Memory the kernel says is there, at none of the blocks the ranges give: a wrong block size (a copied tree) would read it as unplugged.
    problems.push(
      `${name}: its state file reads ${stateFile} but none of its ${indices.length} memory blocks (memory${indices[0]}-memory${indices.at(-1)} at block size ${hex(kernel.blockSize!)}) is present: the block size or the ranges are wrong`,
    );
    blocks = undefined;
  }
  return {
    state: blocks ? normaliseState(driver, blocks, problems) : 'unknown',
    driver,
    stateFile,
    blocks: blocks ?? [],
    blockSpan: indices?.length ?? 0,
    problems,
  };
}

/**
 * A device's `state` file as it reads now, through its bus link: one read
 * (the watch's poll between ticks); undefined when the device has none or
 * it cannot be read.
 */
export function readStateWord(sysfs: Sysfs, name: string): string | undefined {
  return guarded([], () => sysfs.read(`${DAX_DEVICES}/${name}/state`), undefined);
}

function parseStateWord(text: string | undefined, name: string, problems: string[]): StateWord | undefined {
  if (text === undefined) return undefined;
  if ((STATE_WORDS as readonly string[]).includes(text)) return text as StateWord;
  problems.push(`${name}/state: unknown value "${clip(text)}"`);
  return undefined;
}

/**
 * The indices of the memory blocks wholly inside the ranges (kmem aligns
 * inwards), or undefined with a problem when they cannot be known: no block
 * size, no ranges, a range that is inverted, overflows, yields no block or
 * spans implausibly many.
 */
function blockIndicesOf(ranges: Range[], blockSize: bigint | undefined, name: string, problems: string[]): number[] | undefined {
  if (blockSize === undefined) {
    problems.push(`the memory block size is unknown (${MEMORY}/block_size_bytes), so ${name}'s blocks cannot be told`);
    return undefined;
  }
  if (ranges.length === 0) {
    if (!problems.length) problems.push(`${name}: no physical range (mappingN/ or resource)`);
    return undefined;
  }
  const sorted = [...ranges].sort(byStart);
  for (let i = 1; i < sorted.length; i++)
    if (sorted[i].start <= sorted[i - 1].end && sorted[i - 1].end >= sorted[i - 1].start) {
      problems.push(`${name}: ranges ${rangeText(sorted[i - 1])} and ${rangeText(sorted[i])} overlap`);
      return undefined;
    }
  let total = 0;
  const bounds: [number, number][] = [];
  for (const range of ranges) {
    if (range.end < range.start || range.end > MAX_ADDRESS) {
      problems.push(`${name}: range ${rangeText(range)} is inverted or beyond 64-bit addresses`);
      return undefined;
    }
    const first = (range.start + blockSize - 1n) / blockSize;
    const last = (range.end + 1n) / blockSize - 1n;
    const count = last >= first ? last - first + 1n : 0n;
    if (BigInt(total) + count > BigInt(MAX_DEVICE_BLOCKS)) {
      problems.push(`${name}: its ranges span more than ${MAX_DEVICE_BLOCKS} memory blocks: implausible, not read`);
      return undefined;
    }
    total += Number(count);
    if (count > 0n) bounds.push([Number(first), Number(last)]);
  }
  if (total === 0) {
    problems.push(`${name}: its ranges hold no whole memory block (block size ${hex(blockSize)})`);
    return undefined;
  }
  const indices: number[] = [];
  for (const [first, last] of bounds) for (let i = first; i <= last; i++) indices.push(i);
  return indices;
}

function readRanges(sysfs: Sysfs, dir: string, name: string, size: bigint, problems: string[]): Range[] {
  const mappings = sysfs
    .list(dir)
    .filter((e) => /^mapping\d{1,6}$/.test(e))
    .sort((a, b) => Number(a.slice(7)) - Number(b.slice(7)));
  const ranges: Range[] = [];
  for (const m of mappings) {
    const start = parseBig(sysfs.read(`${dir}/${m}/start`), 16, `${name}/${m}/start`, problems);
    const end = parseBig(sysfs.read(`${dir}/${m}/end`), 16, `${name}/${m}/end`, problems);
    if (start !== undefined && end !== undefined) ranges.push({ start, end });
  }
  if (ranges.length > 0 || size === 0n) return ranges;
  const start = parseBig(sysfs.read(`${dir}/resource`), 16, `${name}/resource`, problems);
  return start === undefined ? [] : [{ start, end: start + size - 1n }];
}

/** A name a kernel module's driver could have; anything else is shown as `other`. */
const DRIVER_NAME = /^[A-Za-z0-9_-]{1,64}$/;

function readDriver(sysfs: Sysfs, dir: string): DeviceDriver {
  const target = sysfs.link(`${dir}/driver`);
  if (target === undefined) return 'none';
  const driver = posix.basename(target);
  return DRIVER_NAME.test(driver) && driver !== 'none' ? driver : 'other';
}

/** Every block's state, and the zone of each online one; undefined (with a problem) when one cannot be read. A block that is absent is not in the system. */
function readBlocks(sysfs: Sysfs, indices: number[], problems: string[]): BlockState[] | undefined {
  const blocks: BlockState[] = [];
  for (const index of indices) {
    const base = `${MEMORY}/memory${index}`;
    const state = sysfs.read(`${base}/state`);
    if (state === undefined) {
      // No directory: the block is not in the system. A directory without its state is a tree that cannot be read.
      if (!sysfs.exists(base)) continue;
      problems.push(`memory${index}/state: missing`);
      return undefined;
    }
    if (state === 'online') blocks.push({ index, state, zone: sysfs.read(`${base}/valid_zones`) ?? '' });
    else if (state === 'offline' || state === 'going-offline') blocks.push({ index, state });
    else {
      problems.push(`memory${index}/state: unknown value "${clip(state)}"`);
      return undefined;
    }
  }
  return blocks;
}

function normaliseState(driver: ObservedDevice['driver'], blocks: BlockState[], problems: string[]): ObservedState {
  if (driver !== 'kmem' && blocks.some((b) => b.state === 'online'))
    problems.push('memory blocks are online while the device is not bound to kmem: an unbind left them in the system until reboot');
  if (driver === 'device_dax') return 'devdax';
  if (driver === 'none') return 'unbound';
  if (driver === FAMFS_DRIVER) return 'famfs';
  if (driver !== 'kmem') return 'foreign';
  if (blocks.length === 0) return 'unplug';
  const kinds = new Set(blocks.map(blockKind));
  if (kinds.size > 1) return 'mixed';
  const [kind] = kinds;
  if (kind === 'Normal') return 'online';
  if (kind === 'Movable') return 'online_movable';
  if (kind === 'offline') return 'offline';
  problems.push(`memory blocks in an unexpected zone or state: ${clip(kind)}`);
  return 'mixed';
}

function identity(sysfs: Sysfs, dir: string, problems: string[]): { uuid: string | undefined; source: DeviceSource } {
  const source: DeviceSource = /\/ndbus\d+\//.test(dir)
    ? 'nvdimm'
    : /\/region\d+\/dax_region\d+\//.test(dir)
      ? 'cxl'
      : /\/hmem\d*\.\d+\//.test(dir)
        ? 'hmem'
        : 'unknown';
  for (let d = posix.dirname(dir); d.startsWith('devices/') && d !== 'devices'; d = posix.dirname(d)) {
    const text = sysfs.read(`${d}/uuid`);
    if (!text || text === NULL_UUID) continue;
    if (UUID.test(text)) return { uuid: text.toLowerCase(), source };
    // Never skipped for a UUID further up: that would be another thing's identity.
    problems.push(`${d}/uuid: "${clip(text)}" is not a UUID`);
    return { uuid: undefined, source };
  }
  return { uuid: undefined, source };
}

function parseBig(text: string | undefined, radix: 10 | 16, what: string, problems: string[]): bigint | undefined {
  if (text === undefined) {
    problems.push(`${what}: missing`);
    return undefined;
  }
  const ok = radix === 10 ? /^\d{1,20}$/.test(text) : /^0x[0-9a-f]{1,16}$/i.test(text);
  if (!ok) {
    problems.push(`${what}: cannot parse "${clip(text)}"`);
    return undefined;
  }
  return BigInt(text);
}

function parseNode(text: string | undefined, what: string, problems: string[]): number | undefined {
  if (text === undefined) {
    problems.push(`${what}: missing`);
    return undefined;
  }
  if (!/^-?\d{1,9}$/.test(text)) {
    problems.push(`${what}: cannot parse "${clip(text)}"`);
    return undefined;
  }
  const node = Number(text);
  return node < 0 ? undefined : node;
}
