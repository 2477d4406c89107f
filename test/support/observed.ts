// An in-memory host for planner tests: the Observed a kernel in this shape
// would read as, built without touching a disk. Trees on disk are for the
// code that reads and writes them (observe, apply, the CLI).
import { blockLetters, cxlLayout, DEFAULT_BLOCK_SIZE, stateWordFor, type HostSpec } from '../sim/tree.js';
import type { BlockState, Observed, ObservedDevice, ObservedState } from '../../src/model/device.js';
import { markShared } from '../../src/host/cxl.js';

const ZONE = { N: 'Normal', M: 'Movable' } as const;

export function fakeHost(spec: HostSpec): Observed {
  const blockSize = spec.blockSize ?? DEFAULT_BLOCK_SIZE;
  const onlineNodes = new Set<number>();
  let next = spec.bootBlocks ?? 32;
  const cxl = cxlLayout();
  const devices = spec.devices.map((d): ObservedDevice => {
    const first = d.firstBlock ?? next;
    next = first + d.blocks;
    const letters = blockLetters(d.state, d.blocks);
    const blocks = (letters ?? []).map((l, i): BlockState => (l === 'o' ? { index: first + i, state: 'offline' } : { index: first + i, state: 'online', zone: ZONE[l] }));
    if (letters?.some((l) => l !== 'o')) onlineNodes.add(d.node);
    const driver = d.state === 'devdax' ? 'device_dax' : d.state === 'unbound' ? 'none' : 'kmem';
    const start = BigInt(first) * blockSize;
    return {
      name: d.name,
      state: stateOf(d.state),
      size: BigInt(d.blocks) * blockSize,
      ranges: [{ start, end: start + BigInt(d.blocks) * blockSize - 1n }],
      targetNode: d.node,
      tier: undefined,
      uuid: d.uuid,
      source: d.source ?? 'nvdimm',
      cxl: d.source === 'cxl' ? cxl(d, start, BigInt(d.blocks) * blockSize).identity : undefined,
      unassembled: undefined,
      driver,
      stateFile: spec.stateFile && driver === 'kmem' ? (d.stateWord ?? stateWordFor(letters)) : undefined,
      blocks,
      blockSpan: d.blocks,
      problems: [],
    };
  });
  const tiers = spec.tiers ?? { 4: [0], 22: [...onlineNodes].filter((n) => n !== 0) };
  const nodeTiers: Record<number, number> = {};
  for (const [tier, nodes] of Object.entries(tiers)) for (const n of nodes) nodeTiers[n] = Number(tier);
  for (const d of devices) d.tier = d.targetNode === undefined ? undefined : nodeTiers[d.targetNode];
  markShared([...new Set(devices.flatMap((d) => d.cxl?.memdevs ?? []))], []);
  return {
    kernel: { blockSize, autoOnlineBlocks: spec.autoOnline ?? 'offline', hotplug: spec.hotplug ?? { kind: 'absent' }, stateFile: devices.some((d) => d.stateFile) ? 'seen' : 'not-seen', nodeTiers, problems: [] },
    devices,
  };
}

function stateOf(shape: string): ObservedState {
  if (['devdax', 'unbound', 'unplug', 'offline', 'online', 'online_movable'].includes(shape)) return shape as ObservedState;
  const kinds = new Set(shape);
  if (kinds.size > 1) return 'mixed';
  return shape[0] === 'N' ? 'online' : shape[0] === 'M' ? 'online_movable' : 'offline';
}
