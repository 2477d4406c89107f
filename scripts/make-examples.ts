// Regenerates the example hosts under examples/*/host (run: npx tsx scripts/make-examples.ts).
// Generated hosts come from compact descriptions; the Debian 6.12 host is the
// tree a real kernel wrote (../shared/fixtures), with its symlinks restored.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeHost, type HostSpec } from '../test/sim/tree.js';

const EXAMPLES = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../examples');

const HOSTS: Record<string, HostSpec> = {
  // Linux 7.3 (the state file) with three CXL memory expanders, chosen by
  // serial: one alone (node 2, onlined into ZONE_NORMAL at boot by the kernel's
  // default), two interleaved (node 3); and a pmem namespace (node 1) an
  // application maps itself.
  'cxl-movable-pmem-app': {
    autoOnline: 'online',
    stateFile: true,
    devices: [
      { name: 'dax0.0', node: 1, blocks: 16, state: 'devdax', uuid: '6e1f3c4a-9b2d-4c1e-8f7a-2d3b4c5d6e7f' },
      { name: 'dax1.0', node: 2, blocks: 32, state: 'online', source: 'cxl', cxl: { qosClass: 1, memdevs: [{ serial: 0x5a3c0d01n, qosClass: 1 }] } },
      {
        name: 'dax2.0',
        node: 3,
        blocks: 32,
        state: 'devdax',
        source: 'cxl',
        cxl: { qosClass: 1, memdevs: [{ serial: 0x5a3c0d02n, qosClass: 1, pci: '0000:35:00.0' }, { serial: 0x5a3c0d03n, qosClass: 1, pci: '0000:36:00.0' }] },
      },
    ],
  },
  // Far memory on nodes 2-4; node 3 is kept for a database that maps it as devdax.
  'far-memory-except-node3': {
    autoOnline: 'offline',
    devices: [
      { name: 'dax0.0', node: 2, blocks: 24, state: 'offline', source: 'hmem' },
      { name: 'dax1.0', node: 3, blocks: 24, state: 'online_movable', source: 'hmem' },
      { name: 'dax2.0', node: 4, blocks: 24, state: 'MMMMMMMMMMMMoooooooooooo', source: 'hmem' },
    ],
  },
  // Linux 7.3 (the state file); memory joins only when the workload asks.
  'unplugged-until-asked': {
    autoOnline: 'online',
    stateFile: true,
    devices: [
      { name: 'dax0.0', node: 1, blocks: 16, state: 'online', source: 'cxl', uuid: '9f8e7d6c-5b4a-4938-8271-605f4e3d2c1b' },
      { name: 'dax1.0', node: 1, blocks: 16, state: 'unplug', source: 'cxl', uuid: '1a2b3c4d-5e6f-4a8b-9c0d-1e2f3a4b5c6d' },
    ],
  },
};

const FLATTENED_LINK = /^\.\.\/[^\n]*$/;

/** Copies a tree, turning files that hold a relative link target back into symlinks. */
function copyRestoringLinks(src: string, dst: string): void {
  fs.mkdirSync(dst, { recursive: true });
  for (const e of fs.readdirSync(src, { withFileTypes: true })) {
    const from = path.join(src, e.name);
    const to = path.join(dst, e.name);
    if (e.isDirectory()) copyRestoringLinks(from, to);
    else if (e.isSymbolicLink()) fs.symlinkSync(fs.readlinkSync(from), to);
    else {
      const text = fs.readFileSync(from, 'utf8');
      if (FLATTENED_LINK.test(text.trim())) fs.symlinkSync(text.trim(), to);
      else fs.writeFileSync(to, text);
    }
  }
}

for (const [name, spec] of Object.entries(HOSTS)) {
  const root = path.join(EXAMPLES, name, 'host/sys');
  fs.rmSync(root, { recursive: true, force: true });
  writeHost(root, spec);
}
const real = path.join(EXAMPLES, 'debian-6.12-qemu/host/sys');
fs.rmSync(real, { recursive: true, force: true });
copyRestoringLinks(path.resolve(EXAMPLES, '../../shared/fixtures/debian-6.12-qemu/sys'), real);
