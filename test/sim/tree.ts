// Writes sysfs trees with the kernel's real layout (symlinks included) from a
// compact description. Used for fixtures, examples, benchmarks and as the
// starting state of the simulated kernel.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { AutoOnline, StateWord } from '../../src/model/device.js';
import { formatNodeList } from '../../src/model/nodelist.js';

export const MiB = 1024n * 1024n;
export const DEFAULT_BLOCK_SIZE = 128n * MiB;

/**
 * A device's state in the description. A string of block letters describes
 * each block of a kmem-bound device: N online Normal, M online Movable,
 * o offline (e.g. "NNoo" is mixed).
 */
export type DeviceShape = 'devdax' | 'unbound' | 'unplug' | 'offline' | 'online' | 'online_movable' | string;

export interface DeviceSpec {
  name: string;
  node: number;
  blocks: number;
  state: DeviceShape;
  uuid?: string;
  source?: 'nvdimm' | 'cxl' | 'hmem';
  /** First block index; by default devices are laid out one after another. */
  firstBlock?: number;
  /** The `state` file's word when it is not what the blocks say (stale after per-block writes). */
  stateWord?: StateWord;
}

export interface HostSpec {
  blockSize?: bigint;
  autoOnline?: AutoOnline;
  /** A kernel with the whole-device `state` file (Linux 7.3+): kmem-bound devices carry it. */
  stateFile?: boolean;
  /** tier -> nodes; by default node 0 is tier 4 and nodes with online dax memory tier 22. */
  tiers?: Record<number, number[]>;
  /** Boot memory blocks on node 0 below the devices (default 32). */
  bootBlocks?: number;
  devices: DeviceSpec[];
}

export const MEMORY_DIR = 'devices/system/memory';
const DRIVERS = ['kmem', 'device_dax'] as const;

/** Where a device's sysfs directory lives for its source. */
export function devicePath(spec: Pick<DeviceSpec, 'name' | 'source'>): string {
  const [region, instance] = spec.name.slice(3).split('.');
  switch (spec.source ?? 'nvdimm') {
    case 'nvdimm':
      return `devices/platform/e820_pmem/ndbus0/region${region}/dax${region}.${instance}/${spec.name}`;
    case 'cxl':
      return `devices/platform/ACPI0017:00/root0/decoder0.0/region${region}/dax_region${region}/${spec.name}`;
    case 'hmem':
      return `devices/platform/hmem.${region}/${spec.name}`;
  }
}

export function writeFile(root: string, rel: string, content: string): void {
  const abs = path.join(root, rel);
  fs.mkdirSync(path.dirname(abs), { recursive: true });
  fs.writeFileSync(abs, content.endsWith('\n') || content === '' ? content : content + '\n');
}

export function symlink(root: string, rel: string, targetRel: string): void {
  const abs = path.join(root, rel);
  fs.mkdirSync(path.dirname(abs), { recursive: true });
  fs.rmSync(abs, { force: true });
  fs.symlinkSync(path.posix.relative(path.posix.dirname(rel), targetRel), abs);
}

export type BlockLetter = 'N' | 'M' | 'o';

/**
 * Where writeHost puts what it writes (root-relative paths): plain files and
 * symlinks by default; bench/tree.ts passes a faster writer for its large
 * read-only trees.
 */
export interface TreeWriter {
  /** Like writeFile: content gets a trailing newline unless empty or already ending in one. */
  file(rel: string, content: string): void;
  link(rel: string, targetRel: string): void;
  dir(rel: string): void;
}

function plainWriter(root: string): TreeWriter {
  return {
    file: (rel, content) => writeFile(root, rel, content),
    link: (rel, targetRel) => symlink(root, rel, targetRel),
    dir: (rel) => fs.mkdirSync(path.join(root, rel), { recursive: true }),
  };
}

/** Adds or rewrites one memory block directory. */
export function writeBlock(root: string, index: number, letter: BlockLetter, node: number): void {
  blockFiles(plainWriter(root), index, letter, node);
}

function blockFiles(w: TreeWriter, index: number, letter: BlockLetter, node: number): void {
  const dir = `${MEMORY_DIR}/memory${index}`;
  w.file(`${dir}/state`, letter === 'o' ? 'offline' : 'online');
  w.file(`${dir}/valid_zones`, letter === 'N' ? 'Normal' : letter === 'M' ? 'Movable' : 'Normal Movable');
  w.file(`${dir}/phys_index`, index.toString(16).padStart(8, '0'));
  w.file(`${dir}/removable`, '1');
  w.file(`${dir}/online`, letter === 'o' ? '0' : '1');
  w.link(`${dir}/node${node}`, `devices/system/node/node${node}`);
}

export function removeBlock(root: string, index: number): void {
  fs.rmSync(path.join(root, MEMORY_DIR, `memory${index}`), { recursive: true, force: true });
}

export function blockLetters(state: DeviceShape, blocks: number): BlockLetter[] | undefined {
  switch (state) {
    case 'devdax':
    case 'unbound':
    case 'unplug':
      return undefined;
    case 'offline':
      return Array(blocks).fill('o');
    case 'online':
      return Array(blocks).fill('N');
    case 'online_movable':
      return Array(blocks).fill('M');
    default:
      if (!/^[NMo]+$/.test(state) || state.length !== blocks) throw new Error(`bad block pattern "${state}" for ${blocks} blocks`);
      return [...state] as BlockLetter[];
  }
}

