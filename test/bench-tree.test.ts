// The benchmark's fast tree writer must write exactly what writeHost writes.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { HostSpec } from './sim/tree.js';
import { writeHostFast } from '../bench/tree.js';
import { SHAPES } from './fixtures/shapes.js';
import { host, tempDir } from './support/host.js';

/** Every entry under root: "path d" for directories, "path -> target" for links, "path = content" for files. */
function listing(root: string): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const e of fs.readdirSync(path.join(root, rel), { withFileTypes: true })) {
      const p = rel ? `${rel}/${e.name}` : e.name;
      if (e.isSymbolicLink()) out.push(`${p} -> ${fs.readlinkSync(path.join(root, p))}`);
      else if (e.isDirectory()) {
        out.push(`${p} d`);
        walk(p);
      } else out.push(`${p} = ${JSON.stringify(fs.readFileSync(path.join(root, p), 'utf8'))}`);
    }
  };
  walk('');
  return out.filter((e) => !e.startsWith('.daxplan-sim.json')).sort();
}

const SPECS: Record<string, HostSpec> = {
  ...SHAPES,
  'bench-like': {
    autoOnline: 'online',
    bootBlocks: 4,
    devices: Array.from({ length: 6 }, (_, i) => ({ name: `dax${i}.0`, node: 1 + (i % 3), blocks: 3, state: 'online' })),
  },
  'every state': {
    autoOnline: 'offline',
    stateFile: true,
    tiers: { 4: [0], 9: [2] },
    devices: [
      { name: 'dax0.0', node: 1, blocks: 2, state: 'devdax', uuid: '6e1f3c4a-9b2d-4c1e-8f7a-2d3b4c5d6e7f' },
      { name: 'dax1.0', node: 2, blocks: 2, state: 'unbound', source: 'cxl', uuid: '0b8f4e2a-1c3d-4e5f-9a8b-7c6d5e4f3a21' },
      { name: 'dax2.0', node: 2, blocks: 3, state: 'NMo', source: 'hmem', firstBlock: 100 },
      { name: 'dax3.0', node: 3, blocks: 2, state: 'unplug' },
      { name: 'dax4.0', node: 3, blocks: 2, state: 'online', source: 'cxl', cxl: { qosClass: 1, memdevs: [{ serial: 0x1n, qosClass: 1 }, { serial: 0x2n, pci: '0000:35:00.0', node: 1 }] } },
    ],
  },
};

for (const [name, spec] of Object.entries(SPECS)) {
  test(`bench tree writer matches writeHost: ${name}`, () => {
    const fast = path.join(tempDir(), 'sys');
    writeHostFast(fast, spec, path.join(path.dirname(fast), 'pool'));
    assert.equal(listing(fast), listing(host(spec)));
  });
}

test.run();
