// Host side of the cxl-capture-* scenarios: unpack the sysfs capture into
// test/vm/out/7.3-cxl/SCENARIO/sys, follow every dax device's chain in it the
// way daxplan must (dax device -> dax_regionN -> regionN -> targetK endpoint
// decoders -> their endpoint port -> uport: the memdev, its serial and PCI
// device; the root decoder above the region), require the states the
// scenario left, and write a README.md next to it.
// DAXPLAN_VM_UPDATE_FIXTURES=1 also replaces test/fixtures/real-cxl-7.3/VARIANT.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ScenarioRun } from '../../run.js';

export interface CxlMemdev {
  name: string; // mem0
  serial: string; // as sysfs writes it: 0x1234abcd
  numaNode: string; // -1: the PCI device has no proximity domain
  pci: string; // the memdev's parent: 0000:0d:00.0
  ramQosClass: string | undefined; // ram/qos_class, absent when the device gave no CDAT performance data
  endpoint: string; // endpoint2
  decoder: string; // decoder2.0
}

export interface CxlDevice {
  name: string; // dax0.0
  driver: string; // kmem | device_dax | none
  state: string | undefined; // the `state` file (7.3, only while bound to kmem)
  targetNode: string;
  blocks: { n: number; state: string; zone: string }[];
  region: { name: string; mode: string; size: string; resource: string; uuid: string };
  rootDecoder: { name: string; qosClass: string | undefined };
  memdevs: CxlMemdev[];
}

const read = (file: string): string | undefined => {
  try {
    return fs.readFileSync(file, 'utf8').trim();
  } catch {
    return undefined;
  }
};

// A symlink in the capture, resolved inside it (relative targets, as the kernel wrote them).
function follow(link: string): string {
  const target = path.resolve(path.dirname(link), fs.readlinkSync(link));
  if (!fs.existsSync(target)) throw new Error(`${link} points outside the capture (${fs.readlinkSync(link)})`);
  return target;
}

export function readCxlDevice(sys: string, name: string): CxlDevice {
  const dev = follow(path.join(sys, 'bus/dax/devices', name));
  const driver = fs.existsSync(path.join(dev, 'driver')) ? path.basename(fs.readlinkSync(path.join(dev, 'driver'))) : 'none';
  const daxRegion = path.dirname(dev);
  const region = path.dirname(daxRegion);
  if (!/^dax_region\d+$/.test(path.basename(daxRegion)) || !/^region\d+$/.test(path.basename(region)))
    throw new Error(`${name}: not under regionN/dax_regionN (${path.relative(sys, dev)})`);
  const rootDecoder = path.dirname(region);
  const memdevs = fs
    .readdirSync(region)
    .filter((e) => /^target\d+$/.test(e))
    .sort()
    .map((t): CxlMemdev => {
      const decoder = read(path.join(region, t));
      if (!decoder) throw new Error(`${path.basename(region)}/${t} is empty`);
      const decoderDir = follow(path.join(sys, 'bus/cxl/devices', decoder));
      const endpoint = path.dirname(decoderDir);
      const mem = follow(path.join(endpoint, 'uport'));
      return {
        name: path.basename(mem),
        serial: read(path.join(mem, 'serial')) ?? '',
        numaNode: read(path.join(mem, 'numa_node')) ?? '',
        pci: path.basename(path.dirname(mem)),
        ramQosClass: read(path.join(mem, 'ram/qos_class')),
        endpoint: path.basename(endpoint),
        decoder,
      };
    });
  const bs = BigInt('0x' + read(path.join(sys, 'devices/system/memory/block_size_bytes')));
  const blocks: CxlDevice['blocks'] = [];
  for (const m of fs.readdirSync(dev).filter((e) => /^mapping\d+$/.test(e))) {
    const start = BigInt(read(path.join(dev, m, 'start')) ?? '0');
    const end = BigInt(read(path.join(dev, m, 'end')) ?? '0') + 1n;
    for (let b = (start + bs - 1n) / bs; (b + 1n) * bs <= end; b++) {
      const dir = path.join(sys, 'devices/system/memory', `memory${b}`);
      if (fs.existsSync(dir)) blocks.push({ n: Number(b), state: read(path.join(dir, 'state')) ?? '', zone: read(path.join(dir, 'valid_zones')) ?? '' });
    }
  }
  return {
    name,
    driver,
    state: read(path.join(dev, 'state')),
    targetNode: read(path.join(dev, 'target_node')) ?? '',
    blocks,
    region: {
      name: path.basename(region),
      mode: read(path.join(region, 'mode')) ?? '',
      size: read(path.join(region, 'size')) ?? '',
      resource: read(path.join(region, 'resource')) ?? '',
      uuid: read(path.join(region, 'uuid')) ?? '(no file)',
    },
    rootDecoder: { name: path.basename(rootDecoder), qosClass: read(path.join(rootDecoder, 'qos_class')) },
    memdevs,
  };
}

