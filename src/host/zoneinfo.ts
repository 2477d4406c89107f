// Online memory by zone as the kernel counts it (/proc/zoneinfo), for this
// host: one read instead of two files per memory block (a 4 TiB host has 32k
// blocks; reading them was most of a move into ZONE_MOVABLE after start-up).
// Each zone's present pages, its CMA pages counted as movable (they can hold
// movable allocations only, as in the kernel's own auto-movable statistics).
// Trees and snapshots have no /proc: their totals come from the blocks
// (totals.ts). A /proc that is not procfs is not asked.
import { readFileSync, statfsSync } from 'node:fs';
import { arch, endianness } from 'node:os';
import type { MemoryTotals } from '../model/host-facts.js';

/**
 * Present pages in ZONE_MOVABLE (and CMA) and in the kernel's zones (DMA,
 * DMA32, Normal; ZONE_DEVICE holds none), or undefined when the text is not
 * zoneinfo.
 */
export function parseZoneinfo(text: string): { kernel: bigint; movable: bigint } | undefined {
  const zones: { name: string; present: bigint; cma: bigint }[] = [];
  for (const line of text.split('\n')) {
    const header = /^Node\s+\d+,\s+zone\s+(\S+)\s*$/.exec(line);
    if (header) zones.push({ name: header[1], present: 0n, cma: 0n });
    const count = /^\s+(present|cma)\s+(\d{1,20})$/.exec(line);
    if (count && zones.length) zones[zones.length - 1][count[1] as 'present' | 'cma'] = BigInt(count[2]);
  }
  let kernel = 0n;
  let movable = 0n;
  for (const zone of zones) {
    if (zone.name === 'Movable') movable += zone.present;
    else if (zone.name !== 'Device') {
      const cma = zone.cma <= zone.present ? zone.cma : zone.present;
      kernel += zone.present - cma;
      movable += cma;
    }
  }
  return zones.length > 0 && kernel > 0n ? { kernel, movable } : undefined;
}

const AT_NULL = 0n;
const AT_PAGESZ = 6n;

/** The page size in an ELF auxiliary vector (/proc/self/auxv: pairs of machine words, type then value). */
export function pageSizeFromAuxv(auxv: Buffer, wordBytes: 4 | 8, littleEndian: boolean): number | undefined {
  const word = (at: number): bigint =>
    wordBytes === 8
      ? littleEndian
        ? auxv.readBigUInt64LE(at)
        : auxv.readBigUInt64BE(at)
      : BigInt(littleEndian ? auxv.readUInt32LE(at) : auxv.readUInt32BE(at));
  for (let at = 0; at + 2 * wordBytes <= auxv.length; at += 2 * wordBytes) {
    const type = word(at);
    if (type === AT_NULL) return undefined;
    if (type !== AT_PAGESZ) continue;
    const size = Number(word(at + wordBytes));
    // A power of two from 4 KiB to 1 MiB: anything else is not a page size.
    return size >= 4096 && size <= 1 << 20 && (size & (size - 1)) === 0 ? size : undefined;
  }
  return undefined;
}

const PROC_SUPER_MAGIC = 0x9fa0;
const WORD_BYTES: Record<string, 4 | 8> = { arm: 4, ia32: 4, mips: 4, mipsel: 4, ppc: 4 };

/** This host's online memory by zone from /proc, or undefined when /proc cannot say (then the blocks are read). */
export function readZoneTotals(procRoot = '/proc'): MemoryTotals | undefined {
  let zoneinfo: string;
  let auxv: Buffer;
  try {
    if (statfsSync(procRoot).type !== PROC_SUPER_MAGIC) return undefined;
    zoneinfo = readFileSync(`${procRoot}/zoneinfo`, 'latin1');
    auxv = readFileSync(`${procRoot}/self/auxv`);
  } catch {
    return undefined;
  }
  const pages = parseZoneinfo(zoneinfo);
  const pageSize = pageSizeFromAuxv(auxv, WORD_BYTES[arch()] ?? 8, endianness() === 'LE');
  if (!pages || pageSize === undefined) return undefined;
  return { kernel: pages.kernel * BigInt(pageSize), movable: pages.movable * BigInt(pageSize) };
}
