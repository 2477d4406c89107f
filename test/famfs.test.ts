// famfs (Linux 7.1+): a dax device bound to fsdev_dax holds a shared-memory
// file system, and any driver other than kmem and device_dax holds the device
// for itself. Tested on test/fixtures/derived/famfs-7.3 (the real 7.3 capture
// with dax2.0 rebound to fsdev_dax, as daxctl v85's famfs mode leaves it):
// status shows the driver, the plan never gives such a device a step (and
// says why), a policy can name `famfs` so leaving it is drift that doctor
// reports and nothing acts on.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { run } from './support/cli.js';
import { copyTree, policyFile, REPO, tempDir } from './support/host.js';
import { SIM_CONFIG } from './sim/kernel.js';

const FAMFS = path.join(REPO, 'test/fixtures/derived/famfs-7.3/sys');
const REAL_73 = path.join(REPO, 'test/fixtures/real-7.3/sys');
const DAX2_UUID = 'f154f0de-0737-4310-8565-7a3cf75b8741';
const rule = (state: string) => `version: 1\nrules:\n  - name: shared\n    match: { uuid: ${DAX2_UUID} }\n    state: ${state}\n`;
const ALL_MOVABLE = 'version: 1\nrules:\n  - name: all\n    match: { device: "dax*" }\n    state: online_movable\n';

interface PlanDoc {
  actions: { device: string }[];
  devices: { device: string; decision: string; state: string; desired: string | null; reason: string }[];
}

async function planJson(root: string, policy: string): Promise<PlanDoc> {
  const r = await run(['plan', '--sysfs-root', root, '-c', policyFile(policy), '-f', 'json']);
  return JSON.parse(r.stdout) as PlanDoc;
}

const famfs = suite('famfs: a device another driver holds is shown, never changed, and its drift reported');

famfs('status names the driver: fsdev_dax, state famfs, in the text and the JSON', async () => {
  const text = (await run(['status', '--sysfs-root', FAMFS])).stdout;
  assert.match(text, /^DEVICE\s+STATE\s+DRIVER\s+STATE-FILE/m);
  assert.match(text, /^dax2\.0\s+famfs\s+fsdev_dax\s+-\s+2\s/m);
  assert.match(text, /^dax1\.0\s+online\s+kmem\s+online\s/m);
  const doc = JSON.parse((await run(['status', '--sysfs-root', FAMFS, '-f', 'json'])).stdout) as { devices: { name: string; state: string; driver: string; problems: string[] }[] };
  assert.equal(doc.devices.find((d) => d.name === 'dax2.0'), { ...doc.devices.find((d) => d.name === 'dax2.0')!, state: 'famfs', driver: 'fsdev_dax', problems: [] });
});

famfs('status --format daxctl says famfs, as daxctl v85 does', async () => {
  const list = JSON.parse((await run(['status', '--sysfs-root', FAMFS, '-f', 'daxctl'])).stdout) as { chardev: string; mode: string }[];
  assert.equal(list.map((d) => [d.chardev, d.mode]), [['dax0.0', 'system-ram'], ['dax1.0', 'system-ram'], ['dax2.0', 'famfs'], ['dax3.0', 'system-ram']]);
});

famfs('a rule that matches a famfs device plans no step for it and says why', async () => {
  const doc = await planJson(FAMFS, ALL_MOVABLE);
  const dax2 = doc.devices.find((d) => d.device === 'dax2.0')!;
  assert.is(dax2.decision, 'blocked');
  assert.is(dax2.state, 'famfs');
  assert.match(dax2.reason, 'dax2.0 is bound to fsdev_dax (famfs): daxplan never unbinds a device a file system may be mounted on');
  assert.not.ok(doc.actions.some((a) => a.device === 'dax2.0'));
  assert.ok(doc.actions.some((a) => a.device === 'dax1.0'), 'the other devices are still planned');
});