// "8 online Movable" / "8 offline (valid_zones: Normal Movable)" / "none"
export function blockSummary(d: CxlDevice): string {
  if (!d.blocks.length) return 'none';
  const groups = new Map<string, number[]>();
  for (const b of d.blocks) {
    const key = b.state === 'online' ? `online ${b.zone}` : `${b.state} (valid_zones: ${b.zone})`;
    groups.set(key, [...(groups.get(key) ?? []), b.n]);
  }
  return [...groups].map(([key, ns]) => `${ns.length} (memory${ns[0]}-${ns[ns.length - 1]}) ${key}`).join('; ');
}

export interface Expected {
  serials: string[]; // the region's memdevs in interleave order: ['0x1234abcd'], or two for a 2-way interleave
  state: string; // what the state file must read
  blocks: 'Normal' | 'Movable' | 'offline' | 'none';
}

export interface Variant {
  dir: string; // fixture subdirectory: default-boot | offline-boot
  title: string;
  expected: Expected[];
}

const serialsOf = (d: CxlDevice) => d.memdevs.map((m) => BigInt(m.serial));

function wrong(d: CxlDevice | undefined, e: Expected): string | undefined {
  const serials = e.serials.join(' + ');
  if (!d) return `no dax device for serial ${serials}`;
  const kind = !d.blocks.length
    ? 'none'
    : d.blocks.every((b) => b.state === 'offline')
      ? 'offline'
      : d.blocks.every((b) => b.state === 'online' && b.zone === 'Normal')
        ? 'Normal'
        : d.blocks.every((b) => b.state === 'online' && b.zone === 'Movable')
          ? 'Movable'
          : 'mixed';
  if (d.driver !== 'kmem' || d.state !== e.state || kind !== e.blocks)
    return `${d.name} (serial ${serials}): driver ${d.driver}, state ${d.state ?? '(no file)'}, blocks ${blockSummary(d)}; expected kmem, ${e.state}, ${e.blocks}`;
  // 1 GiB (8 blocks of 128 MiB) per type 3 device the region spans.
  const blocks = 8 * e.serials.length;
  if (e.blocks !== 'none' && d.blocks.length !== blocks) return `${d.name}: ${d.blocks.length} memory blocks, expected ${blocks} (${e.serials.length} GiB)`;
  return undefined;
}

