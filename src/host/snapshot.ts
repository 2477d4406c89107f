// Snapshots: what daxplan observed on a host, as a JSON document, so plans can
// be made where the host is not (a CI job on a policy repository, a laptop
// without root). Exact: a plan made from fromSnapshot(toSnapshot(o, totals))
// is the plan made from o, warnings included. Schema: schemas/snapshot.schema.json.
import { validateSnapshot } from '../generated/validators.js';
import { readJsonDocument } from './jsonfile.js';
import { UsageError } from '../model/errors.js';
import { compareDeviceNames, stateFileSupport } from './observe.js';
import type { MemoryTotals } from '../model/host-facts.js';
import { type AutoOnline, type BlockState, type CxlIdentity, type Observed, type ObservedDevice, type StateFileSupport, type StateWord } from '../model/device.js';

export const SNAPSHOT_FORMAT_VERSION = '2.0';
const MAX_SNAPSHOT_BYTES = 8 << 20;
/** Memory blocks a snapshot may hold in all (the schema bounds each run). */
const MAX_BLOCKS = 1 << 20;

/** Consecutive memory blocks in one state and zone. */
export interface BlockRun {
  first: number;
  count: number;
  state: BlockState['state'];
  zone?: string;
}

export interface SnapshotDevice {
  name: string;
  state: ObservedDevice['state'];
  size: string;
  ranges: { start: string; end: string }[];
  target_node: number | null;
  tier: number | null;
  uuid: string | null;
  source: ObservedDevice['source'];
  /** Absent in snapshots made before daxplan read CXL identities. */
  cxl?: SnapshotCxl | null;
  /** Absent in snapshots made before daxplan read CXL windows. */
  unassembled?: { decoder: string; start: string; end: string } | null;
  driver: ObservedDevice['driver'];
  state_file: StateWord | null;
  blocks: BlockRun[];
  block_span: number;
  problems: string[];
}

export interface SnapshotCxl {
  region: string;
  mode: string | null;
  start: string;
  size: string;
  interleave_ways: number;
  qos_class: number | null;
  memdevs: { name: string; serial: string; serial_shared_with: string[]; pci: string | null; numa_node: number | null }[];
}

export interface Snapshot {
  format_version: string;
  kind: 'snapshot';
  captured_at: string;
  hostname?: string;
  kernel: {
    block_size: string | null;
    auto_online_blocks: AutoOnline | null;
    state_file: StateFileSupport;
    node_tiers: Record<string, number>;
    problems: string[];
  };
  /** Online memory by zone over the whole host, for the movable-ratio check; null when unreadable. */
  memory: { kernel: string; movable: string } | null;
  devices: SnapshotDevice[];
}

export interface SnapshotMeta {
  capturedAt: Date;
  hostname?: string;
}

export function toSnapshot(observed: Observed, totals: MemoryTotals | undefined, meta: SnapshotMeta): Snapshot {
  const k = observed.kernel;
  return {
    format_version: SNAPSHOT_FORMAT_VERSION,
    kind: 'snapshot',
    captured_at: meta.capturedAt.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    ...(meta.hostname ? { hostname: meta.hostname } : {}),
    kernel: {
      block_size: k.blockSize === undefined ? null : k.blockSize.toString(),
      auto_online_blocks: k.autoOnlineBlocks ?? null,
      state_file: k.stateFile,
      node_tiers: Object.fromEntries(Object.entries(k.nodeTiers).map(([node, tier]) => [String(node), tier])),
      problems: k.problems,
    },
    memory: totals ? { kernel: totals.kernel.toString(), movable: totals.movable.toString() } : null,
    devices: observed.devices.map((d) => ({
      name: d.name,
      state: d.state,
      size: d.size.toString(),
      ranges: d.ranges.map((r) => ({ start: hex(r.start), end: hex(r.end) })),
      target_node: d.targetNode ?? null,
      tier: d.tier ?? null,
      uuid: d.uuid ?? null,
      source: d.source,
      unassembled: d.unassembled ? { decoder: d.unassembled.decoder, start: hex(d.unassembled.start), end: hex(d.unassembled.end) } : null,
      cxl: d.cxl ? cxlToSnapshot(d.cxl) : null,
      driver: d.driver,
      state_file: d.stateFile ?? null,
      blocks: blockRuns(d.blocks),
      block_span: d.blockSpan,
      problems: d.problems,
    })),
  };
}

