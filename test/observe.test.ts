import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DirSysfs } from '../src/host/sysfs.js';
import { observe } from '../src/host/observe.js';
import { fakeHost } from './support/observed.js';
import { SHAPES } from './fixtures/shapes.js';
import { stateDrift } from '../src/model/device.js';
import { host, REAL_612, REPO, tempDir } from './support/host.js';

const REAL_73 = path.join(REPO, 'test/fixtures/real-7.3/sys');

const real = suite('observe: tree written by Debian 6.12');

real('reads the four devices in the states the capture README gives', () => {
  const { devices } = observe(new DirSysfs(REAL_612));
  assert.equal(
    devices.map((d) => [d.name, d.state, d.targetNode, d.driver]),
    [
      ['dax0.0', 'online_movable', 1, 'kmem'],
      ['dax1.0', 'online', 2, 'kmem'],
      ['dax2.0', 'devdax', 2, 'device_dax'],
      ['dax3.0', 'mixed', 2, 'kmem'],
    ],
  );
});

real('finds the kmem-aligned blocks of each device: 7 each, dax3.0 alternating', () => {
  const { devices } = observe(new DirSysfs(REAL_612));
  assert.equal(devices[0].blocks.map((b) => b.index), [49, 50, 51, 52, 53, 54, 55]);
  assert.is(devices[2].blocks.length, 0);
  assert.is(devices[2].blockSpan, 7);
  const dax3 = devices[3].blocks.map((b) => (b.state === 'online' ? b.zone : b.state)).join(' ');
  assert.is(dax3, 'Normal offline Normal offline Normal offline Normal');
});

real('reads kernel facts, tiers and the nd namespace UUIDs', () => {
  const { kernel, devices } = observe(new DirSysfs(REAL_612));
  assert.is(kernel.blockSize, 128n << 20n);
  assert.is(kernel.autoOnlineBlocks, 'online');
  assert.is(kernel.stateFile, 'not-seen');
  assert.equal(kernel.nodeTiers, { 0: 4, 1: 4, 2: 22 });
  assert.is(devices[0].uuid, 'f9a22c9a-e8f7-11f1-bd30-73eb7d34bf7f');
  assert.is(devices[0].source, 'nvdimm');
  assert.equal(devices.map((d) => d.tier), [4, 22, 22, 22]);
  assert.ok(devices.every((d) => d.problems.length === 0));
});

real.run();

const gen = suite('observe: generated hosts');

gen('the state file (Linux 7.3): read where kmem binds a device; the blocks stay the truth, a stale word is drift', () => {
  const fresh = observe(new DirSysfs(host({ stateFile: true, devices: [{ name: 'dax0.0', node: 1, blocks: 2, state: 'unplug' }, { name: 'dax1.0', node: 1, blocks: 2, state: 'devdax' }] })));
  assert.is(fresh.kernel.stateFile, 'seen');
  assert.is(fresh.devices[0].stateFile, 'unplugged');
  assert.is(fresh.devices[0].state, 'unplug');
  assert.is(fresh.devices[1].stateFile, undefined, 'no state file while not bound to kmem');
  const stale = observe(new DirSysfs(host({ stateFile: true, devices: [{ name: 'dax0.0', node: 1, blocks: 2, state: 'online_movable', stateWord: 'online' }] })));
  assert.is(stale.devices[0].state, 'online_movable');
  assert.is(stateDrift(stale.devices[0], stale.kernel.hotplug), "the kernel's state file reads online but the memory blocks are 2/2 blocks online, Movable");
  const old = observe(new DirSysfs(host({ devices: [{ name: 'dax0.0', node: 1, blocks: 2, state: 'online' }] })));
  assert.is(old.kernel.stateFile, 'not-seen');
});

gen('an unknown word in the state file is a problem, never a state', () => {
  const root = host({ stateFile: true, devices: [{ name: 'dax0.0', node: 1, blocks: 2, state: 'online' }] });
  fs.writeFileSync(path.join(root, 'devices/platform/e820_pmem/ndbus0/region0/dax0.0/dax0.0/state'), 'sideways\n');
  const [d] = observe(new DirSysfs(root)).devices;
  assert.equal(d.problems, ['dax0.0/state: unknown value "sideways"']);
});

