// Host-side check of the cxl-interleaved scenario (test/vm/checks/lib/cxl-capture.ts):
// one dax device over a region interleaved 2 ways, serial 0x1234abcd's memdev
// as target0, bound to kmem with its 2 GiB offline (memhp_default_state=offline).
import type { ScenarioRun } from '../run.js';
import { checkCapture } from './lib/cxl-capture.js';

export default function check(run: ScenarioRun): void {
  checkCapture(run, {
    dir: 'interleaved',
    title: "A CXL RAM region interleaved over two expanders under Debian's 7.3, booted with memhp_default_state=offline",
    expected: [{ serials: ['0x1234abcd', '0x5678ef01'], state: 'offline', blocks: 'offline' }],
  });
}
