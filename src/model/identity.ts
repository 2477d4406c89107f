// A device as two values: what it *is* (its identity: name, UUID, extent,
// node, CXL region and memdevs) and what its memory *does* (driver, state,
// state file, blocks). Each has one serialisation, the JSON every document
// carries (snapshots, saved plans), and one comparison, made on it: a field
// added to identity here is saved, restored and checked everywhere at once.
import { describeDevice, type BlockState, type CxlIdentity, type ObservedDevice } from './device.js';
import { hex } from './units.js';

export type Identity = Pick<ObservedDevice, 'name' | 'uuid' | 'size' | 'ranges' | 'targetNode' | 'cxl'>;
export type Memory = Pick<ObservedDevice, 'driver' | 'state' | 'stateFile' | 'blocks'>;

export interface IdentityJson {
  name: string;
  uuid: string | null;
  size: string;
  ranges: { start: string; end: string }[];
  target_node: number | null;
  cxl: CxlJson | null;
}

export interface CxlJson {
  region: string;
  mode: string | null;
  start: string;
  size: string;
  interleave_ways: number;
  qos_class: number | null;
  memdevs: { name: string; serial: string; serial_shared_with: string[]; pci: string | null; numa_node: number | null }[];
}

export interface MemoryJson {
  driver: ObservedDevice['driver'];
  state: ObservedDevice['state'];
  state_file: ObservedDevice['stateFile'] | null;
  blocks: BlockRun[];
}

/** Consecutive memory blocks in one state and zone. */
export interface BlockRun {
  first: number;
  count: number;
  state: BlockState['state'];
  zone?: string;
}

export function identityJson(d: Identity): IdentityJson {
  return {
    name: d.name,
    uuid: d.uuid ?? null,
    size: d.size.toString(),
    ranges: d.ranges.map((r) => ({ start: hex(r.start), end: hex(r.end) })),
    target_node: d.targetNode ?? null,
    cxl: d.cxl ? cxlJson(d.cxl) : null,
  };
}

/** `cxl` may be absent in snapshots made before daxplan read CXL identities. */
export function identityFrom(j: Omit<IdentityJson, 'cxl'> & { cxl?: CxlJson | null }): Identity {
  return {
    name: j.name,
    uuid: j.uuid ?? undefined,
    size: BigInt(j.size),
    ranges: j.ranges.map((r) => ({ start: BigInt(r.start), end: BigInt(r.end) })),
    targetNode: j.target_node ?? undefined,
    cxl: j.cxl ? cxlFrom(j.cxl) : undefined,
  };
}

export function memoryJson(d: Memory): MemoryJson {
  return { driver: d.driver, state: d.state, state_file: d.stateFile ?? null, blocks: blockRuns(d.blocks) };
}

export function memoryFrom(j: MemoryJson): Memory {
  return { driver: j.driver, state: j.state, stateFile: j.state_file ?? undefined, blocks: expandRuns(j.blocks) };
}

/** What makes `now` another device than `was`, in words ("its CXL memdevs mem1 (serial 0x5678ef01), were ..."); empty when it is the same. */
export function identityChanges(was: Identity, now: Identity): string[] {
  const [a, b] = [identityJson(was), identityJson(now)];
  return (Object.keys(a) as (keyof IdentityJson)[])
    .filter((key) => JSON.stringify(a[key]) !== JSON.stringify(b[key]))
    .map((key) => `its ${FIELD_WORDS[key]} ${describeField(key, b)}, was ${describeField(key, a)}`);
}

/** Why `now` is not `was` any more: another device, or its memory elsewhere; undefined when neither. */
export function deviceChange(was: Identity & Memory, now: Identity & Memory): string | undefined {
  const other = identityChanges(was, now);
  if (other.length) return `${was.name} is another device now: ${other.join('; ')}`;
  if (sameMemory(was, now)) return undefined;
  const [before, after] = [describeDevice(was), describeDevice(now)];
  return before === after ? `${was.name}'s state file read ${was.stateFile ?? 'nothing'}, now ${now.stateFile ?? 'nothing'}` : `${was.name} was ${before}, is now ${after}`;
}

/** The same memory in the system: the same driver, state, state file and every block in the same state and zone. */
export function sameMemory(a: Memory, b: Memory): boolean {
  return JSON.stringify(memoryJson(a)) === JSON.stringify(memoryJson(b));
}

const FIELD_WORDS: Record<keyof IdentityJson, string> = { name: 'name', uuid: 'UUID', size: 'size', ranges: 'ranges', target_node: 'node', cxl: 'CXL region' };

function describeField(key: keyof IdentityJson, j: IdentityJson): string {
  if (key === 'ranges') return j.ranges.map((r) => `${r.start}-${r.end}`).join(',') || 'none';
  if (key !== 'cxl') return String(j[key] ?? 'none');
  if (!j.cxl) return 'none';
  const memdevs = j.cxl.memdevs.map((m) => `${m.name} (serial ${m.serial}${m.pci ? `, ${m.pci}` : ''})`).join(', ');
  return `${j.cxl.region} (${j.cxl.mode ?? '?'}, ${j.cxl.start}, ${j.cxl.size} bytes, ${j.cxl.interleave_ways}-way, QoS class ${j.cxl.qos_class ?? 'none'}) on ${memdevs}`;
}

function cxlJson(c: CxlIdentity): CxlJson {
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

function cxlFrom(c: CxlJson): CxlIdentity {
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

function blockRuns(blocks: readonly BlockState[]): BlockRun[] {
  const runs: BlockRun[] = [];
  for (const block of blocks) {
    const last = runs[runs.length - 1];
    if (last && last.first + last.count === block.index && last.state === block.state && (block.state !== 'online' || last.zone === block.zone)) last.count++;
    else runs.push(block.state === 'online' ? { first: block.index, count: 1, state: 'online', zone: block.zone } : { first: block.index, count: 1, state: block.state });
  }
  return runs;
}

// One loop into one array: a fleet plan expands millions of blocks.
function expandRuns(runs: readonly BlockRun[]): BlockState[] {
  const blocks: BlockState[] = [];
  for (const run of runs)
    for (let index = run.first; index < run.first + run.count; index++)
      blocks.push(run.state === 'online' ? { index, state: 'online', zone: run.zone ?? '' } : { index, state: run.state });
  return blocks;
}