gen('CXL region UUIDs, soft-reserved devices without one', () => {
  const { devices } = observe(
    new DirSysfs(
      host({
        devices: [
          { name: 'dax0.0', node: 2, blocks: 2, state: 'devdax', source: 'cxl', uuid: 'AAAAAAAA-0000-4000-8000-000000000001' },
          { name: 'dax1.0', node: 3, blocks: 2, state: 'devdax', source: 'hmem' },
        ],
      }),
    ),
  );
  assert.equal(
    devices.map((d) => [d.source, d.uuid]),
    [
      ['cxl', 'aaaaaaaa-0000-4000-8000-000000000001'],
      ['hmem', undefined],
    ],
  );
});

gen('unbound devices and nodes without online memory have no tier', () => {
  const { devices } = observe(new DirSysfs(host({ devices: [{ name: 'dax0.0', node: 3, blocks: 2, state: 'unbound' }] })));
  assert.is(devices[0].state, 'unbound');
  assert.is(devices[0].driver, 'none');
  assert.is(devices[0].tier, undefined);
});

gen('sysfs content that does not parse is reported on the device, not thrown', () => {
  const root = host({ devices: [{ name: 'dax0.0', node: 1, blocks: 2, state: 'online' }, { name: 'dax1.0', node: 1, blocks: 2, state: 'online' }] });
  fs.writeFileSync(path.join(root, 'bus/dax/devices/dax0.0/target_node'), 'banana\n');
  fs.writeFileSync(path.join(root, 'devices/system/memory/memory32/state'), 'sideways\n');
  fs.writeFileSync(path.join(root, 'devices/virtual/memory_tiering/memory_tier4/nodelist'), '1-\n');
  const { devices, kernel } = observe(new DirSysfs(root));
  assert.match(devices[0].problems.join('\n'), 'target_node: cannot parse "banana"');
  assert.match(devices[0].problems.join('\n'), 'memory32/state: unknown value "sideways"');
  assert.equal(devices[1].problems, []);
  assert.match(kernel.problems.join('\n'), 'memory_tier4/nodelist');
});

for (const [text, why] of [
  ['zz', 'not hex'],
  ['0', 'zero'],
  ['c000000', 'not a power of two'],
  ['100000', '1 MiB: below the smallest block Linux uses'],
  ['800000000', '32 GiB: above the largest'],
  ['ffffffffffffffffff', 'wider than 64 bits'],
] as const) {
  gen(`a block size that is not one (${why}) is a kernel problem, and every device is blocked, never derived as unplugged`, () => {
    const root = host({ devices: [{ name: 'dax0.0', node: 1, blocks: 2, state: 'online' }, { name: 'dax1.0', node: 1, blocks: 2, state: 'unplug' }] });
    fs.writeFileSync(path.join(root, 'devices/system/memory/block_size_bytes'), `${text}\n`);
    const observed = observe(new DirSysfs(root));
    assert.match(observed.kernel.problems[0], `block_size_bytes: "${text}" is not a memory block size`);
    assert.is(observed.devices.length, 2);
    for (const d of observed.devices) {
      assert.match(d.problems.join('; '), 'the memory block size is unknown');
      assert.is(d.state, 'unknown', 'a device whose blocks cannot be told is in no state: not unplugged');
    }
  });
}

gen('a block size that is missing is a kernel problem too', () => {
  const root = host({ devices: [{ name: 'dax0.0', node: 1, blocks: 2, state: 'online' }] });
  fs.rmSync(path.join(root, 'devices/system/memory/block_size_bytes'));
  const observed = observe(new DirSysfs(root));
  assert.match(observed.kernel.problems[0], 'block_size_bytes: missing');
  assert.ok(observed.devices[0].problems.length > 0);
});

