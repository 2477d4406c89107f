// Host-side check of the capture-states scenario: unpack the sysfs capture
// into test/vm/out/KERNEL/capture-states/sys, read every device's state from
// it (not from what the scenario meant to do), require the four states, and
// write a README.md next to it. On a kernel with the kmem `state` file (7.3+)
// every kmem device must carry one, and at least one must be stale against
// its blocks (changed block by block): the drift daxplan has to report. DAXPLAN_VM_UPDATE_FIXTURES=1 also replaces
// test/fixtures/real-KERNEL/ with the capture and its README.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ScenarioRun } from '../run.js';

interface Device {
  name: string;
  driver: string; // kmem | device_dax | none
  targetNode: string;
  uuid: string; // of the nd parent (devdax info block), '' if none
  blocks: { n: number; state: string; zone: string }[];
  state: string; // derived from driver and blocks
  stateFile?: string; // the kmem `state` file (7.3+, only while bound to kmem)
}

const EXPECTED: Record<string, string> = {
  'dax0.0': 'online_movable',
  'dax1.0': 'online (ZONE_NORMAL)',
  'dax2.0': 'devdax',
  'dax3.0': 'mixed',
};

function read(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8').trim();
  } catch {
    return '';
  }
}

function link(file: string): string {
  try {
    return fs.readlinkSync(file);
  } catch {
    return '';
  }
}

function readDevice(sys: string, name: string): Device {
  const devLink = path.join(sys, 'bus/dax/devices', name);
  if (!fs.lstatSync(devLink).isSymbolicLink()) throw new Error(`bus/dax/devices/${name} is not a symlink`);
  const dev = path.resolve(path.dirname(devLink), link(devLink));
  if (!fs.existsSync(dev)) throw new Error(`bus/dax/devices/${name} points outside the capture`);
  const driver = path.basename(link(path.join(dev, 'driver'))) || 'none';
  const bs = BigInt('0x' + read(path.join(sys, 'devices/system/memory/block_size_bytes')));
  const ranges = fs
    .readdirSync(dev)
    .filter((e) => /^mapping\d+$/.test(e))
    .map((m) => [BigInt(read(path.join(dev, m, 'start'))), BigInt(read(path.join(dev, m, 'end'))) + 1n]);
  if (!ranges.length) {
    const start = BigInt(read(path.join(dev, 'resource')));
    ranges.push([start, start + BigInt(read(path.join(dev, 'size')))]);
  }
  const blocks: Device['blocks'] = [];
  for (const [start, end] of ranges) {
    for (let b = (start + bs - 1n) / bs; (b + 1n) * bs <= end; b++) {
      const dir = path.join(sys, 'devices/system/memory', `memory${b}`);
      if (fs.existsSync(dir)) blocks.push({ n: Number(b), state: read(path.join(dir, 'state')), zone: read(path.join(dir, 'valid_zones')) });
    }
  }
  const online = blocks.filter((b) => b.state === 'online');
  const zones = new Set(online.map((b) => b.zone));
  let state: string;
  if (driver === 'device_dax') state = 'devdax';
  else if (driver !== 'kmem') state = `unbound (driver ${driver})`;
  else if (!blocks.length) state = 'kmem without memory blocks';
  else if (online.length && online.length < blocks.length) state = 'mixed';
  else if (!online.length) state = 'offline';
  else if (zones.size === 1 && zones.has('Movable')) state = 'online_movable';
  else if (zones.size === 1 && zones.has('Normal')) state = 'online (ZONE_NORMAL)';
  else state = `online in ${[...zones].join(' + ')}`;
  return {
    name,
    driver,
    targetNode: read(path.join(dev, 'target_node')),
    uuid: read(path.join(path.dirname(dev), 'uuid')),
    blocks,
    state,
    ...(fs.existsSync(path.join(dev, 'state')) ? { stateFile: read(path.join(dev, 'state')) } : {}),
  };
}

