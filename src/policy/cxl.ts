// Policy selectors for CXL memory by what survives a reboot: the memdevs'
// serial numbers and PCI addresses, the QoS class, and the physical address
// range. Parsing (after the schema has checked the shapes) and the shadowing
// lint; matching is src/plan/match-cxl.ts.
import { NO_SERIAL, normalisePci, parseU64 } from '../model/device.js';

/** A physical address window, both ends inclusive (as /proc/iomem and sysfs print ranges). */
export interface AddressWindow {
  start: bigint;
  end: bigint;
}

/** Whether every memdev of an interleaved region must match serial and pci, or one is enough. */
export type MemdevQuantifier = 'all' | 'any';

export interface CxlSelectors {
  serial?: bigint[];
  /** PCI addresses, lower case with the domain (0000:0d:00.0). */
  pci?: string[];
  qos_class?: number[];
  address?: AddressWindow[];
  memdevs?: MemdevQuantifier;
}

/** Reports a problem at a path under the rule's match (e.g. ['serial', 1]). */
export type Report = (path: (string | number)[], message: string) => void;
/** The text of a scalar as written in the file, for numbers too large to trust as JavaScript numbers. */
export type SourceText = (path: (string | number)[]) => string | undefined;

/** The CXL selectors of a match the schema accepted; problems go to report. */
export function parseCxlSelectors(raw: Record<string, unknown>, report: Report, source: SourceText): CxlSelectors {
  const selectors: CxlSelectors = {};
  const list = (key: string): { value: unknown; at: (string | number)[] }[] => {
    const value = raw[key];
    if (value === undefined) return [];
    return Array.isArray(value) ? value.map((v, i) => ({ value: v, at: [key, i] })) : [{ value, at: [key] }];
  };
  if (raw.serial !== undefined)
    selectors.serial = list('serial').flatMap(({ value, at }) => {
      // YAML reads 0x1a2b as a number; its digits as written are exact where a number may not be (a tagged !!int "0x1a2b" is quoted there).
      const text = typeof value === 'string' ? value : (source(at)?.replace(/^(["'])(.*)\1$/, '$2') ?? String(value));
      const serial = parseU64(text);
      if (serial === NO_SERIAL) {
        report(at, `serial ${text} is what a memdev without a serial reports (cxl list prints none for it): it names no device; select it by pci or address`);
        return [];
      }
      if (serial !== undefined) return [serial];
      report(at, `serial "${text}" is not a 64-bit number as cxl list prints it (decimal, or hex with 0x)`);
      return [];
    });
  if (raw.pci !== undefined)
    selectors.pci = list('pci').map(({ value }) => normalisePci(String(value))!);
  if (raw.qos_class !== undefined) selectors.qos_class = list('qos_class').map(({ value }) => value as number);
  if (raw.address !== undefined)
    selectors.address = list('address').flatMap(({ value, at }) => {
      const { start, end } = value as { start: string; end: string };
      const window = { start: BigInt(start), end: BigInt(end) };
      if (window.start <= window.end) return [window];
      report(at, `address window ends (${end}) before it starts (${start})`);
      return [];
    });
  if (raw.memdevs !== undefined) {
    selectors.memdevs = raw.memdevs as MemdevQuantifier;
    if (raw.serial === undefined && raw.pci === undefined)
      report(['memdevs'], 'memdevs says how serial and pci match the memdevs of an interleaved region; add serial or pci');
  }
  return selectors;
}

/** Whether the selectors need the CXL identity of a region (serial, pci, qos_class), which a device whose region did not assemble lacks. */
export function selectsByCxlIdentity(match: CxlSelectors): boolean {
  return match.serial !== undefined || match.pci !== undefined || match.qos_class !== undefined;
}

/** Whether every device `later` selects by these keys is also selected by `earlier` (see covers() in parse.ts). */
export function coversCxl(earlier: CxlSelectors, later: CxlSelectors): boolean {
  const memdevKey = (wide: (bigint | string)[] | undefined, narrow: (bigint | string)[] | undefined): boolean => {
    if (wide === undefined) return true;
    if (narrow === undefined || !narrow.every((v) => wide.includes(v))) return false;
    // "every memdev is one of these" implies "some memdev is", not the other way round.
    return (earlier.memdevs ?? 'all') === 'any' || (later.memdevs ?? 'all') === 'all';
  };
  const qos = earlier.qos_class === undefined || (later.qos_class !== undefined && later.qos_class.every((q) => earlier.qos_class!.includes(q)));
  const address =
    earlier.address === undefined ||
    (later.address !== undefined && later.address.every((n) => earlier.address!.some((w) => w.start <= n.start && n.end <= w.end)));
  return memdevKey(earlier.serial, later.serial) && memdevKey(earlier.pci, later.pci) && qos && address;
}
