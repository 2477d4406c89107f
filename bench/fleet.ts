// Snapshots for the fleet-plan bench: `count` hosts of 8 devices each, made
// from a few real observations (trees of the simulated kernel, snapshotted as
// daxplan snapshot does) that differ in what the policy finds to do, each
// written under its own host name.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeHost, type HostSpec } from '../test/sim/tree.js';
import { DirSysfs } from '../src/host/sysfs.js';
import { observe } from '../src/host/observe.js';
import { observeMemoryTotals } from '../src/host/totals.js';
import { toSnapshot } from '../src/host/snapshot.js';

export const FLEET_DEVICES = 8;
export const FLEET_BLOCKS_PER_DEVICE = 128;

// Far memory (tiers 22 and up) movable: hosts with devices online in ZONE_NORMAL, in devdax, or already placed.
export const FLEET_POLICY = `# bench: every far-memory device movable, devices on node 1 left to applications
version: 1
rules:
  - name: app-memory
    match:
      numa_node: 1
    state: devdax
  - name: far-memory
    match:
      tier: 22
    state: online_movable
`;

const SHAPES = [
  ['online', 'online', 'online', 'online', 'online', 'online', 'online', 'online'],
  ['devdax', 'online_movable', 'devdax', 'online_movable', 'online', 'online_movable', 'devdax', 'online_movable'],
  ['devdax', 'online_movable', 'online_movable', 'online_movable', 'devdax', 'online_movable', 'online_movable', 'online_movable'],
  ['online', 'NNoo'.repeat(FLEET_BLOCKS_PER_DEVICE / 4), 'offline', 'unplug', 'online', 'online_movable', 'offline', 'devdax'],
];

function shapeSpec(states: string[]): HostSpec {
  return {
    autoOnline: 'online',
    devices: states.map((state, i) => ({ name: `dax${i}.0`, node: 1 + (i % 4), blocks: FLEET_BLOCKS_PER_DEVICE, state, source: 'cxl' as const })),
  };
}

/** Writes `count` snapshots into `dir` (host-00001.json ...); returns their paths. */
export function writeFleet(dir: string, count: number, scratch: string): string[] {
  const templates = SHAPES.map((states, i) => {
    const root = path.join(scratch, `shape${i}`, 'sys');
    writeHost(root, shapeSpec(states));
    const sysfs = new DirSysfs(root);
    const observed = observe(sysfs);
    return toSnapshot(observed, observeMemoryTotals(sysfs, observed), { capturedAt: new Date('2026-12-01T00:00:00Z') });
  });
  fs.mkdirSync(dir, { recursive: true });
  const width = String(count).length;
  return Array.from({ length: count }, (_, i) => {
    const hostname = `host-${String(i + 1).padStart(width, '0')}`;
    const file = path.join(dir, `${hostname}.json`);
    fs.writeFileSync(file, JSON.stringify({ ...templates[i % templates.length], hostname }, null, 2) + '\n');
    return file;
  });
}
