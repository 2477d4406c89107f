// The CXL identity of a dax device made of a CXL region: the region, the root
// decoder's QoS class, and the memory devices (memdevs) behind it with the
// handles that survive a reboot (serial, PCI address). The chain, as Linux
// 7.3 lays it out:
//
//   bus/dax/devices/dax0.0 -> devices/platform/ACPI0017:00/root0/decoder0.0/region0/dax_region0/dax0.0
//   region0/{mode,resource,size,interleave_ways}, region0/targetN = decoder2.0 (an endpoint decoder)
//   bus/cxl/devices/decoder2.0 -> devices/platform/ACPI0017:00/root0/port1/endpoint2/decoder2.0
//   endpoint2/uport -> devices/pci0000:0c/0000:0c:00.0/0000:0d:00.0/mem0 (serial, numa_node, ram/qos_class)
//
// Reads only; what does not parse becomes a problem on the device (the
// caller turns a SysfsReadError into one).
import { posix } from 'node:path';
import { clip, CXL_DEVICES, resolveLink, type Sysfs } from './sysfs.js';
import { normalisePci, parseU64, type CxlIdentity, type CxlMemdev, type CxlWindow, type ObservedDevice } from '../model/device.js';

/** The kernel allows at most 16 interleave ways. */
const MAX_INTERLEAVE_WAYS = 16;
/** The kernel's CXL_QOS_CLASS_INVALID. */
const QOS_CLASS_INVALID = -1;

/** `dir`: the dax device's directory, inside regionN/dax_regionN/. */
export function readCxlIdentity(sysfs: Sysfs, dir: string, problems: string[]): CxlIdentity | undefined {
  const regionDir = posix.dirname(posix.dirname(dir));
  const region = posix.basename(regionDir);
  const read = (file: string) => sysfs.read(`${regionDir}/${file}`);
  const mode = read('mode');
  const modeOk = mode === undefined || /^[a-z][a-z0-9_]{0,31}$/.test(mode);
  if (!modeOk) problems.push(`${region}/mode: cannot parse "${clip(mode!)}"`);
  const start = u64(read('resource'), `${region}/resource`, problems);
  const size = u64(read('size'), `${region}/size`, problems);
  const ways = integer(read('interleave_ways'), `${region}/interleave_ways`, problems);
  if (ways === undefined || ways < 1 || ways > MAX_INTERLEAVE_WAYS) {
    if (ways !== undefined) problems.push(`${region}/interleave_ways: ${ways} is not 1 to ${MAX_INTERLEAVE_WAYS}`);
    return undefined;
  }
  const targets: Target[] = [];
  for (let n = 0; n < ways; n++) {
    const target = readTarget(sysfs, `${region}/target${n}`, read(`target${n}`), problems);
    if (target) targets.push(target);
  }
  if (start === undefined || size === undefined || targets.length < ways) return undefined;
  return {
    region,
    mode: modeOk ? mode : undefined,
    start,
    size,
    interleaveWays: ways,
    qosClass: qosClass(sysfs, posix.dirname(regionDir), targets, problems),
    memdevs: targets.map((t) => t.memdev),
  };
}

interface Target {
  memdev: CxlMemdev;
  /** The QoS class the memdev reports for its RAM (ram/qos_class, present only when valid). */
  ramQosClass: number | undefined;
}

/** The memdev behind one of the region's targets: endpoint decoder -> its endpoint port -> the port's uport. */
function readTarget(sysfs: Sysfs, what: string, decoder: string | undefined, problems: string[]): Target | undefined {
  if (decoder === undefined || !/^decoder\d+\.\d+$/.test(decoder)) {
    problems.push(`${what}: ${decoder === undefined ? 'missing' : `not an endpoint decoder: "${clip(decoder)}"`}`);
    return undefined;
  }
  const decoderDir = resolveLink(sysfs, `${CXL_DEVICES}/${decoder}`);
  if (decoderDir === undefined) {
    problems.push(`${what}: ${CXL_DEVICES}/${decoder} is missing`);
    return undefined;
  }
  const endpointDir = posix.dirname(decoderDir);
  const memdevDir = resolveLink(sysfs, `${endpointDir}/uport`);
  const name = memdevDir === undefined ? '' : posix.basename(memdevDir);
  if (memdevDir === undefined || !/^mem\d+$/.test(name)) {
    problems.push(`${what}: ${decoder}'s port ${posix.basename(endpointDir)} leads to no memdev (uport)`);
    return undefined;
  }
  const serial = u64(sysfs.read(`${memdevDir}/serial`), `${name}/serial`, problems);
  const numaNode = integer(sysfs.read(`${memdevDir}/numa_node`) ?? '-1', `${name}/numa_node`, problems);
  const ramQosClass = integer(sysfs.read(`${memdevDir}/ram/qos_class`) ?? String(QOS_CLASS_INVALID), `${name}/ram/qos_class`, problems);
  if (serial === undefined) return undefined;
  const parent = posix.basename(posix.dirname(memdevDir));
  return {
    memdev: {
      name,
      serial,
      serialSharedWith: [],
      pci: normalisePci(parent),
      numaNode: numaNode !== undefined && numaNode >= 0 ? numaNode : undefined,
    },
    ramQosClass: ramQosClass !== undefined && ramQosClass >= 0 ? ramQosClass : undefined,
  };
}