function readme(run: ScenarioRun, variant: Variant, sys: string, devices: CxlDevice[]): string {
  const prefixed = (prefix: string) => run.lines.filter((l) => l.startsWith(prefix)).map((l) => l.slice(prefix.length));
  const how = new Map(prefixed('HOW ').map((l) => [l.split(' ')[0], l.slice(l.indexOf(' ') + 1)] as const));
  const cmdline = (prefixed('CMDLINE ')[0] ?? '').replace(/\s+/g, ' ');
  const mem = path.join(sys, 'devices/system/memory');
  const [pkg, version] = run.kernelPackage.split(' ');
  const timings = run.timings.map((t) => `${t.tool} ${t.transition} ${t.ms} ms${t.note ? ` (${t.note})` : ''}`).join(', ');
  const probe = prefixed('PROBE ');
  return `# ${variant.title}

Captured by \`npm run test:vm\` (scenario \`${run.scenario}\`,
\`test/vm/guest/scenarios/${run.scenario}.sh\`) from Debian's ${pkg} (${version})
under QEMU 10 (TCG) with two CXL type 3 volatile memory devices; the machine
and how the regions were made are in ../README.md. The states below were read
back from this capture by \`test/vm/checks/lib/cxl-capture.ts\` (which also
wrote this file), following each dax device's chain through sysfs.

Kernel command line: \`${cmdline}\`; \`auto_online_blocks\` = \`${read(path.join(mem, 'auto_online_blocks'))}\`,
block size ${Number(BigInt('0x' + read(path.join(mem, 'block_size_bytes')))) / 2 ** 20} MiB.

| dax device | region (mode, size, resource) | memdev | serial | PCI device | endpoint decoder | target_node | \`state\` | memory blocks | how |
|---|---|---|---|---|---|---|---|---|---|
${devices
  .map((d) => {
    const each = (f: (m: CxlMemdev) => string) => d.memdevs.map(f).join(' + ');
    return `| ${d.name} | ${d.region.name} (${d.region.mode}, ${d.region.size}, ${d.region.resource}) | ${each((m) => m.name)} | ${each((m) => m.serial)} | ${each((m) => m.pci)} | ${each((m) => `${m.endpoint}/${m.decoder}`)} | ${d.targetNode} | ${d.state ?? '(no file)'} | ${blockSummary(d)} | ${how.get(d.name) ?? ''} |`;
  })
  .join('\n')}

Identity facts in it: the regions' \`uuid\` files hold ${devices.map((d) => (d.region.uuid === '' ? 'an empty line' : `\`${d.region.uuid}\``)).join(', ')}
(a RAM region has no UUID); the memdevs'
\`numa_node\` is ${devices.flatMap((d) => d.memdevs.map((m) => m.numaNode)).join(', ')} (the PCI devices have no proximity domain;
the memory's node is the dax device's \`target_node\`, the window's node);
\`ram/qos_class\` is ${devices.flatMap((d) => d.memdevs.map((m) => m.ramQosClass ?? 'absent')).join(', ')}; the root decoder ${devices[0].rootDecoder.name} has
\`qos_class\` = ${devices[0].rootDecoder.qosClass ?? 'absent'}. Memdev names follow probe order and change from boot
to boot: match on \`serial\`.
${timings ? `\nMeasured in this boot: ${timings}.\n` : ''}${probe.length ? `\n${probe.map((p) => p.charAt(0).toUpperCase() + p.slice(1) + '.').join('\n')}\n` : ''}
\`cxl-list.json\` is \`cxl list -v\` (cxl 81) at the time of the capture.

Regenerate: \`DAXPLAN_VM_UPDATE_FIXTURES=1 npm run test:vm -- --kernel 7.3-cxl ${run.scenario}\`
`;
}

export function checkCapture(run: ScenarioRun, variant: Variant): void {
  const tar = run.files['sys.tar.gz'];
  if (!tar) throw new Error('the guest sent no sys.tar.gz');
  const out = path.join(run.dir, 'capture');
  fs.rmSync(out, { recursive: true, force: true });
  fs.mkdirSync(out, { recursive: true });
  execFileSync('tar', ['-xzf', tar, '-C', out]);
  const sys = path.join(out, 'sys');
  const devices = fs
    .readdirSync(path.join(sys, 'bus/dax/devices'))
    .sort()
    .map((name) => readCxlDevice(sys, name));
  // The device whose region spans exactly these memdevs, in this interleave order.
  const bySerials = (serials: string[]) => devices.find((d) => serialsOf(d).join() === serials.map((s) => BigInt(s)).join());
  const problems = variant.expected.flatMap((e) => wrong(bySerials(e.serials), e) ?? []);
  if (devices.length !== variant.expected.length) problems.push(`${devices.length} dax devices, expected ${variant.expected.length}`);
  if (problems.length) throw new Error(`capture: ${problems.join('; ')}`);
  const text = readme(run, variant, sys, devices);
  fs.writeFileSync(path.join(out, 'README.md'), text);
  if (process.env.DAXPLAN_VM_UPDATE_FIXTURES === '1') {
    const fixture = fileURLToPath(new URL(`../../../fixtures/real-cxl-7.3/${variant.dir}`, import.meta.url));
    fs.rmSync(fixture, { recursive: true, force: true });
    fs.mkdirSync(fixture, { recursive: true });
    execFileSync('tar', ['-xzf', tar, '-C', fixture]);
    fs.writeFileSync(path.join(fixture, 'README.md'), text);
  }
}
