// The tree Debian's 7.3 kernel wrote (test/fixtures/real-7.3, captured by the
// VM suite's capture-states scenario), the first with the kmem `state` file
// (bus/dax/devices/daxX.Y/state, only while bound to kmem). Its devices were
// put in their states with daxctl and per-block writes, so the `state` files
// of dax0.0 (all blocks Movable) and dax3.0 (mixed) still read `online`: the
// kernel updates the file only for changes made through it. What a user sees
// (status and plan through the CLI) must follow the blocks, not a stale file,
// and name the stale file as drift.
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

real('status shows what the blocks are next to what the state file says, and names the drift', async () => {
  const r = await run(['status', '--sysfs-root', FIXTURE]);
  assert.is(r.code, 0);
  // columns are two or more spaces apart ("1006 MiB" is one value)
  const lines = r.stdout.split('\n');
  const head = lines[0].split(/\s{2,}/);
  const rows = lines.filter((l) => /^dax\d/.test(l)).map((l) => Object.fromEntries(l.split(/\s{2,}/).map((v, i) => [head[i], v])));
  assert.equal(
    rows.map((c) => [c.DEVICE, c.STATE, c['STATE-FILE'], c.BLOCKS, c.ZONE]),
    [
      ['dax0.0', 'online_movable', 'online', '7/7', 'Movable'],
      ['dax1.0', 'online', 'online', '7/7', 'Normal'],
      ['dax2.0', 'devdax', '-', '-', '-'],
      ['dax3.0', 'mixed', 'online', '4/7', 'Normal'],
    ],
  );
  const out = r.stdout + r.stderr;
  assert.match(out, 'dax0.0: drift: the kernel\'s state file reads online but the memory blocks are 7/7 blocks online, Movable');
  assert.match(out, 'dax3.0: drift');
  assert.not.match(out, 'dax1.0: drift');

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
  // dax0.0 already is online_movable (its state word is stale): nothing to write
  assert.is(moved('dax0.0'), undefined);

  const text = await run(['plan', '-c', policyFile(FAR_MOVABLE), '--sysfs-root', FIXTURE]);
  assert.match(text.stdout, '+ dax2.0  devdax -> online_movable');
  assert.match(text.stdout, 'dax3.0 is mixed (4/7 blocks online, Normal)');
});

real('7.3 is driven through the state file: every device by method "state"; a stale word over memory already movable is left, a stale mixed device is moved through the file', async () => {
  const r = await run(['plan', '-c', policyFile(FAR_MOVABLE), '--sysfs-root', FIXTURE, '--format', 'json']);
  const doc = JSON.parse(r.stdout) as {
    format_version: string;
    actions: (Action & { reason: string; steps: { op: string; write?: string }[] })[];
    devices: { device: string; decision: string; reason: string }[];
  };
  assert.is(doc.format_version, '2.0');
  assert.equal(
    doc.actions.map((a) => [a.device, a.method]),
    [
      ['dax1.0', 'state'],
      ['dax2.0', 'state'],
      ['dax3.0', 'state'],
    ],
  );
  const dax0 = doc.devices.find((d) => d.device === 'dax0.0')!;
  assert.is(dax0.decision, 'unchanged');
  assert.match(dax0.reason, "the kernel's state file reads online but the memory blocks are 7/7 blocks online, Movable: the memory is where the policy wants it, so it stays");
  const dax3 = doc.actions.find((a) => a.device === 'dax3.0')!;
  assert.match(dax3.reason, "the kernel's state file reads online");
  // between online types the kernel wants `unplugged` first
  assert.equal(
    dax3.steps.map((s) => s.write),
    ['unplugged', 'online_movable'],
  );
});

real.run();