/** The root decoder's (the CXL window's) class; else the class every memdev reports for its RAM. */
function qosClass(sysfs: Sysfs, rootDecoder: string, targets: Target[], problems: string[]): number | undefined {
  const text = sysfs.read(`${rootDecoder}/qos_class`);
  const root = text === undefined ? undefined : integer(text, `${posix.basename(rootDecoder)}/qos_class`, problems);
  if (root !== undefined && root >= 0) return root;
  const classes = new Set(targets.map((t) => t.ramQosClass));
  return classes.size === 1 ? [...classes][0] : undefined;
}

/**
 * Marks each memdev whose serial another memdev on the host reports too: the
 * memdevs behind the devices and every memdev in bus/cxl/devices.
 */
export function markSharedSerials(sysfs: Sysfs, devices: ObservedDevice[]): void {
  const memdevs = devices.flatMap((d) => d.cxl?.memdevs ?? []);
  if (memdevs.length === 0) return;
  const known = new Set(memdevs.map((m) => m.name));
  const elsewhere = sysfs.list(CXL_DEVICES).flatMap((name) => {
    const serial = /^mem\d+$/.test(name) && !known.has(name) ? parseU64(sysfs.read(`${CXL_DEVICES}/${name}/serial`) ?? '') : undefined;
    return serial === undefined ? [] : [{ name, serial }];
  });
  markShared(memdevs, elsewhere);
}

/** Sets serialSharedWith on each memdev: the other names, among them and `elsewhere`, reporting its serial. */
export function markShared(memdevs: CxlMemdev[], elsewhere: { name: string; serial: bigint }[]): void {
  const owners = new Map<bigint, Set<string>>();
  for (const { name, serial } of [...memdevs, ...elsewhere]) owners.set(serial, (owners.get(serial) ?? new Set()).add(name));
  for (const m of memdevs) m.serialSharedWith = [...owners.get(m.serial)!].filter((n) => n !== m.name).sort();
}

/**
 * The CXL windows: every root decoder (devtype cxl_decoder_root) in
 * bus/cxl/devices with its start and size. A host without CXL has none; a
 * window that does not parse is a problem and left out.
 */
export function readCxlWindows(sysfs: Sysfs, problems: string[]): CxlWindow[] {
  const windows: CxlWindow[] = [];
  for (const decoder of sysfs.list(CXL_DEVICES).filter((n) => /^decoder\d+\.\d+$/.test(n))) {
    const at = `${CXL_DEVICES}/${decoder}`;
    if (sysfs.read(`${at}/devtype`) !== 'cxl_decoder_root') continue;
    const start = u64(sysfs.read(`${at}/start`), `${decoder}/start`, problems);
    const size = u64(sysfs.read(`${at}/size`), `${decoder}/size`, problems);
    if (start !== undefined && size !== undefined && size > 0n) windows.push({ decoder, start, end: start + size - 1n });
  }
  return windows;
}

/**
 * Marks each hmem device (a dax_hmem platform device's, no CXL parent) whose
 * every range lies in one CXL window: the fallback of a region that did not
 * assemble. A CXL pmem region's device lies in a window too, but under the
 * CXL root (source nvdimm): that one assembled.
 */
export function markUnassembled(devices: ObservedDevice[], windows: CxlWindow[]): void {
  if (windows.length === 0) return;
  for (const device of devices) {
    if (device.source !== 'hmem' || device.ranges.length === 0) continue;
    const window = windows.find((w) => device.ranges.every((r) => w.start <= r.start && r.end <= w.end));
    if (window) device.unassembled = window;
  }
}

/** An attribute converted, or a problem saying it is missing or does not parse. */
function attribute<T>(text: string | undefined, what: string, problems: string[], convert: (text: string) => T | undefined): T | undefined {
  const value = text === undefined ? undefined : convert(text);
  if (value === undefined) problems.push(`${what}: ${text === undefined ? 'missing' : `cannot parse "${clip(text)}"`}`);
  return value;
}

const u64 = (text: string | undefined, what: string, problems: string[]) => attribute(text, what, problems, parseU64);
const integer = (text: string | undefined, what: string, problems: string[]) =>
  attribute(text, what, problems, (t) => (/^-?[0-9]{1,9}$/.test(t) ? Number(t) : undefined));
