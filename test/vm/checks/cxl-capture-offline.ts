// Host-side check of the cxl-capture-offline scenario (test/vm/checks/lib/cxl-capture.ts):
// booted with memhp_default_state=offline, serial 0x1234abcd taken through
// `state` to online_movable, serial 0x5678ef01 left offline as it arrived.
import type { ScenarioRun } from '../run.js';
import { checkCapture } from './lib/cxl-capture.js';

export default function check(run: ScenarioRun): void {
  checkCapture(run, {
    dir: 'offline-boot',
    title: "CXL RAM under Debian's 7.3 booted with memhp_default_state=offline: one device online_movable, one as it arrived",
    expected: [
      { serials: ['0x1234abcd'], state: 'online_movable', blocks: 'Movable' },
      { serials: ['0x5678ef01'], state: 'offline', blocks: 'offline' },
    ],
  });
}
