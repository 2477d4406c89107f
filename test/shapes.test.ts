import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DirSysfs } from '../src/host/sysfs.js';
import { observe } from '../src/host/observe.js';
import { stateDrift } from '../src/model/device.js';
import { SHAPES } from './fixtures/shapes.js';
import { host } from './support/host.js';

// device: state node tier source uuid(first 8) blocks online/present state-file drift
const EXPECTED: Record<string, string[]> = {
  'pmem-namespaces': ['dax0.0: online_movable 1 22 nvdimm f9a22c9a 8/8 - -', 'dax1.0: devdax 2 - nvdimm eef74789 0/0 - -'],
  'cxl-regions': ['dax0.0: online 2 22 cxl 0b8f4e2a 16/16 - -', 'dax1.0: unbound 3 - cxl 4d2c1b0a 0/0 - -'],
  'soft-reserved': ['dax0.0: offline 1 - hmem - 0/4 - -'],
  tiers: ['dax0.0: online_movable 1 22 hmem - 4/4 - -', 'dax1.0: online_movable 2 22 hmem - 4/4 - -', 'dax2.0: online 3 16 hmem - 4/4 - -'],
  'state-file': ['dax0.0: unplug 1 22 cxl 9f8e7d6c 0/0 unplugged -', 'dax1.0: online 1 22 cxl 1a2b3c4d 4/4 online -'],
  'state-drift': ['dax0.0: online 1 22 cxl 9f8e7d6c 4/4 offline drift', 'dax1.0: online_movable 1 22 cxl 1a2b3c4d 4/4 online drift'],
  'mixed-blocks': ['dax0.0: mixed 1 22 nvdimm - 3/6 - -'],
};

for (const [name, spec] of Object.entries(SHAPES)) {
  test(`fixture shape ${name} reads as described`, () => {
    const { devices, kernel } = observe(new DirSysfs(host(spec)));
    const view = devices.map(
      (d) =>
        `${d.name}: ${d.state} ${d.targetNode} ${d.tier ?? '-'} ${d.source} ${d.uuid?.slice(0, 8) ?? '-'} ${d.blocks.filter((b) => b.state === 'online').length}/${d.blocks.length} ${d.stateFile ?? '-'} ${stateDrift(d, kernel.hotplug) ? 'drift' : '-'}`,
    );
    assert.equal(view, EXPECTED[name]);
  });
}

test('every shape has an expectation', () => assert.equal(Object.keys(EXPECTED).sort(), Object.keys(SHAPES).sort()));

test.run();
