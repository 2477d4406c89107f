// The tree Debian's 7.3 kernel wrote (test/fixtures/real-7.3, captured by the
// VM suite's capture-states scenario), the first with the kmem `state` file
// (bus/dax/devices/daxX.Y/state, only while bound to kmem). Its devices were
// put in their states with daxctl and per-block writes, so the `state` files
// of dax0.0 (all blocks Movable) and dax3.0 (mixed) still read `online`: the
// kernel updates the file only for changes made through it. What a user sees
// (status and plan through the CLI) must follow the blocks, not a stale file.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { run } from './support/cli.js';
import { policyFile, REPO } from './support/host.js';

const FIXTURE = path.join(REPO, 'test/fixtures/real-7.3/sys');
const FAR_MOVABLE = 'version: 1\nrules:\n  - name: far\n    match: { tier: [4, 22] }\n    state: online_movable\n';

interface StatusDevice {
  name: string;
  state: string;
  driver: string | null;
  zone: string | null;
  blocks_online: number;
  blocks_present: number;
}
interface Action {
  device: string;
  from: string;
  to: string;
  method: string;
}

const stateFile = (dev: string) => path.join(FIXTURE, 'bus/dax/devices', dev, 'state');
const real = suite('real kernel 7.3: the kmem state file');

real('the capture carries a state file for every kmem device, stale where blocks were written by hand', () => {
  const read = (dev: string) => (fs.existsSync(stateFile(dev)) ? fs.readFileSync(stateFile(dev), 'utf8').trim() : null);
  assert.equal(
    ['dax0.0', 'dax1.0', 'dax2.0', 'dax3.0'].map((d) => [d, read(d)]),
    [
      ['dax0.0', 'online'], // over 7 Movable blocks: stale
      ['dax1.0', 'online'], // over 7 Normal blocks: true
      ['dax2.0', null], // devdax: no state file
      ['dax3.0', 'online'], // over 4 online + 3 offline blocks: stale
    ],
  );
});

real('status shows what the blocks are, not what a stale state file says', async () => {
  const r = await run(['status', '--sysfs-root', FIXTURE]);
  assert.is(r.code, 0);
  const rows = r.stdout
    .split('\n')
    .filter((l) => /^dax\d/.test(l))
    .map((l) => l.split(/\s+/));
  // DEVICE STATE NODE TIER UUID SIZE(2 words) BLOCKS ZONE
  assert.equal(
    rows.map((c) => [c[0], c[1], c[7], c[8]]),
    [
      ['dax0.0', 'online_movable', '7/7', 'Movable'],
      ['dax1.0', 'online', '7/7', 'Normal'],
      ['dax2.0', 'devdax', '0/7', '-'],
      ['dax3.0', 'mixed', '4/7', 'Normal'],
    ],
  );

  const json = JSON.parse((await run(['status', '--sysfs-root', FIXTURE, '--format', 'json'])).stdout) as {
    kernel: { auto_online_blocks: string };
    devices: StatusDevice[];
  };
  assert.is(json.kernel.auto_online_blocks, 'online');
  const dax0 = json.devices.find((d) => d.name === 'dax0.0')!;
  assert.equal([dax0.state, dax0.driver, dax0.zone, dax0.blocks_online, dax0.blocks_present], ['online_movable', 'kmem', 'Movable', 7, 7]);
});

real('a plan making all far memory movable moves the three other devices and never takes dax0.0 out of ZONE_MOVABLE', async () => {
  const r = await run(['plan', '-c', policyFile(FAR_MOVABLE), '--sysfs-root', FIXTURE, '--format', 'json']);
  assert.is(r.code, 0);
  const { actions } = JSON.parse(r.stdout) as { actions: Action[] };
  const moved = (dev: string) => actions.find((a) => a.device === dev);
  assert.equal(
    ['dax1.0', 'dax2.0', 'dax3.0'].map((d) => [d, moved(d)?.from, moved(d)?.to]),
    [
      ['dax1.0', 'online', 'online_movable'],
      ['dax2.0', 'devdax', 'online_movable'],
      ['dax3.0', 'mixed', 'online_movable'],
    ],
  );
  // dax0.0 already is online_movable; a stale state file may call for a repair, never for another zone
  const dax0 = moved('dax0.0');
  assert.ok(!dax0 || dax0.to === 'online_movable', JSON.stringify(dax0));

  const text = await run(['plan', '-c', policyFile(FAR_MOVABLE), '--sysfs-root', FIXTURE]);
  assert.match(text.stdout, '~ dax2.0  devdax -> online_movable');
  assert.match(text.stdout, 'dax3.0 is mixed (4/7 blocks online, Normal)');
});

// Today's code does not read the state file yet: it drives 7.3 block by block
// as it does 6.12. The state-file support being written on main changes this
// test (method "state" for devices with a state file).
real('today: 7.3 planned block by block, as on 6.12', async () => {
  const r = await run(['plan', '-c', policyFile(FAR_MOVABLE), '--sysfs-root', FIXTURE, '--format', 'json']);
  const doc = JSON.parse(r.stdout) as { kernel: { hotplug_attribute: string }; actions: Action[] };
  assert.equal(
    doc.actions.map((a) => [a.device, a.method]),
    [
      ['dax1.0', 'per-block'],
      ['dax2.0', 'per-block'],
      ['dax3.0', 'per-block'],
    ],
  );
});

real.run();
