// Snapshots: what daxplan observed on a host, as a JSON document, so plans can
// be made where the host is not (a CI job on a policy repository, a laptop
// without root). Exact: a plan made from fromSnapshot(toSnapshot(o, totals))
// is the plan made from o, warnings included. Schema: schemas/snapshot.schema.json.
import { validateSnapshot } from '../generated/validators.js';
import { checkDeviceList, type JsonDocument, parseJsonDocument, readJsonDocument } from './jsonfile.js';
import { HostError, UsageError } from '../model/errors.js';
import { compareDeviceNames } from './observe.js';
import type { MemoryTotals, ProcFacts } from '../model/host-facts.js';
import { hotplugFromJson, hotplugToJson, type HotplugJson } from '../model/hotplug.js';
import { stateFileSupport, type AutoOnline, type Observed, type ObservedDevice, type StateFileSupport } from '../model/device.js';
import { identityFrom, identityJson, memoryFrom, memoryJson, type IdentityJson, type MemoryJson } from '../model/identity.js';
import { hex } from '../model/units.js';

export const SNAPSHOT_FORMAT_VERSION = '2.1';
const MAX_SNAPSHOT_BYTES = 8 << 20;

/** A device in a snapshot: its identity and its memory (model/identity.ts), and what observe() derived. */
export type SnapshotDevice = IdentityJson &
  MemoryJson & {
    tier: number | null;
    source: ObservedDevice['source'];
    /** Absent in snapshots made before daxplan read CXL windows. */
    unassembled?: { decoder: string; start: string; end: string } | null;
    block_span: number;
    problems: string[];
  };

export interface Snapshot {
  format_version: string;
  kind: 'snapshot';
  captured_at: string;
  hostname?: string;
  /** The boot it was taken in (2.1): a plan saved from the snapshot is bound to it. */
  host?: { boot_id: string | null; kernel_release: string | null };
  kernel: {
    block_size: string | null;
    auto_online_blocks: AutoOnline | null;
    /** Absent in snapshots made before daxplan read the memory_hotplug parameters; null when the kernel shows none. */
    memory_hotplug?: HotplugJson | null;
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
  binding?: ProcFacts;
}

export function toSnapshot(observed: Observed, totals: MemoryTotals | undefined, meta: SnapshotMeta): Snapshot {
  const k = observed.kernel;
  return {
    format_version: SNAPSHOT_FORMAT_VERSION,
    kind: 'snapshot',
    captured_at: meta.capturedAt.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    ...(meta.hostname ? { hostname: meta.hostname } : {}),
    ...(meta.binding ? { host: { boot_id: meta.binding.bootId, kernel_release: meta.binding.kernelRelease } } : {}),
    kernel: {
      block_size: k.blockSize === undefined ? null : k.blockSize.toString(),
      auto_online_blocks: k.autoOnlineBlocks ?? null,
      memory_hotplug: hotplugToJson(k.hotplug),
      state_file: k.stateFile,
      node_tiers: Object.fromEntries(Object.entries(k.nodeTiers).map(([node, tier]) => [String(node), tier])),
      problems: k.problems,
    },
    memory: totals ? { kernel: totals.kernel.toString(), movable: totals.movable.toString() } : null,
    devices: observed.devices.map((d) => ({
      ...identityJson(d),
      ...memoryJson(d),
      tier: d.tier ?? null,
      source: d.source,
      unassembled: d.unassembled ? { decoder: d.unassembled.decoder, start: hex(d.unassembled.start), end: hex(d.unassembled.end) } : null,
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
      hotplug: hotplugFromJson(k.memory_hotplug),
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

const SNAPSHOT_DOCUMENT: JsonDocument = {
  kind: 'snapshot',
  what: 'daxplan snapshot',
  hint: 'make one with daxplan snapshot > FILE',
  maxBytes: MAX_SNAPSHOT_BYTES,
  validate: validateSnapshot,
  major: 2,
};

/** Reads a snapshot file as hostile input: size, schema, then what a schema cannot say. */
export function readSnapshot(file: string): Snapshot {
  return checkSnapshot(readJsonDocument<Snapshot>(file, SNAPSHOT_DOCUMENT), file);
}

/**
 * A snapshot's text, once readSnapshot would take it back: a host whose
 * snapshot daxplan could not read again (too many problems, too large) gets
 * an error, never a file that fails later, elsewhere.
 */
export function snapshotText(snapshot: Snapshot): string {
  const text = JSON.stringify(snapshot, null, 2) + '\n';
  try {
    checkSnapshot(parseJsonDocument<Snapshot>(text, 'the snapshot', SNAPSHOT_DOCUMENT), 'the snapshot');
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    throw new HostError(`not writing a snapshot daxplan could not read back: ${err.message}`);
  }
  return text;
}

/** What a schema cannot say about a snapshot: a device named twice, more blocks than a host has. */
function checkSnapshot(snapshot: Snapshot, file: string): Snapshot {
  checkDeviceList(file, 'daxplan snapshot', snapshot.devices);
  return snapshot;
}

function deviceFrom(d: SnapshotDevice): ObservedDevice {
  // Built field by field (ObservedDevice's order), not spread: spread objects take another shape, and a
  // fleet plan of 10,000 snapshots spent 40% more CPU on them (npm run bench -- --only fleet).
  const { name, uuid, size, ranges, targetNode, cxl } = identityFrom(d);
  const { driver, state, stateFile, blocks } = memoryFrom(d);
  const unassembled = d.unassembled ? { decoder: d.unassembled.decoder, start: BigInt(d.unassembled.start), end: BigInt(d.unassembled.end) } : undefined;
  return { name, state, size, ranges, targetNode, tier: d.tier ?? undefined, uuid, source: d.source, cxl, unassembled, driver, stateFile, blocks, blockSpan: d.block_span, problems: [...d.problems] };
}
