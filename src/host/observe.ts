// sysfs -> Observed. Reads only; anything that does not parse becomes a
// problem on the device (or the kernel facts), never an exception.
import * as path from 'node:path';
import { DAX_DEVICES, DEVICE_NAME, MEMORY, TIERS, type Sysfs, resolveLink } from './sysfs.js';
import { blockKind } from '../model/device.js';
import type {
  AutoOnline,
  BlockState,
  DeviceSource,
  Driver,
  HotplugSupport,
  KernelFacts,
  Observed,
  ObservedDevice,
  ObservedState,
  Range,
} from '../model/device.js';
import { parseNodeList } from '../model/nodelist.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const NULL_UUID = '00000000-0000-0000-0000-000000000000';
const AUTO_ONLINE: readonly AutoOnline[] = ['offline', 'online', 'online_kernel', 'online_movable'];
const V4_ONLY = new Set(['unplugged', 'online_kernel', 'offline']);
const V3_ONLY = new Set(['unplug']);

export function observe(sysfs: Sysfs, only?: readonly string[]): Observed {
  const kernel = observeKernel(sysfs);
  const names = sysfs
    .list(DAX_DEVICES)
    .filter((name) => {
      if (DEVICE_NAME.test(name)) return true;
      kernel.problems.push(`${DAX_DEVICES}/${name}: not a dax device name, ignored`);
      return false;
    })
    .filter((name) => !only || only.includes(name))
    .sort(compareDeviceNames);
  // Each device's own files first, then the memory blocks of all of them in
  // two batches (readBlocks), which DirSysfs reads with two threads when there
  // are thousands.
  const pending = names.map((name) => observeDevice(sysfs, name, kernel));
  const blocks = readBlocks(sysfs, pending.map((p) => p.indices), pending.map((p) => p.problems));
  const devices = pending.map((p, i) => p.finish(blocks[i]));
  kernel.hotplug = hotplugSupport(devices);
  return { kernel, devices };
}

export function compareDeviceNames(a: string, b: string): number {
  const [ra, ia] = a.slice(3).split('.').map(Number);
  const [rb, ib] = b.slice(3).split('.').map(Number);
  return ra - rb || ia - ib;
}

/** block_size_bytes: hex, without 0x as the kernel prints it (with it accepted); undefined unless positive. */
export function parseBlockSize(text: string | undefined): bigint | undefined {
  if (text === undefined || !/^(0x)?[0-9a-f]+$/i.test(text)) return undefined;
  const size = BigInt('0x' + text.replace(/^0x/i, ''));
  return size > 0n ? size : undefined;
}

function observeKernel(sysfs: Sysfs): KernelFacts {
  const problems: string[] = [];
  const blockSizeText = sysfs.read(`${MEMORY}/block_size_bytes`);
  const blockSize = parseBlockSize(blockSizeText);
  if (blockSizeText === undefined) problems.push(`${MEMORY}/block_size_bytes: missing`);
  else if (blockSize === undefined) problems.push(`${MEMORY}/block_size_bytes: cannot parse "${blockSizeText}"`);

  const autoText = sysfs.read(`${MEMORY}/auto_online_blocks`);
  let autoOnlineBlocks: AutoOnline | undefined;
  if (autoText !== undefined) {
    if ((AUTO_ONLINE as readonly string[]).includes(autoText)) autoOnlineBlocks = autoText as AutoOnline;
    else problems.push(`${MEMORY}/auto_online_blocks: unknown value "${autoText}"`);
  }

  const nodeTiers: Record<number, number> = {};
  for (const entry of sysfs.list(TIERS)) {
    const m = /^memory_tier(\d+)$/.exec(entry);
    if (!m) continue;
    const text = sysfs.read(`${TIERS}/${entry}/nodelist`) ?? '';
    const nodes = parseNodeList(text);
    if (!nodes) {
      problems.push(`${TIERS}/${entry}/nodelist: cannot parse "${text}"`);
      continue;
    }
    for (const node of nodes) nodeTiers[node] = Number(m[1]);
  }
  return { blockSize, autoOnlineBlocks, hotplug: 'not-seen', nodeTiers, problems };
}

export function hotplugSupport(devices: ObservedDevice[]): HotplugSupport {
  let support: HotplugSupport = 'not-seen';
  for (const { hotplug } of devices) {
    if (hotplug === undefined) continue;
    if (V4_ONLY.has(hotplug)) return 'v4';
    if (V3_ONLY.has(hotplug)) return 'v3';
    support = 'seen';
  }
  return support;
}

/** A device read but for its memory blocks: which blocks to read, and how to finish it once they are. */
interface PendingDevice {
  indices: number[];
  problems: string[];
  finish(blocks: BlockState[]): ObservedDevice;
}

function observeDevice(sysfs: Sysfs, name: string, kernel: KernelFacts): PendingDevice {
  const problems: string[] = [];
  const linkPath = `${DAX_DEVICES}/${name}`;
  const dir = resolveLink(sysfs, linkPath) ?? linkPath;
  const file = (f: string) => sysfs.read(`${dir}/${f}`);

  const size = parseBig(file('size'), 10, `${name}/size`, problems) ?? 0n;
  const targetNode = parseNode(file('target_node'), `${name}/target_node`, problems);
  const ranges = readRanges(sysfs, dir, name, size, problems);
  const driver = readDriver(sysfs, dir);
  const hotplug = file('hotplug');
  const blockSpan = kernel.blockSize ? ranges.reduce((n, r) => n + blockCount(r, kernel.blockSize!), 0) : 0;
  const indices: number[] = [];
  if (kernel.blockSize)
    for (const range of ranges) {
      const [first, last] = blockBounds(range, kernel.blockSize);
      for (let index = first; index <= last; index++) indices.push(index);
    }
  const { uuid, source } = identity(sysfs, dir);
  const finish = (blocks: BlockState[]): ObservedDevice => ({
    name,
    state: normaliseState(driver, blocks, problems),
    size,
    ranges,
    targetNode,
    tier: targetNode === undefined ? undefined : kernel.nodeTiers[targetNode],
    uuid,
    source,
    driver,
    hotplug,
    blocks,
    blockSpan,
    problems,
  });
  return { indices, problems, finish };
}