/** The Observed a snapshot was made from; `only` filters devices as observe() does. */
export function fromSnapshot(snapshot: Snapshot, only?: readonly string[]): Observed {
  const k = snapshot.kernel;
  const devices = snapshot.devices
    .filter((d) => !only || only.includes(d.name))
    .map(deviceFrom)
    .sort((a, b) => compareDeviceNames(a.name, b.name));
  const nodeTiers: Record<number, number> = {};
  for (const [node, tier] of Object.entries(k.node_tiers)) nodeTiers[Number(node)] = tier;
  return {
    kernel: {
      blockSize: k.block_size === null ? undefined : BigInt(k.block_size),
      autoOnlineBlocks: k.auto_online_blocks ?? undefined,
      // observe() judges the attribute from the devices it read: so must a filtered snapshot.
      stateFile: only ? stateFileSupport(devices) : k.state_file,
      nodeTiers,
      problems: [...k.problems],
    },
    devices,
  };
}

export function snapshotTotals(snapshot: Snapshot): MemoryTotals | undefined {
  return snapshot.memory ? { kernel: BigInt(snapshot.memory.kernel), movable: BigInt(snapshot.memory.movable) } : undefined;
}

/** Reads a snapshot file as hostile input: size, schema, then what a schema cannot say. */
export function readSnapshot(file: string): Snapshot {
  const snapshot = readJsonDocument<Snapshot>(file, {
    kind: 'snapshot',
    what: 'daxplan snapshot',
    hint: 'make one with daxplan snapshot > FILE',
    maxBytes: MAX_SNAPSHOT_BYTES,
    validate: validateSnapshot,
    major: 2,
  });
  const names = new Set<string>();
  let blocks = 0;
  for (const d of snapshot.devices) {
    if (names.has(d.name)) throw new UsageError(`${file}: device ${d.name} appears twice; not a daxplan snapshot`);
    names.add(d.name);
    for (const run of d.blocks) blocks += run.count;
  }
  if (blocks > MAX_BLOCKS) throw new UsageError(`${file}: more than ${MAX_BLOCKS} memory blocks; not a daxplan snapshot`);
  return snapshot;
}

function deviceFrom(d: SnapshotDevice): ObservedDevice {
  return {
    name: d.name,
    state: d.state,
    size: BigInt(d.size),
    ranges: d.ranges.map((r) => ({ start: BigInt(r.start), end: BigInt(r.end) })),
    targetNode: d.target_node ?? undefined,
    tier: d.tier ?? undefined,
    uuid: d.uuid ?? undefined,
    source: d.source,
    cxl: d.cxl ? cxlFromSnapshot(d.cxl) : undefined,
    ...(d.unassembled ? { unassembled: { decoder: d.unassembled.decoder, start: BigInt(d.unassembled.start), end: BigInt(d.unassembled.end) } } : {}),
    driver: d.driver,
    stateFile: d.state_file ?? undefined,
    blocks: d.blocks.flatMap(expandRun),
    blockSpan: d.block_span,
    problems: [...d.problems],
  };
}

function cxlToSnapshot(c: CxlIdentity): SnapshotCxl {
  return {
    region: c.region,
    mode: c.mode ?? null,
    start: hex(c.start),
    size: c.size.toString(),
    interleave_ways: c.interleaveWays,
    qos_class: c.qosClass ?? null,
    memdevs: c.memdevs.map((m) => ({ name: m.name, serial: hex(m.serial), serial_shared_with: m.serialSharedWith, pci: m.pci ?? null, numa_node: m.numaNode ?? null })),
  };
}

function cxlFromSnapshot(c: SnapshotCxl): CxlIdentity {
  return {
    region: c.region,
    mode: c.mode ?? undefined,
    start: BigInt(c.start),
    size: BigInt(c.size),
    interleaveWays: c.interleave_ways,
    qosClass: c.qos_class ?? undefined,
    memdevs: c.memdevs.map((m) => ({ name: m.name, serial: BigInt(m.serial), serialSharedWith: [...m.serial_shared_with], pci: m.pci ?? undefined, numaNode: m.numa_node ?? undefined })),
  };
}

export function blockRuns(blocks: readonly BlockState[]): BlockRun[] {
  const runs: BlockRun[] = [];
  for (const block of blocks) {
    const last = runs[runs.length - 1];
    if (last && last.first + last.count === block.index && last.state === block.state && (block.state !== 'online' || last.zone === block.zone)) last.count++;
    else runs.push(block.state === 'online' ? { first: block.index, count: 1, state: 'online', zone: block.zone } : { first: block.index, count: 1, state: block.state });
  }
  return runs;
}

function expandRun(run: BlockRun): BlockState[] {
  return Array.from({ length: run.count }, (_, i): BlockState =>
    run.state === 'online' ? { index: run.first + i, state: 'online', zone: run.zone ?? '' } : { index: run.first + i, state: run.state },
  );
}

function hex(n: bigint): string {
  return `0x${n.toString(16)}`;
}