gen('ranges that are inverted, overflow 64 bits, span implausibly many blocks or hold no whole block block the device', () => {
  const cases: [string, string, string][] = [
    ['0x200000000', '0x1ffffffff', 'is inverted'],
    ['0x0', '0x1ffffffffffffffff', 'cannot parse'],
    ['0x0', '0xffffffffffffffff', 'more than 4194304 memory blocks'],
    ['0x100000000', '0x100000fff', 'hold no whole memory block'],
  ];
  for (const [start, end, why] of cases) {
    const root = host({ devices: [{ name: 'dax0.0', node: 1, blocks: 2, state: 'online' }] });
    const dev = fs.realpathSync(path.join(root, 'bus/dax/devices/dax0.0'));
    fs.writeFileSync(path.join(dev, 'mapping0/start'), `${start}\n`);
    fs.writeFileSync(path.join(dev, 'mapping0/end'), `${end}\n`);
    const before = process.memoryUsage().heapUsed;
    const [d] = observe(new DirSysfs(root)).devices;
    assert.match(d.problems.join('; '), why, `${start}-${end}`);
    assert.ok(process.memoryUsage().heapUsed - before < 64 << 20, 'nothing allocated by the size of a number read');
  }
});

gen('a memory block directory without its state, and ranges that overlap (in a device or between two), block the devices', () => {
  const root = host({ devices: [{ name: 'dax0.0', node: 1, blocks: 2, state: 'online' }, { name: 'dax1.0', node: 1, blocks: 2, state: 'online' }, { name: 'dax2.0', node: 1, blocks: 2, state: 'devdax' }] });
  fs.rmSync(path.join(root, 'devices/system/memory/memory33/state'));
  const dev = (name: string) => fs.realpathSync(path.join(root, 'bus/dax/devices', name));
  const start = (name: string) => fs.readFileSync(path.join(dev(name), 'mapping0/start'), 'utf8').trim();
  // dax2.0 claims dax1.0's first byte; dax1.0 gets a second mapping inside its first.
  fs.writeFileSync(path.join(dev('dax2.0'), 'mapping0/start'), `${start('dax1.0')}\n`);
  fs.cpSync(path.join(dev('dax1.0'), 'mapping0'), path.join(dev('dax1.0'), 'mapping1'), { recursive: true });
  const [dax0, dax1, dax2] = observe(new DirSysfs(root)).devices;
  assert.match(dax0.problems.join('\n'), 'memory33/state: missing');
  assert.is(dax0.state, 'unknown', 'never unplugged for a block that cannot be read');
  assert.match(dax1.problems.join('\n'), /dax1\.0: ranges 0x\w+-0x\w+ and 0x\w+-0x\w+ overlap/);
  assert.match(dax1.problems.join('\n'), /dax1\.0: range 0x\w+-0x\w+ overlaps dax2\.0's/);
  assert.match(dax2.problems.join('\n'), /dax2\.0: range 0x\w+-0x\w+ overlaps dax1\.0's/);
});

gen('a plausible but wrong block size (a copied 7.3 tree) never reads online kmem memory as unplugged', () => {
  const root = tempDir();
  fs.cpSync(REAL_73, root, { recursive: true, verbatimSymlinks: true });
  fs.writeFileSync(path.join(root, 'devices/system/memory/block_size_bytes'), '1000000\n');
  const kmem = observe(new DirSysfs(root)).devices.filter((d) => d.driver === 'kmem');
  assert.equal(kmem.map((d) => d.name), ['dax0.0', 'dax1.0', 'dax3.0']);
  for (const device of kmem) {
    assert.is.not(device.state, 'unplug', device.name);
    assert.match(device.problems.join('\n'), `${device.name}: its state file reads ${device.stateFile} but none of its`);
  }
});

gen('entries that are not dax device names never become paths', () => {
  const root = host({ devices: [{ name: 'dax0.0', node: 1, blocks: 1, state: 'online' }] });
  fs.symlinkSync('../../../etc', path.join(root, 'bus/dax/devices/..evil'));
  const observed = observe(new DirSysfs(root));
  assert.equal(observed.devices.map((d) => d.name), ['dax0.0']);
  assert.match(observed.kernel.problems.join('\n'), 'not a dax device name');
});

gen('a link out of a copied tree is never followed: the device it leads from is blocked, and nothing outside is read', () => {
  const root = host({ devices: [{ name: 'dax0.0', node: 1, blocks: 1, state: 'online' }, { name: 'dax1.0', node: 1, blocks: 1, state: 'devdax' }] });
  const outside = tempDir();
  fs.writeFileSync(path.join(outside, 'target_node'), '7\n');
  const node = path.join(root, 'bus/dax/devices/dax1.0/target_node');
  fs.rmSync(node);
  fs.symlinkSync(path.join(outside, 'target_node'), node);
  const device = path.join(fs.realpathSync(path.join(root, 'bus/dax/devices/dax0.0')));
  fs.cpSync(device, path.join(outside, 'dax0.0'), { recursive: true, verbatimSymlinks: true });
  fs.rmSync(device, { recursive: true });
  fs.symlinkSync(path.join(outside, 'dax0.0'), device);
  const [dax0, dax1] = observe(new DirSysfs(root)).devices;
  assert.match(dax0.problems.join('\n'), `leads out of the tree (to ${fs.realpathSync(outside)}/dax0.0`);
  assert.match(dax1.problems.join('\n'), 'target_node: a symbolic link (or a loop), not an attribute');
  assert.is(dax1.targetNode, undefined, 'nothing read from outside the tree');
  // The real /sys reads as the kernel made it, and links inside a tree (bus/dax/devices, driver) are followed.
  const inside = host({ devices: [{ name: 'dax0.0', node: 1, blocks: 1, state: 'online' }] });
  assert.equal(observe(new DirSysfs(inside)).devices[0].problems, []);
  assert.equal(observe(new DirSysfs(path.relative(process.cwd(), inside))).devices[0].problems, [], 'a relative root too');
});

gen('a memory block directory that is a link out of the tree is refused after the directory is listed too, and a block added after the listing is read', () => {
  // 100 blocks: more than the lookups done one by one before devices/system/memory is listed in one read.
  const root = host({ devices: [{ name: 'dax0.0', node: 1, blocks: 100, state: 'online' }] });
  const memory = path.join(root, 'devices/system/memory');
  const blocks = fs.readdirSync(memory).filter((e) => /^memory\d+$/.test(e)).sort((a, b) => Number(a.slice(6)) - Number(b.slice(6)));
  const last = blocks[blocks.length - 1];
  const outside = tempDir();
  fs.renameSync(path.join(memory, last), path.join(outside, last));
  // Without its last block (not in the system) the device reads 99; the reader has listed the directory by then.
  const sysfs = new DirSysfs(root);
  assert.is(observe(sysfs).devices[0].blocks.length, 99);
  fs.symlinkSync(path.join(outside, last), path.join(memory, last));
  assert.match(observe(sysfs).devices[0].problems.join('\n'), `leads out of the tree (to ${fs.realpathSync(outside)}/${last}`);
  assert.match(observe(new DirSysfs(root)).devices[0].problems.join('\n'), 'leads out of the tree', 'a reader that never listed it');
  fs.rmSync(path.join(memory, last));
  fs.renameSync(path.join(outside, last), path.join(memory, last));
  const fresh = new DirSysfs(root);
  observe(fresh);
  assert.equal(observe(fresh).devices[0].blocks.length, 100);
});

gen('--device limits the devices read', () => {
  const root = host({ devices: [{ name: 'dax0.0', node: 1, blocks: 1, state: 'online' }, { name: 'dax1.0', node: 1, blocks: 1, state: 'online' }] });
  assert.equal(observe(new DirSysfs(root), ['dax1.0']).devices.map((d) => d.name), ['dax1.0']);
});

gen.run();

const leak = suite('observe: leaked memory');

leak('online blocks of a device no longer bound to kmem are reported (they stay until reboot)', () => {
  const root = host({ devices: [{ name: 'dax0.0', node: 1, blocks: 2, state: 'online' }] });
  fs.rmSync(path.join(root, 'bus/dax/drivers/kmem/dax0.0'));
  fs.rmSync(path.join(root, 'bus/dax/devices/dax0.0/driver'));
  const [device] = observe(new DirSysfs(root)).devices;
  assert.is(device.state, 'unbound');
  assert.match(device.problems.join('\n'), 'until reboot');
});

leak.run();

const fake = suite('observe: the in-memory host builder reads as the tree does');

fake('every fixture shape: fakeHost(spec) equals observe(tree written from spec)', () => {
  for (const [name, spec] of Object.entries(SHAPES)) {
    const fromTree = observe(new DirSysfs(host(spec)));
    assert.equal(fakeHost(spec), fromTree, name);
  }
});

fake.run();