/** A device's physical ranges, for callers that need nothing else of it. */
export function deviceRanges(sysfs: Sysfs, dir: string): Range[] {
  const size = BigInt(/^\d+$/.test(sysfs.read(`${dir}/size`) ?? '') ? sysfs.read(`${dir}/size`)! : '0');
  return readRanges(sysfs, dir, dir, size, []);
}

function readRanges(sysfs: Sysfs, dir: string, name: string, size: bigint, problems: string[]): Range[] {
  const mappings = sysfs
    .list(dir)
    .filter((e) => /^mapping\d+$/.test(e))
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

function readDriver(sysfs: Sysfs, dir: string): ObservedDevice['driver'] {
  const target = sysfs.link(`${dir}/driver`);
  if (target === undefined) return 'none';
  const driver = path.posix.basename(target);
  return driver === 'kmem' || driver === 'device_dax' ? (driver as Driver) : 'other';
}

/** Indices of the memory blocks wholly inside a range (kmem aligns inwards). */
export function blockIndices(range: Range, blockSize: bigint): number[] {
  const [first, last] = blockBounds(range, blockSize);
  const out: number[] = [];
  for (let i = first; i <= last; i++) out.push(i);
  return out;
}

/** First and last index of the blocks wholly inside a range (last < first when none). */
function blockBounds(range: Range, blockSize: bigint): [number, number] {
  return [Number((range.start + blockSize - 1n) / blockSize), Number((range.end + 1n) / blockSize - 1n)];
}

function blockCount(range: Range, blockSize: bigint): number {
  const [first, last] = blockBounds(range, blockSize);
  return Math.max(0, last - first + 1);
}

/**
 * The memory blocks of each device (indices[d]; problems go to problems[d]):
 * every block's state, then the zones of the online ones, each in one batch.
 */
function readBlocks(sysfs: Sysfs, indices: number[][], problems: string[][]): BlockState[][] {
  const all = indices.flat();
  const states = all.map((index) => sysfs.read(`${MEMORY}/memory${index}/state`));
  const online = all.filter((_, i) => states[i] === 'online');
  const zones = online.map((index) => sysfs.read(`${MEMORY}/memory${index}/valid_zones`));
  let i = 0;
  let z = 0;
  return indices.map((device, d) => {
    const blocks: BlockState[] = [];
    for (const index of device) {
      const state = states[i++];
      if (state === undefined) continue;
      if (state === 'online') {
        blocks.push({ index, state, zone: zones[z++] ?? '' });
      } else if (state === 'offline' || state === 'going-offline') {
        blocks.push({ index, state });
      } else {
        problems[d].push(`memory${index}/state: unknown value "${state}"`);
      }
    }
    return blocks;
  });
}

function normaliseState(driver: ObservedDevice['driver'], blocks: BlockState[], problems: string[]): ObservedState {
  if (driver !== 'kmem' && blocks.some((b) => b.state === 'online'))
    problems.push('memory blocks are online while the device is not bound to kmem: an unbind left them in the system until reboot');
  if (driver === 'device_dax') return 'devdax';
  if (driver === 'none') return 'unbound';
  if (driver === 'other') {
    problems.push('bound to a driver other than kmem or device_dax');
    return 'unbound';
  }
  if (blocks.length === 0) return 'unplug';
  const kinds = new Set(blocks.map(blockKind));
  if (kinds.size > 1) return 'mixed';
  const [kind] = kinds;
  if (kind === 'Normal') return 'online';
  if (kind === 'Movable') return 'online_movable';
  if (kind === 'offline') return 'offline';
  problems.push(`memory blocks in an unexpected zone or state: ${kind}`);
  return 'mixed';
}

function identity(sysfs: Sysfs, dir: string): { uuid: string | undefined; source: DeviceSource } {
  const source: DeviceSource = /\/ndbus\d+\//.test(dir)
    ? 'nvdimm'
    : /\/region\d+\/dax_region\d+\//.test(dir)
      ? 'cxl'
      : /\/hmem\d*\.\d+\//.test(dir)
        ? 'hmem'
        : 'unknown';
  for (let d = path.posix.dirname(dir); d.startsWith('devices/') && d !== 'devices'; d = path.posix.dirname(d)) {
    const text = sysfs.read(`${d}/uuid`);
    if (text && UUID.test(text) && text !== NULL_UUID) return { uuid: text.toLowerCase(), source };
  }
  return { uuid: undefined, source };
}

function parseBig(text: string | undefined, radix: 10 | 16, what: string, problems: string[]): bigint | undefined {
  if (text === undefined) {
    problems.push(`${what}: missing`);
    return undefined;
  }
  const ok = radix === 10 ? /^\d+$/.test(text) : /^0x[0-9a-f]+$/i.test(text);
  if (!ok) {
    problems.push(`${what}: cannot parse "${text}"`);
    return undefined;
  }
  return BigInt(text);
}

function parseNode(text: string | undefined, what: string, problems: string[]): number | undefined {
  if (text === undefined) {
    problems.push(`${what}: missing`);
    return undefined;
  }
  if (!/^-?\d+$/.test(text)) {
    problems.push(`${what}: cannot parse "${text}"`);
    return undefined;
  }
  const node = Number(text);
  return node < 0 ? undefined : node;
}
