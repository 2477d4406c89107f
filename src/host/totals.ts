// Online memory by zone across the host, for the movable-ratio check.
import { isRealSysfs, MEMORY, SysfsReadError, type Sysfs } from './sysfs.js';
import { readZoneTotals } from './zoneinfo.js';
import { parseBlockSize } from './observe.js';
import type { BlockState, Observed } from '../model/device.js';
import type { MemoryTotals } from '../model/host-facts.js';

/**
 * Online memory by zone across the host: on this host the kernel's own count
 * (/proc/zoneinfo, zoneinfo.ts); in a tree, its blocks. Blocks of `observed`
 * devices (read in this run) are taken from it, not read again. The others
 * are read in two batches (states, then the zones of the online ones).
 */
export function observeMemoryTotals(sysfs: Sysfs, observed?: Observed): MemoryTotals | undefined {
  if (isRealSysfs(sysfs.root)) {
    const counted = readZoneTotals();
    if (counted) return counted;
  }
  try {
    return readTotals(sysfs, observed);
  } catch (err) {
    // A tree whose blocks cannot be read has no totals: the ratio check says so instead of guessing.
    if (err instanceof SysfsReadError) return undefined;
    throw err;
  }
}

function readTotals(sysfs: Sysfs, observed?: Observed): MemoryTotals | undefined {
  const blockSize = parseBlockSize(sysfs.read(`${MEMORY}/block_size_bytes`));
  if (blockSize === undefined) return undefined;
  const known = new Map<number, BlockState>();
  for (const device of observed?.devices ?? []) for (const block of device.blocks) known.set(block.index, block);
  // Counted in blocks (numbers, not bigints: 32k additions on a 4 TiB host).
  let kernel = 0;
  let movable = 0;
  const count = (zone: string) => (zone === 'Movable' ? movable++ : kernel++);
  const unknown: string[] = [];
  for (const entry of sysfs.list(MEMORY)) {
    if (!/^memory\d+$/.test(entry)) continue;
    const block = known.get(Number(entry.slice(6)));
    if (!block) unknown.push(entry);
    else if (block.state === 'online') count(block.zone);
  }
  const states = unknown.map((entry) => sysfs.read(`${MEMORY}/${entry}/state`));
  const online = unknown.filter((_, i) => states[i] === 'online');
  for (const zone of online.map((entry) => sysfs.read(`${MEMORY}/${entry}/valid_zones`))) count(zone ?? '');
  return { kernel: BigInt(kernel) * blockSize, movable: BigInt(movable) * blockSize };
}