// Whether the `state` file says what the blocks are (the kernel keeps it only
// for changes made through it): `unplugged` without blocks, `offline` with all
// offline, `online_movable` all Movable, `online`/`online_kernel` all Normal.
function stateFileAgrees(d: Device): boolean {
  const want: Record<string, string[]> = {
    'kmem without memory blocks': ['unplugged'],
    offline: ['offline'],
    online_movable: ['online_movable'],
    'online (ZONE_NORMAL)': ['online', 'online_kernel'],
  };
  return d.stateFile !== undefined && (want[d.state] ?? []).includes(d.stateFile);
}

function stateFileCell(d: Device): string {
  if (d.stateFile === undefined) return d.driver === 'kmem' ? 'absent' : '(none: not bound to kmem)';
  return `\`${d.stateFile}\`${stateFileAgrees(d) ? '' : ' (stale)'}`;
}

// "49-55" / "73, 75, 77, 79"
function blockList(ns: number[]): string {
  if (ns.length > 1 && ns.every((n, i) => i === 0 || n === ns[i - 1] + 1)) return `${ns[0]}-${ns[ns.length - 1]}`;
  return ns.join(', ');
}

function describeBlocks(d: Device): string {
  if (!d.blocks.length) return 'none';
  const groups = new Map<string, number[]>();
  for (const b of d.blocks) {
    const key = b.state === 'online' ? `online ${b.zone}` : `${b.state} (valid_zones: ${b.zone})`;
    groups.set(key, [...(groups.get(key) ?? []), b.n]);
  }
  return [...groups].map(([key, ns]) => `${blockList(ns)} ${key}`).join('; ');
}

function readme(run: ScenarioRun, sys: string, devices: Device[]): string {
  const how = new Map(
    run.lines.flatMap((l) => {
      const m = /^HOW (\S+) (.*)$/.exec(l);
      return m ? [[m[1], m[2]] as const] : [];
    }),
  );
  const mem = path.join(sys, 'devices/system/memory');
  const tierDir = path.join(sys, 'devices/virtual/memory_tiering');
  const tiers = fs.existsSync(tierDir)
    ? fs
        .readdirSync(tierDir)
        .filter((t) => t.startsWith('memory_tier'))
        .map((t) => `\`${t}/nodelist\` = \`${read(path.join(tierDir, t, 'nodelist'))}\``)
        .join(', ')
    : 'no memory_tiering directory';
  const dev0 = path.resolve(path.join(sys, 'bus/dax/devices'), link(path.join(sys, 'bus/dax/devices', devices[0].name)));
  const has = (f: string) => (fs.existsSync(path.join(dev0, f)) ? 'present' : 'absent');
  const withState = devices.some((d) => d.stateFile !== undefined);
  const [pkg, version] = run.kernelPackage.split(' ');
  return `# A sysfs tree written by a real kernel: Debian's ${pkg} (${version})

Captured by \`npm run test:vm\` (scenario \`capture-states\`,
\`test/vm/guest/scenarios/capture-states.sh\`) under QEMU (TCG): 3 NUMA nodes
(node 0 with the CPUs, nodes 1 and 2 memory-only), four legacy pmem regions
(\`memmap=1G!6G memmap=1G!7G memmap=1G!8G memmap=1G!9G\`) turned into devdax
devices by \`ndctl create-namespace -m devdax\`, then put in four states with
daxctl and per-block writes. The states below were read back from this
capture (driver links, memory blocks' \`state\` and \`valid_zones\`) by
\`test/vm/checks/capture-states.ts\`, which also wrote this file.

| device | target_node | state in this capture | memory blocks | how |${withState ? ' `state` file |' : ''}
|---|---|---|---|---|${withState ? '---|' : ''}
${devices.map((d) => `| ${d.name} | ${d.targetNode} | ${d.state} | ${describeBlocks(d)} | ${how.get(d.name) ?? ''} |${withState ? ` ${stateFileCell(d)} |` : ''}`).join('\n')}
${
  withState
    ? `
The kmem \`state\` file (\`bus/dax/devices/daxX.Y/state\`, Linux 7.3+) exists only
while a device is bound to kmem. The kernel updates it only for changes made
through it: blocks changed one by one leave it stale (marked above), so the
blocks are the truth and a stale \`state\` is drift.
`
    : ''
}
Kernel facts in it: \`auto_online_blocks\` = \`${read(path.join(mem, 'auto_online_blocks'))}\`,
block size ${Number(BigInt('0x' + read(path.join(mem, 'block_size_bytes')))) / 2 ** 20} MiB, ${tiers}.
Dax device attributes: \`state\` ${withState ? 'present' : 'absent'}, \`hotplug\` ${has('hotplug')}, \`memmap_on_memory\` ${has('memmap_on_memory')}.
The nd parent \`daxR.N\` directories carry the devdax \`uuid\`
(${devices.map((d) => `${d.name}: \`${d.uuid || 'none'}\``).join(', ')}); these change with every capture.

