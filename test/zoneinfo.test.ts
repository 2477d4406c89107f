// On a real host the movable-ratio check counts online memory by zone from
// /proc/zoneinfo, with the page size from the auxiliary vector. The captures:
// a Debian 7.3 guest with one device online in ZONE_MOVABLE (the VM scenario
// memory-totals checked the same count against its memory blocks), and an
// x86_64 process's /proc/self/auxv.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pageSizeFromAuxv, parseZoneinfo, readZoneTotals } from '../src/host/zoneinfo.js';
import { REPO, tempDir } from './support/host.js';

const PROC = path.join(REPO, 'test/fixtures/proc');
const zoneinfo = suite('zoneinfo: the kernel-counted totals of the movable-ratio check');

zoneinfo('present pages of ZONE_MOVABLE, and of DMA, DMA32 and Normal together, over every node', () => {
  const text = fs.readFileSync(path.join(PROC, 'debian-7.3-qemu.zoneinfo'), 'latin1');
  // 896 MiB in ZONE_MOVABLE (dax0.0's 7 blocks of 128 MiB); the kernel zones 520 KiB under 40 blocks (boot memory's holes).
  assert.equal(parseZoneinfo(text), { kernel: 1310590n, movable: 229376n });
});

zoneinfo('text that is not zoneinfo, or counts no kernel memory, gives no totals (the blocks are read instead)', () => {
  assert.is(parseZoneinfo(''), undefined);
  assert.is(parseZoneinfo('MemTotal: 1000 kB\n'), undefined);
  assert.is(parseZoneinfo('Node 0, zone  Movable\n        present  100\n'), undefined);
  assert.equal(parseZoneinfo('Node 0, zone   Normal\n        present  5\nNode 1, zone  Normal\n        present  7\nNode 1, zone   Device\n        present  9\n'), { kernel: 12n, movable: 0n });
});

zoneinfo('CMA pages count as movable memory (they hold movable allocations only), not as kernel memory', () => {
  const text = 'Node 0, zone   Normal\n  pages free     1\n        present  100\n        managed  90\n        cma      30\n      nr_free_cma  20\nNode 0, zone  Movable\n        present  50\n        cma      0\n';
  assert.equal(parseZoneinfo(text), { kernel: 70n, movable: 80n });
});

zoneinfo('the page size from an auxiliary vector: 64-bit little-endian as captured, 32-bit big-endian, none, nonsense', () => {
  assert.is(pageSizeFromAuxv(fs.readFileSync(path.join(PROC, 'x86_64.auxv')), 8, true), 4096);
  const vector = (pairs: [number, number][]) => {
    const b = Buffer.alloc(pairs.length * 8);
    pairs.forEach(([type, value], i) => (b.writeUInt32BE(type, i * 8), b.writeUInt32BE(value, i * 8 + 4)));
    return b;
  };
  assert.is(pageSizeFromAuxv(vector([[33, 1], [6, 65536], [0, 0]]), 4, false), 65536);
  assert.is(pageSizeFromAuxv(vector([[33, 1], [0, 0], [6, 4096]]), 4, false), undefined, 'nothing after AT_NULL');
  assert.is(pageSizeFromAuxv(vector([[6, 3000], [0, 0]]), 4, false), undefined);
  assert.is(pageSizeFromAuxv(Buffer.alloc(0), 8, true), undefined);
});

zoneinfo('a /proc that is not procfs is not asked (the blocks are counted instead), however real its files look', () => {
  const fake = tempDir();
  fs.copyFileSync(path.join(PROC, 'debian-7.3-qemu.zoneinfo'), path.join(fake, 'zoneinfo'));
  fs.mkdirSync(path.join(fake, 'self'));
  fs.copyFileSync(path.join(PROC, 'x86_64.auxv'), path.join(fake, 'self/auxv'));
  assert.is(readZoneTotals(fake), undefined);
  assert.ok(readZoneTotals('/proc'), 'this host\'s own /proc is procfs');
});

zoneinfo.run();
