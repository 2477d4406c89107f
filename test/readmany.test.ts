// DirSysfs.readMany reads with a worker thread past a threshold; whatever the
// threads, it must give what one read() at a time gives.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DirSysfs } from '../src/sysfs.js';
import { observe } from '../src/observe.js';
import { observeMemoryTotals } from '../src/safety.js';
import { host } from './support/host.js';

const many = suite('readMany');

const SPEC = {
  autoOnline: 'online' as const,
  devices: [
    { name: 'dax0.0', node: 1, blocks: 300, state: 'online' },
    { name: 'dax1.0', node: 2, blocks: 200, state: 'offline' },
    { name: 'dax2.0', node: 2, blocks: 120, state: 'M'.repeat(60) + 'N'.repeat(30) + 'o'.repeat(30) },
  ],
};

many('gives what read() gives: contents, missing files, files past one page, odd paths', () => {
  const root = host(SPEC);
  fs.writeFileSync(path.join(root, 'devices/system/memory/memory40/valid_zones'), 'x'.repeat(5000) + '\n');
  fs.writeFileSync(path.join(root, 'devices/system/memory/memory41/state'), 'no newline');
  fs.writeFileSync(path.join(root, 'devices/system/memory/memory42/state'), 'two\n\n');
  const rels: string[] = [];
  for (let i = 0; i < 700; i++) rels.push(`devices/system/memory/memory${i}/state`, `devices/system/memory/memory${i}/valid_zones`, `/devices/system/memory/memory${i}//online`);
  rels.push('devices/system/memory/memory5/state/nope', 'nowhere', 'bus/dax/devices/dax0.0/size');
  const one = new DirSysfs(root);
  const expected = rels.map((rel) => one.read(rel));
  for (const parallelMin of [1, 64, 100000]) assert.equal(new DirSysfs(root, parallelMin).readMany(rels), expected, `parallelMin ${parallelMin}`);
  // A second batch on the same worker, and one right after.
  assert.equal(new DirSysfs(root, 1).readMany(rels.slice(0, 900)), expected.slice(0, 900));
  assert.equal(new DirSysfs(root, 1).readMany(rels.slice(5, 7)), expected.slice(5, 7));
});

many('observe and the memory totals read the same host with and without a second thread', () => {
  const root = host(SPEC);
  const serial = new DirSysfs(root, Infinity);
  const threaded = new DirSysfs(root, 1);
  const a = observe(serial);
  const b = observe(threaded);
  assert.equal(b, a);
  assert.equal(observeMemoryTotals(threaded, b), observeMemoryTotals(serial));
  assert.equal(observeMemoryTotals(threaded), observeMemoryTotals(serial));
});

many.run();