famfs('apply leaves the famfs device bound to fsdev_dax while it moves the others', async () => {
  const root = copyTree(FAMFS);
  fs.writeFileSync(path.join(root, SIM_CONFIG), '{}');
  const r = await run(['apply', '--auto-approve', '--sysfs-root', root, '-c', policyFile(ALL_MOVABLE), '--lock-file', path.join(tempDir(), 'lock')]);
  assert.match(r.stdout, 'dax1.0: online -> online_movable');
  assert.not.match(r.stdout, 'dax2.0:');
  assert.is(path.basename(fs.readlinkSync(path.join(root, 'bus/dax/devices/dax2.0/driver'))), 'fsdev_dax');
});

famfs('state: famfs is met by a famfs device, and doctor calls it a famfs finding', async () => {
  const doc = await planJson(FAMFS, rule('famfs'));
  assert.equal(doc.devices.find((d) => d.device === 'dax2.0')!.decision, 'unchanged');
  const doctor = await run(['doctor', '--sysfs-root', FAMFS, '-c', policyFile(rule('famfs')), '-f', 'json']);
  const findings = (JSON.parse(doctor.stdout) as { findings: { id: string; severity: string; message: string }[] }).findings;
  const found = findings.find((f) => f.id === 'device.famfs');
  assert.ok(found, doctor.stdout);
  assert.is(found!.severity, 'info');
  assert.match(found!.message, 'dax2.0 is bound to fsdev_dax (famfs)');
});

famfs('a famfs device a rule wants elsewhere is a warning in doctor', async () => {
  const doctor = await run(['doctor', '--sysfs-root', FAMFS, '-c', policyFile(rule('devdax')), '-f', 'json']);
  const found = (JSON.parse(doctor.stdout) as { findings: { id: string; severity: string; message: string }[] }).findings.find((f) => f.id === 'device.famfs');
  assert.is(found?.severity, 'warning');
  assert.match(found!.message, 'wants devdax');
});

famfs('a device the policy expects under famfs found elsewhere is drift: blocked, reported, not acted on', async () => {
  // In the real 7.3 capture dax2.0 is devdax: it "left famfs".
  const doc = await planJson(REAL_73, rule('famfs'));
  const dax2 = doc.devices.find((d) => d.device === 'dax2.0')!;
  assert.is(dax2.decision, 'blocked');
  assert.match(dax2.reason, 'the policy expects famfs (fsdev_dax), but dax2.0 is devdax (driver device_dax): drift reported, not acted on');
  assert.is(doc.actions.length, 0);
  const doctor = await run(['doctor', '--sysfs-root', REAL_73, '-c', policyFile(rule('famfs')), '-f', 'json']);
  const drift = (JSON.parse(doctor.stdout) as { findings: { id: string; severity: string }[] }).findings.find((f) => f.id === 'device.famfs-drift');
  assert.is(drift?.severity, 'warning');
});

famfs('a driver daxplan does not know: shown by name, state foreign, blocked', async () => {
  const root = copyTree(FAMFS);
  const drivers = path.join(root, 'bus/dax/drivers');
  fs.renameSync(path.join(drivers, 'fsdev_dax'), path.join(drivers, 'vendor_dax'));
  const link = path.join(root, 'bus/dax/devices/dax2.0/driver');
  const target = fs.readlinkSync(link).replace('fsdev_dax', 'vendor_dax');
  fs.unlinkSync(link);
  fs.symlinkSync(target, link);
  assert.match((await run(['status', '--sysfs-root', root])).stdout, /^dax2\.0\s+foreign\s+vendor_dax\s/m);
  const dax2 = (await planJson(root, ALL_MOVABLE)).devices.find((d) => d.device === 'dax2.0')!;
  assert.is(dax2.decision, 'blocked');
  assert.match(dax2.reason, 'dax2.0 is bound to vendor_dax, a driver daxplan does not manage and never unbinds');
});

famfs.run();
