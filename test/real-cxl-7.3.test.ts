// The trees Debian's 7.3 wrote for real CXL RAM regions under QEMU 10
// (test/fixtures/real-cxl-7.3, captured by the VM suite's cxl-capture-*
// scenarios): daxplan reads each device as the capture's README gives it.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as path from 'node:path';
import { DirSysfs } from '../src/host/sysfs.js';
import { observe } from '../src/host/observe.js';
import { REPO } from './support/host.js';

for (const [variant, auto, states] of [
  ['default-boot', 'online', [['dax0.0', 'online', 'online'], ['dax1.0', 'online', 'online']]],
  ['offline-boot', 'offline', [['dax0.0', 'online_movable', 'online_movable'], ['dax1.0', 'offline', 'offline']]],
] as const) {
  const root = path.join(REPO, `test/fixtures/real-cxl-7.3/${variant}/sys`);
  const real = suite(`real CXL ${variant}`);

  real('every device reads as a CXL device in the state its README gives', () => {
    const observed = observe(new DirSysfs(root));
    assert.equal(
      observed.devices.map((d) => [d.name, d.state, d.stateFile]),
      states.map((s) => [...s]),
    );
    for (const d of observed.devices) {
      assert.is(d.source, 'cxl', d.name);
      assert.is(d.uuid, undefined, `${d.name}: a RAM region has no UUID`);
      assert.is(d.targetNode, 1, d.name);
      assert.is(d.size, 1n << 30n, d.name);
      assert.equal(d.problems, [], d.name);
    }
    assert.is(observed.kernel.autoOnlineBlocks, auto);
    assert.is(observed.kernel.stateFile, 'seen');
  });

  real.run();
}
