// Writes sysfs trees with the kernel's real layout (symlinks included) from a
// compact description. Used for fixtures, examples, benchmarks and as the
// starting state of the simulated kernel.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { AutoOnline, CxlIdentity, StateWord } from '../../src/model/device.js';
import { formatNodeList } from '../../src/model/nodelist.js';
import { HOTPLUG_PARAMETERS, type HotplugParams } from '../../src/model/hotplug.js';

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
  /** nvdimm: the namespace's; cxl: the region's (a pmem region; without one the region is a RAM region). */
  uuid?: string;
  source?: 'nvdimm' | 'cxl' | 'hmem';
  /** For source cxl: the region's memdevs (default: one, with a serial unique on the host). */
  cxl?: CxlSpec;
  /** First block index; by default devices are laid out one after another. */
  firstBlock?: number;
  /** The `state` file's word when it is not what the blocks say (stale after per-block writes). */
  stateWord?: StateWord;
}

export interface CxlSpec {
  /** In interleave order; several make an interleaved region. */
  memdevs: CxlMemdevSpec[];
  /** The root decoder's qos_class (default -1: the kernel's "none"). */
  qosClass?: number;
}

export interface CxlMemdevSpec {
  serial: bigint;
  /** PCI address of the expander (default: one bus per memdev, 0000:0d:00.0 first). */
  pci?: string;
  /** The memdev's numa_node (default -1, as QEMU's expanders report: no proximity domain). */
  node?: number;
  /** ram/qos_class (absent by default, as the kernel hides an invalid one). */
  qosClass?: number;
}

export interface HostSpec {
  blockSize?: bigint;
  autoOnline?: AutoOnline;
  /** The memory_hotplug parameters (default: none shown, as before 5.15). */
  hotplug?: HotplugParams;
  /** A kernel with the whole-device `state` file (Linux 7.3+): kmem-bound devices carry it. */
  stateFile?: boolean;
  /** tier -> nodes; by default node 0 is tier 4 and nodes with online dax memory tier 22. */
  tiers?: Record<number, number[]>;
  /** Boot memory blocks on node 0 below the devices (default 32). */
  bootBlocks?: number;
  devices: DeviceSpec[];
}

export const MEMORY_DIR = 'devices/system/memory';
const CXL_ROOT = 'devices/platform/ACPI0017:00/root0';
const CXL_BUS = 'bus/cxl/devices';
const DRIVERS = ['kmem', 'device_dax'] as const;

/** Where a device's sysfs directory lives for its source. */
export function devicePath(spec: Pick<DeviceSpec, 'name' | 'source'>): string {
  const [region, instance] = spec.name.slice(3).split('.');
  switch (spec.source ?? 'nvdimm') {
    case 'nvdimm':
      return `devices/platform/e820_pmem/ndbus0/region${region}/dax${region}.${instance}/${spec.name}`;
    case 'cxl':
      return `${CXL_ROOT}/decoder0.${region}/region${region}/dax_region${region}/${spec.name}`;
    case 'hmem':
      return `devices/platform/hmem.${region}/${spec.name}`;
  }
}

/** A sysfs attribute's text as the kernel prints it: ending in a newline (unless empty). */
export function attributeText(content: string): string {
  return content.endsWith('\n') || content === '' ? content : content + '\n';
}

