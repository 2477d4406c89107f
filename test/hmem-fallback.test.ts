// The hmem fallback (Linux 7.0+): when a CXL region fails to assemble, the
// same memory appears as an hmem dax device with no CXL parent. Tested on
// test/fixtures/derived/hmem-fallback-cxl-7.3: the real offline-boot capture
// of two QEMU expanders where region1 (serial 0x5678ef01) did not assemble
// and its memory is devices/platform/hmem.1/dax1.0, inside the CXL window of
// root decoder decoder0.0. A rule selecting it by CXL identity must block it,
// saying why, not let it fall through to a later rule (unless the rule says
// on_unassembled: fall_through).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { run } from './support/cli.js';
import { policyFile, REPO, tempDir } from './support/host.js';
import { fakeHost } from './support/observed.js';
import { markUnassembled } from '../src/host/cxl.js';
import type { ObservedDevice } from '../src/model/device.js';

const FALLBACK = path.join(REPO, 'test/fixtures/derived/hmem-fallback-cxl-7.3/sys');
const ASSEMBLED = path.join(REPO, 'test/fixtures/real-cxl-7.3/offline-boot/sys');
const WINDOW = 'window decoder0.0 (0x110000000-0x20fffffff)';

const policy = (match: string, extra = '') =>
  `version: 1\nrules:\n  - name: app-memory\n    match: { ${match} }\n    state: devdax\n${extra}  - name: rest\n    match: { device: "dax*" }\n    state: online\n`;

interface PlanDevice {
  device: string;
  decision: string;
  desired: string | null;
  rule: { name: string } | null;
  reason: string;
}

async function decisions(root: string[], text: string): Promise<PlanDevice[]> {
  const r = await run(['plan', ...root, '-c', policyFile(text), '-f', 'json']);
  assert.ok(r.code === 0 || r.code === 2, r.stderr);
  return (JSON.parse(r.stdout) as { devices: PlanDevice[] }).devices;
}
const dax1 = (devices: PlanDevice[]) => devices.find((d) => d.device === 'dax1.0')!;

const hmem = suite('hmem fallback: CXL memory whose region did not assemble');

hmem('status recognises it: an hmem device in the CXL window, not CXL by its parent', async () => {
  const doc = JSON.parse((await run(['status', '--sysfs-root', FALLBACK, '-f', 'json'])).stdout) as {
    devices: { name: string; source: string; cxl: unknown; unassembled: unknown }[];
  };
  const [d0, d1] = doc.devices;
  assert.equal([d1.name, d1.source, d1.cxl, d1.unassembled], ['dax1.0', 'hmem', null, { decoder: 'decoder0.0', start: '0x110000000', end: '0x20fffffff' }]);
  assert.equal([d0.name, d0.source, d0.unassembled], ['dax0.0', 'cxl', null], 'an assembled region is no fallback');
  assert.match((await run(['status', '--sysfs-root', FALLBACK])).stdout, `dax1.0: CXL memory in ${WINDOW} whose region did not assemble`);
});

hmem('a rule selecting it by serial blocks it, saying why, instead of letting a later rule take it', async () => {
  const d = dax1(await decisions(['--sysfs-root', FALLBACK], policy('serial: 0x5678ef01')));
  assert.is(d.decision, 'blocked');
  assert.is(d.rule?.name, 'app-memory');
  assert.match(d.reason, `dax1.0 is CXL memory in ${WINDOW} whose region did not assemble: its serial cannot be read`);
  assert.match(d.reason, 'on_unassembled: fall_through');
  // The same policy on the boot where the region assembled: the rule matches by serial.
  const assembled = dax1(await decisions(['--sysfs-root', ASSEMBLED], policy('serial: 0x5678ef01')));
  assert.equal([assembled.decision, assembled.rule?.name], ['change', 'app-memory']);
});

hmem('pci and qos_class are named as what cannot be read', async () => {
  const d = dax1(await decisions(['--sysfs-root', FALLBACK], policy('pci: "0000:0e:00.0", qos_class: 0')));
  assert.match(d.reason, 'its PCI address, QoS class cannot be read');
});

hmem('a rule whose other keys do not hold the device is no block: a name glob that misses it', async () => {
  const d = dax1(await decisions(['--sysfs-root', FALLBACK], policy('serial: 0x5678ef01, device: "dax0.*"')));
  assert.equal([d.decision, d.rule?.name], ['change', 'rest']);
});

hmem('on_unassembled: fall_through lets the later rule decide it', async () => {
  const d = dax1(await decisions(['--sysfs-root', FALLBACK], policy('serial: 0x5678ef01', '    on_unassembled: fall_through\n')));
  assert.equal([d.decision, d.rule?.name, d.desired], ['change', 'rest', 'online']);
});

hmem('on_unassembled on a rule with no CXL identity selector is a policy error at its line', async () => {
  const file = policyFile(policy('device: "dax1.0"', '    on_unassembled: block\n'));
  const r = await run(['validate', '-c', file]);
  assert.is(r.code, 65);
  assert.match(r.stderr, `${file}:6:21: rules[0].on_unassembled: on_unassembled applies to rules that select by CXL identity; add serial, pci or qos_class`);
});

hmem('a snapshot carries it: the plan of the snapshot blocks it the same way', async () => {
  const file = path.join(tempDir(), 'host.json');
  fs.writeFileSync(file, (await run(['snapshot', '--sysfs-root', FALLBACK])).stdout);
  const d = dax1(await decisions(['--state', file], policy('serial: 0x5678ef01')));
  assert.is(d.decision, 'blocked');
  assert.match(d.reason, 'whose region did not assemble');
});

hmem('doctor reports it (cxl.unassembled)', async () => {
  const doc = JSON.parse((await run(['doctor', '--sysfs-root', FALLBACK, '-f', 'json'])).stdout) as { findings: { id: string; severity: string; evidence: string }[] };
  const found = doc.findings.filter((f) => f.id === 'cxl.unassembled');
  assert.is(found.length, 1);
  assert.is(found[0].severity, 'warning');
  assert.match(found[0].evidence, '/sys/bus/dax/devices/dax1.0 (hmem device, no CXL region) in /sys/bus/cxl/devices/decoder0.0');
});

hmem('only an hmem device is a fallback: the same range under an nvdimm bus (a CXL pmem region) is not', () => {
  const window = { decoder: 'decoder0.0', start: 0x110000000n, end: 0x20fffffffn };
  const device = (source: ObservedDevice['source']) => ({ ...fakeHost({ devices: [{ name: 'dax1.0', node: 1, blocks: 8, state: 'offline' }] }).devices[0], source, ranges: [{ start: 0x150000000n, end: 0x18fffffffn }] });
  const devices = [device('hmem'), device('nvdimm'), { ...device('hmem'), ranges: [{ start: 0x210000000n, end: 0x21fffffffn }] }];
  markUnassembled(devices, [window]);
  assert.equal(devices.map((d) => d.unassembled?.decoder), ['decoder0.0', undefined, undefined]);
});

hmem.run();