Only the parts daxplan reads were captured (\`test/vm/guest/capture-sysfs.sh\`):
bus/dax, bus/nd, the dax devices with their nd regions and ancestors,
system/memory, system/node (top level and nodeN files), memory_tiering.
Symlinks are real symlinks with the kernel's relative targets (some point
outside the capture, e.g. \`module\` links). Write-only files (bind, unbind,
new_id, remove_id, drivers_probe, ...) are empty files; \`power/\`,
\`subsystem\` and \`uevent\` are left out. Use it read-only: copy it to a
temporary directory before writing to it.

Regenerate: \`DAXPLAN_VM_UPDATE_FIXTURES=1 npm run test:vm -- --kernel ${run.kernel} capture-states\`
`;
}

export default function check(run: ScenarioRun): void {
  const tar = run.files['sys.tar.gz'];
  if (!tar) throw new Error('the guest sent no sys.tar.gz');
  execFileSync('tar', ['-xzf', tar, '-C', run.dir]);
  const sys = path.join(run.dir, 'sys');
  const devices = fs
    .readdirSync(path.join(sys, 'bus/dax/devices'))
    .sort()
    .map((name) => readDevice(sys, name));
  const wrong = Object.entries(EXPECTED).flatMap(([name, want]) => {
    const got = devices.find((d) => d.name === name)?.state ?? 'missing';
    return got === want ? [] : [`${name} is ${got}, expected ${want}`];
  });
  if (devices.some((d) => d.stateFile !== undefined)) {
    for (const d of devices) {
      if (d.driver === 'kmem' && d.stateFile === undefined) wrong.push(`${d.name} is bound to kmem but has no state file`);
      if (d.driver !== 'kmem' && d.stateFile !== undefined) wrong.push(`${d.name} is not bound to kmem but has a state file`);
    }
    if (!devices.some((d) => d.stateFile !== undefined && !stateFileAgrees(d)))
      wrong.push(`no device's state file is stale against its blocks (${devices.map((d) => `${d.name} ${d.stateFile ?? '-'} over ${d.state}`).join(', ')})`);
  }
  if (wrong.length) throw new Error(`capture: ${wrong.join('; ')}`);
  const text = readme(run, sys, devices);
  fs.writeFileSync(path.join(run.dir, 'README.md'), text);
  if (process.env.DAXPLAN_VM_UPDATE_FIXTURES === '1') {
    const fixture = fileURLToPath(new URL(`../../fixtures/real-${run.kernel}`, import.meta.url));
    fs.rmSync(fixture, { recursive: true, force: true });
    fs.mkdirSync(fixture, { recursive: true });
    execFileSync('tar', ['-xzf', tar, '-C', fixture]);
    fs.writeFileSync(path.join(fixture, 'README.md'), text);
  }
}