/** The `state` word a kernel shows for blocks in these states (a mixed device reads as it did before someone wrote its blocks: `online`). */
export function stateWordFor(letters: BlockLetter[] | undefined): StateWord {
  if (!letters || letters.length === 0) return 'unplugged';
  if (letters.every((l) => l === 'M')) return 'online_movable';
  if (letters.every((l) => l === 'o')) return 'offline';
  return 'online';
}

/** Points a device (name, root-relative directory) at a driver, or at none. */
export function setDriver(root: string, name: string, dev: string, driver: 'kmem' | 'device_dax' | undefined): void {
  for (const d of DRIVERS) fs.rmSync(path.join(root, `bus/dax/drivers/${d}/${name}`), { force: true });
  fs.rmSync(path.join(root, dev, 'driver'), { force: true });
  if (!driver) return;
  symlink(root, `bus/dax/drivers/${driver}/${name}`, dev);
  symlink(root, `${dev}/driver`, `bus/dax/drivers/${driver}`);
}

/** Writes a whole host tree into `root` (which should be empty). */
export function writeHost(root: string, host: HostSpec, w: TreeWriter = plainWriter(root)): void {
  const blockSize = host.blockSize ?? DEFAULT_BLOCK_SIZE;
  const bootBlocks = host.bootBlocks ?? 32;
  w.file(`${MEMORY_DIR}/block_size_bytes`, blockSize.toString(16));
  w.file(`${MEMORY_DIR}/auto_online_blocks`, host.autoOnline ?? 'offline');
  for (const d of DRIVERS) for (const f of ['bind', 'unbind', 'new_id', 'remove_id']) w.file(`bus/dax/drivers/${d}/${f}`, '');
  w.dir('bus/dax/devices');
  for (let i = 0; i < bootBlocks; i++) blockFiles(w, i, 'N', 0);

  const nodes = new Set([0, ...host.devices.map((d) => d.node)]);
  for (const n of nodes) w.file(`devices/system/node/node${n}/cpulist`, n === 0 ? '0-1' : '');
  w.file('devices/system/node/online', [...nodes].sort((a, b) => a - b).join(','));

  let next = bootBlocks;
  const onlineNodes = new Set<number>([0]);
  for (const spec of host.devices) {
    const first = spec.firstBlock ?? next;
    next = first + spec.blocks;
    const dev = devicePath(spec);
    const start = BigInt(first) * blockSize;
    const size = BigInt(spec.blocks) * blockSize;
    w.link(`bus/dax/devices/${spec.name}`, dev);
    w.file(`${dev}/size`, size.toString());
    w.file(`${dev}/target_node`, String(spec.node));
    w.file(`${dev}/numa_node`, String(spec.node));
    w.file(`${dev}/resource`, `0x${start.toString(16)}`);
    w.file(`${dev}/align`, '2097152');
    w.file(`${dev}/mapping0/start`, `0x${start.toString(16)}`);
    w.file(`${dev}/mapping0/end`, `0x${(start + size - 1n).toString(16)}`);
    w.file(`${dev}/mapping0/page_offset`, '0x0');
    w.file(`${dev}/modalias`, 'dax:t0');
    if (spec.uuid) writeUuid(w, spec, spec.uuid);

    const letters = blockLetters(spec.state, spec.blocks);
    const driver = spec.state === 'devdax' ? 'device_dax' : spec.state === 'unbound' ? undefined : 'kmem';
    if (driver) {
      w.link(`bus/dax/drivers/${driver}/${spec.name}`, dev);
      w.link(`${dev}/driver`, `bus/dax/drivers/${driver}`);
    }
    if (driver === 'kmem' && host.stateFile) w.file(`${dev}/state`, spec.stateWord ?? stateWordFor(letters));
    letters?.forEach((letter, i) => blockFiles(w, first + i, letter, spec.node));
    if (letters?.some((l) => l !== 'o')) onlineNodes.add(spec.node);
  }

  const tiers = host.tiers ?? defaultTiers(onlineNodes);
  for (const [tier, list] of Object.entries(tiers)) {
    w.file(`devices/virtual/memory_tiering/memory_tier${tier}/nodelist`, formatNodeList(list));
  }
}

function defaultTiers(onlineNodes: Set<number>): Record<number, number[]> {
  const far = [...onlineNodes].filter((n) => n !== 0).sort((a, b) => a - b);
  return far.length ? { 4: [0], 22: far } : { 4: [0] };
}

function writeUuid(w: TreeWriter, spec: DeviceSpec, uuid: string): void {
  const dev = devicePath(spec);
  if ((spec.source ?? 'nvdimm') === 'hmem') throw new Error(`${spec.name}: soft-reserved (hmem) devices have no UUID`);
  // nvdimm: the nd dax device (parent); cxl: the region two levels up.
  const owner = spec.source === 'cxl' ? path.posix.dirname(path.posix.dirname(dev)) : path.posix.dirname(dev);
  w.file(`${owner}/uuid`, uuid);
}
