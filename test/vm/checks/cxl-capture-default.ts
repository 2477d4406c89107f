// Host-side check of the cxl-capture-default scenario (test/vm/checks/lib/cxl-capture.ts):
// both devices arrived bound to kmem and onlined in ZONE_NORMAL.
import type { ScenarioRun } from '../run.js';
import { checkCapture } from './lib/cxl-capture.js';

export default function check(run: ScenarioRun): void {
  checkCapture(run, {
    dir: 'default-boot',
    title: "CXL RAM under Debian's 7.3 with the kernel's default: onlined in ZONE_NORMAL on arrival",
    expected: [
      { serials: ['0x1234abcd'], state: 'online', blocks: 'Normal' },
      { serials: ['0x5678ef01'], state: 'online', blocks: 'Normal' },
    ],
  });
}