export function writeFile(root: string, rel: string, content: string): void {
  const abs = path.join(root, rel);
  fs.mkdirSync(path.dirname(abs), { recursive: true });
  fs.writeFileSync(abs, attributeText(content));
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

/**
 * Writes a new tree into an empty directory: each directory made once, no
 * link removed before it is written (nothing is there yet). writeHost's
 * default; the plain writer below is for rewriting a tree in place.
 */
export class FreshTreeWriter implements TreeWriter {
  private readonly dirs = new Set<string>();

  constructor(protected readonly root: string) {}

  dir(rel: string): void {
    if (this.dirs.has(rel)) return;
    fs.mkdirSync(path.join(this.root, rel), { recursive: true });
    for (let d = rel; d !== '.' && d !== ''; d = path.posix.dirname(d)) this.dirs.add(d);
  }

  file(rel: string, content: string): void {
    this.dir(path.posix.dirname(rel));
    fs.writeFileSync(path.join(this.root, rel), attributeText(content));
  }

  link(rel: string, targetRel: string): void {
    this.dir(path.posix.dirname(rel));
    fs.symlinkSync(path.posix.relative(path.posix.dirname(rel), targetRel), path.join(this.root, rel));
  }
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

/** The memory_hotplug parameters as the kernel prints them. */
function writeHotplug(w: TreeWriter, p: Extract<HotplugParams, { kind: 'read' }>): void {
  w.file(`${HOTPLUG_PARAMETERS}/online_policy`, p.onlinePolicy);
  w.file(`${HOTPLUG_PARAMETERS}/auto_movable_ratio`, String(p.autoMovableRatio));
  w.file(`${HOTPLUG_PARAMETERS}/auto_movable_numa_aware`, p.numaAware ? 'Y' : 'N');
  const memmap = { on: 'Y', off: 'N', force: 'force' } as const;
  if (p.memmapOnMemory !== 'absent') w.file(`${HOTPLUG_PARAMETERS}/memmap_on_memory`, memmap[p.memmapOnMemory]);
}

/** Writes a whole host tree into `root` (which should be empty). */
export function writeHost(root: string, host: HostSpec, w: TreeWriter = new FreshTreeWriter(root)): void {
  const blockSize = host.blockSize ?? DEFAULT_BLOCK_SIZE;
  const bootBlocks = host.bootBlocks ?? 32;
  w.file(`${MEMORY_DIR}/block_size_bytes`, blockSize.toString(16));
  w.file(`${MEMORY_DIR}/auto_online_blocks`, host.autoOnline ?? 'offline');
  if (host.hotplug?.kind === 'read') writeHotplug(w, host.hotplug);
  for (const d of DRIVERS) for (const f of ['bind', 'unbind', 'new_id', 'remove_id']) w.file(`bus/dax/drivers/${d}/${f}`, '');
  w.dir('bus/dax/devices');
  for (let i = 0; i < bootBlocks; i++) blockFiles(w, i, 'N', 0);

  const nodes = new Set([0, ...host.devices.map((d) => d.node)]);
  for (const n of nodes) w.file(`devices/system/node/node${n}/cpulist`, n === 0 ? '0-1' : '');
  w.file('devices/system/node/online', [...nodes].sort((a, b) => a - b).join(','));

  let next = bootBlocks;
  const onlineNodes = new Set<number>([0]);
  const cxl = cxlLayout();
  const cxlWritten = new Set<string>();
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
    if (spec.source === 'cxl') writeCxl(w, cxl(spec, start, size), cxlWritten);
    else if (spec.uuid) writeUuid(w, spec, spec.uuid);

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
  if ((spec.source ?? 'nvdimm') === 'hmem') throw new Error(`${spec.name}: soft-reserved (hmem) devices have no UUID`);
  // nvdimm: the nd dax device (the dax device's parent).
  w.file(`${path.posix.dirname(devicePath(spec))}/uuid`, uuid);
}

/** A CXL device's region and the memdevs behind it, as writeHost lays them out (and fakeHost reads them). */
export interface CxlLayout {
  regionDir: string;
  /** The pmem region's UUID; a RAM region has none. */
  uuid?: string;
  /** The root decoder's qos_class (-1: none). */
  rootQosClass: number;
  /** What observe reads from it (no serial marked shared yet). */
  identity: CxlIdentity;
  memdevs: { spec: CxlMemdevSpec; dir: string; endpoint: number }[];
}

const hex = (n: bigint | number) => `0x${n.toString(16)}`;

/**
 * Lays out CXL regions device by device with the chain Linux 7.3 shows (see
 * src/host/cxl.ts), numbered as the kernel numbers them in the QEMU guest of
 * test/fixtures/real-cxl-7.3: one host bridge (port1, pci0000:0c), a root
 * port per expander, endpoints from endpoint2, memdevs in probe order. The
 * devices of one region share its layout.
 */
export function cxlLayout(): (spec: DeviceSpec, start: bigint, size: bigint) => CxlLayout {
  let memdevs = 0;
  const regions = new Map<string, CxlLayout>();
  return (spec, start, size) => {
    const regionDir = path.posix.dirname(path.posix.dirname(devicePath(spec)));
    const known = regions.get(regionDir);
    if (known) return known;
    const specs = spec.cxl?.memdevs ?? [{ serial: 0x1000n + BigInt(memdevs) }];
    const placed = specs.map((m) => {
      const n = memdevs++;
      const pci = m.pci ?? `0000:${(0x0d + n).toString(16).padStart(2, '0')}:00.0`;
      return { spec: m, dir: `devices/pci0000:0c/0000:0c:${n.toString(16).padStart(2, '0')}.0/${pci}/mem${n}`, endpoint: n + 2, pci };
    });
    const ramClasses = new Set(specs.map((m) => m.qosClass));
    const rootQosClass = spec.cxl?.qosClass ?? -1;
    const layout: CxlLayout = {
      regionDir,
      uuid: spec.uuid,
      rootQosClass,
      identity: {
        region: path.posix.basename(regionDir),
        mode: spec.uuid ? 'pmem' : 'ram',
        start,
        size,
        interleaveWays: specs.length,
        qosClass: rootQosClass >= 0 ? rootQosClass : ramClasses.size === 1 ? [...ramClasses][0] : undefined,
        memdevs: placed.map((m) => ({ name: path.posix.basename(m.dir), serial: m.spec.serial, serialSharedWith: [], pci: m.pci, numaNode: m.spec.node !== undefined && m.spec.node >= 0 ? m.spec.node : undefined })),
      },
      memdevs: placed,
    };
    regions.set(regionDir, layout);
    return layout;
  };
}

/** Writes a region's chain once (the devices of one region share it). */
function writeCxl(w: TreeWriter, layout: CxlLayout, written: Set<string>): void {
  const { regionDir, identity } = layout;
  if (written.has(regionDir)) return;
  if (written.size === 0) {
    w.link(`${CXL_BUS}/root0`, CXL_ROOT);
    w.link(`${CXL_BUS}/port1`, `${CXL_ROOT}/port1`);
  }
  written.add(regionDir);
  const link = (name: string, dir: string) => w.link(`${CXL_BUS}/${name}`, dir);
  const rootDecoder = path.posix.dirname(regionDir);
  w.file(`${rootDecoder}/qos_class`, String(layout.rootQosClass));
  link(path.posix.basename(rootDecoder), rootDecoder);
  w.file(`${regionDir}/mode`, identity.mode!);
  w.file(`${regionDir}/resource`, hex(identity.start));
  w.file(`${regionDir}/size`, hex(identity.size));
  // A RAM region's uuid reads an empty line.
  w.file(`${regionDir}/uuid`, layout.uuid ?? '\n');
  w.file(`${regionDir}/interleave_ways`, String(identity.interleaveWays));
  w.file(`${regionDir}/interleave_granularity`, '256');
  w.file(`${regionDir}/commit`, '1');
  link(identity.region, regionDir);
  const share = identity.size / BigInt(identity.interleaveWays);
  layout.memdevs.forEach(({ spec, dir, endpoint }, i) => {
    const endpointDir = `${CXL_ROOT}/port1/endpoint${endpoint}`;
    const decoder = `decoder${endpoint}.0`;
    w.file(`${endpointDir}/${decoder}/mode`, identity.mode!);
    w.file(`${endpointDir}/${decoder}/start`, hex(identity.start));
    w.file(`${endpointDir}/${decoder}/size`, hex(identity.size));
    w.file(`${endpointDir}/${decoder}/dpa_size`, hex(share));
    w.file(`${regionDir}/target${i}`, decoder);
    w.file(`${dir}/serial`, hex(spec.serial));
    w.file(`${dir}/numa_node`, String(spec.node ?? -1));
    w.file(`${dir}/ram/size`, hex(share));
    if (spec.qosClass !== undefined) w.file(`${dir}/ram/qos_class`, String(spec.qosClass));
    w.link(`${endpointDir}/uport`, dir);
    link(`endpoint${endpoint}`, endpointDir);
    link(decoder, `${endpointDir}/${decoder}`);
    link(path.posix.basename(dir), dir);
  });
}
