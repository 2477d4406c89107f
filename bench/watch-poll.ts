// What daxplan watch's poll of the state files costs between ticks (README,
// daxplan watch): reads and CPU time per poll on generated Linux 7.3 trees
// with 4 and 64 devices bound to kmem, and the share of one core at the
// default interval. Run: npx tsx bench/watch-poll.ts
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { writeHost } from '../test/sim/tree.js';
import { DirSysfs, type Sysfs } from '../src/host/sysfs.js';
import { observe } from '../src/host/observe.js';
import { pollStateWords } from '../src/cli/watch.js';

const POLLS = 2000;
const INTERVAL_SECONDS = 10;

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'daxplan-poll-'));
try {
  for (const devices of [4, 64]) {
    const root = path.join(dir, `sys-${devices}`);
    writeHost(root, { stateFile: true, devices: Array.from({ length: devices }, (_, i) => ({ name: `dax${i}.0`, node: 1, blocks: 8, state: 'online_movable' as const })) });
    const tree = new DirSysfs(root);
    const memory = { devices: observe(tree).devices };
    let reads = 0;
    const counted: Sysfs = Object.assign(Object.create(tree) as DirSysfs, { read: (rel: string) => (reads++, tree.read(rel)) });
    pollStateWords(counted, memory);
    const start = process.cpuUsage();
    for (let i = 0; i < POLLS; i++) pollStateWords(tree, memory);
    const used = process.cpuUsage(start);
    const micros = (used.user + used.system) / POLLS;
    const share = micros / (INTERVAL_SECONDS * 1e6) * 100;
    console.log(`${devices} devices bound to kmem: ${reads} reads per poll, ${micros.toFixed(0)} µs CPU per poll, ${share.toFixed(4)} % of one core every ${INTERVAL_SECONDS} s`);
  }
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
