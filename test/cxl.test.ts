// CXL memory as a first-class device: observed through the region to the
// memdevs behind it, selected by what survives a reboot (serial, PCI address,
// QoS class, physical range), shown by status, explained by doctor.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DirSysfs } from '../src/host/sysfs.js';
import { observe } from '../src/host/observe.js';
import { parsePolicy, type Policy } from '../src/policy/parse.js';
import { plan, type Entry } from '../src/plan/plan.js';
import { formatDiagnostic } from '../src/model/errors.js';
import type { Finding } from '../src/doctor/findings.js';
import type { DeviceSpec, HostSpec } from './sim/tree.js';
import { run } from './support/cli.js';
import { host, policyFile, REPO, tempDir } from './support/host.js';
import { hostRoot, writeFiles } from './support/files.js';

const GiB = 1n << 30n;

/** dax0.0: one expander (serial 0x5a3c0d01, QoS class 1 from the root decoder); dax1.0: two interleaved; dax2.0: pmem, not CXL. */
const EXPANDERS: HostSpec = {
  autoOnline: 'offline',
  devices: [
    { name: 'dax0.0', node: 2, blocks: 8, state: 'offline', source: 'cxl', cxl: { qosClass: 1, memdevs: [{ serial: 0x5a3c0d01n, node: 1 }] } },
    {
      name: 'dax1.0',
      node: 3,
      blocks: 8,
      state: 'devdax',
      source: 'cxl',
      cxl: { memdevs: [{ serial: 0x5a3c0d02n, pci: '0000:35:00.0', qosClass: 7 }, { serial: 0x5a3c0d03n, pci: '0000:36:00.0', qosClass: 7 }] },
    },
    { name: 'dax2.0', node: 1, blocks: 4, state: 'devdax', uuid: '6e1f3c4a-9b2d-4c1e-8f7a-2d3b4c5d6e7f' },
  ],
};

function policy(yaml: string): Policy {
  const result = parsePolicy(yaml, 'policy.yaml');
  if (!result.ok) throw new Error(result.errors.map(formatDiagnostic).join('\n'));
  return result.policy;
}

/** One rule selecting with `match` (YAML flow mapping) to online_movable. */
const selecting = (match: string) => policy(`version: 1\nrules:\n  - name: pick\n    match: ${match}\n    state: online_movable\n`);

/** Each device: "name decision[ reason]" under a one-rule policy. */
function decisions(spec: HostSpec, match: string): string[] {
  return plan(selecting(match), observe(new DirSysfs(host(spec)))).entries.map(describe);
}

/** Each device's decision alone. */
function kinds(spec: HostSpec, match: string): string[] {
  return plan(selecting(match), observe(new DirSysfs(host(spec)))).entries.map((e) => e.kind);
}

function describe(e: Entry): string {
  return e.kind === 'blocked' || e.kind === 'unmanaged' ? `${e.device.name} ${e.kind}: ${e.reason}` : `${e.device.name} ${e.kind}`;
}

const seen = suite('cxl: observe the chain dax -> region -> endpoint decoder -> memdev');

seen('region, range, interleave, QoS class and each memdev with serial, PCI address and node', () => {
  const { devices } = observe(new DirSysfs(host(EXPANDERS)));
  const [one, two, pmem] = devices;
  assert.equal(one.cxl, {
    region: 'region0',
    mode: 'ram',
    start: 32n * 128n * 1024n * 1024n,
    size: GiB,
    interleaveWays: 1,
    qosClass: 1,
    memdevs: [{ name: 'mem0', serial: 0x5a3c0d01n, serialSharedWith: [], pci: '0000:0d:00.0', numaNode: 1 }],
  });
  assert.is(one.uuid, undefined, "a RAM region's uuid reads an empty line: no identity");
  assert.equal(
    two.cxl!.memdevs.map((m) => [m.name, m.serial, m.pci]),
    [
      ['mem1', 0x5a3c0d02n, '0000:35:00.0'],
      ['mem2', 0x5a3c0d03n, '0000:36:00.0'],
    ],
  );
  assert.is(two.cxl!.interleaveWays, 2);
  assert.is(two.cxl!.qosClass, 7, 'no class on the root decoder: the one both memdevs report');
  assert.is(pmem.cxl, undefined);
  assert.ok(devices.every((d) => d.problems.length === 0), JSON.stringify(devices.map((d) => d.problems)));
});

seen('a serial another memdev reports too (behind a device or not) is marked shared', () => {
  const root = host({
    devices: [
      { name: 'dax0.0', node: 2, blocks: 2, state: 'offline', source: 'cxl', cxl: { memdevs: [{ serial: 0x77n }] } },
      { name: 'dax1.0', node: 2, blocks: 2, state: 'offline', source: 'cxl', cxl: { memdevs: [{ serial: 0x77n }] } },
      { name: 'dax2.0', node: 2, blocks: 2, state: 'offline', source: 'cxl', cxl: { memdevs: [{ serial: 0x88n }] } },
    ],
  });
  // A memdev with no region yet, reporting dax2.0's serial.
  writeFiles(root, { 'devices/pci0000:40/0000:40:00.0/0000:41:00.0/mem9/serial': '0x88\n' });
  fs.symlinkSync('../../../devices/pci0000:40/0000:40:00.0/0000:41:00.0/mem9', path.join(root, 'bus/cxl/devices/mem9'));
  const { devices } = observe(new DirSysfs(root));
  assert.equal(devices.map((d) => d.cxl!.memdevs[0].serialSharedWith), [['mem1'], ['mem0'], ['mem9']]);
});

seen('a hostile chain is a problem on its device, never a crash, and the device is not changed', () => {
  const cases: [string, (root: string, region: string) => void, RegExp][] = [
    ['garbage serial', (root) => fs.writeFileSync(path.join(root, 'bus/cxl/devices/mem0/serial'), 'twelve\n'), /mem0\/serial: cannot parse "twelve"/],
    ['no target', (root, region) => fs.rmSync(path.join(root, region, 'target0')), /region0\/target0: missing/],
    ['target not a decoder', (root, region) => fs.writeFileSync(path.join(root, region, 'target0'), '../../etc\n'), /not an endpoint decoder/],
    ['decoder not on the bus', (root) => fs.rmSync(path.join(root, 'bus/cxl/devices/decoder2.0')), /bus\/cxl\/devices\/decoder2.0 is missing/],
    ['uport a loop', (root) => loop(path.join(root, 'devices/platform/ACPI0017:00/root0/port1/endpoint2/uport')), /leads to no memdev|symlink loop/],
    ['serial behind a loop', (root) => loop(path.join(root, 'bus/cxl/devices/mem0/serial')), /serial: a symbolic link \(or a loop\), not an attribute/],
    ['absurd interleave', (root, region) => fs.writeFileSync(path.join(root, region, 'interleave_ways'), '4096\n'), /interleave_ways: 4096 is not 1 to 16/],
    ['garbage range', (root, region) => fs.writeFileSync(path.join(root, region, 'resource'), '0xZZ\n'), /region0\/resource: cannot parse/],
  ];
  for (const [what, spoil, problem] of cases) {
    const root = host({ devices: [{ name: 'dax0.0', node: 2, blocks: 2, state: 'offline', source: 'cxl', cxl: { memdevs: [{ serial: 0x1n }] } }] });
    spoil(root, path.dirname(path.dirname(path.join('bus/dax/devices', fs.readlinkSync(path.join(root, 'bus/dax/devices/dax0.0'))))));
    const [device] = observe(new DirSysfs(root)).devices;
    assert.match(device.problems.join('\n'), problem, what);
    const [entry] = plan(selecting('{ numa_node: 2 }'), { kernel: observe(new DirSysfs(root)).kernel, devices: [device] }).entries;
    assert.is(entry.kind, 'blocked', what);
  }
});

function loop(file: string): void {
  fs.rmSync(file, { force: true, recursive: true });
  fs.symlinkSync(path.basename(file), file);
}

seen.run();

const select = suite('cxl: selectors');

select('serial: one or a list, as YAML numbers, hex or decimal strings, as cxl list prints them', () => {
  for (const match of [
    '{ serial: 0x5a3c0d01 }',
    '{ serial: "0x5A3C0D01" }',
    '{ serial: 1513884929 }',
    '{ serial: "1513884929" }',
    '{ serial: [0x1, 0x5a3c0d01] }',
    '{ serial: !!int "0x5a3c0d01" }',
    '{ serial: [!!int \'0x5a3c0d01\'] }',
  ]) {
    assert.equal(decisions(EXPANDERS, match), ['dax0.0 change', 'dax1.0 unmanaged: no rule matches', 'dax2.0 unmanaged: no rule matches'], match);
  }
});

select('an interleaved region: all of its memdevs must match (the default), or any with memdevs: any', () => {
  const NONE = 'dax0.0 unmanaged: no rule matches';
  assert.equal(decisions(EXPANDERS, '{ serial: 0x5a3c0d02 }')[1], 'dax1.0 unmanaged: no rule matches');
  assert.equal(decisions(EXPANDERS, '{ serial: 0x5a3c0d02, memdevs: all }')[1], 'dax1.0 unmanaged: no rule matches');
  assert.equal(decisions(EXPANDERS, '{ serial: 0x5a3c0d02, memdevs: any }').slice(0, 2), [NONE, 'dax1.0 change']);
  assert.equal(decisions(EXPANDERS, '{ serial: [0x5a3c0d02, 0x5a3c0d03] }').slice(0, 2), [NONE, 'dax1.0 change']);
  assert.equal(decisions(EXPANDERS, '{ pci: "0000:36:00.0", memdevs: any }').slice(0, 2), [NONE, 'dax1.0 change']);
  assert.equal(decisions(EXPANDERS, '{ pci: ["35:00.0", "36:00.0"] }').slice(0, 2), [NONE, 'dax1.0 change'], 'the PCI domain may be left out');
  assert.equal(decisions(EXPANDERS, '{ pci: "0000:36:00.0" }')[1], 'dax1.0 unmanaged: no rule matches');
  assert.equal(decisions(EXPANDERS, '{ pci: ["00000000:35:00.0", "00000000:36:00.0"] }').slice(0, 2), [NONE, 'dax1.0 change'], 'an eight-digit domain is the same domain');
});

select('qos_class and address; a device that is not CXL matches no CXL key, but address', () => {
  assert.equal(decisions(EXPANDERS, '{ qos_class: 1 }'), ['dax0.0 change', 'dax1.0 unmanaged: no rule matches', 'dax2.0 unmanaged: no rule matches']);
  assert.equal(kinds(EXPANDERS, '{ qos_class: [1, 7] }'), ['change', 'change', 'unmanaged']);
  // dax0.0 is blocks 32-39 (0x100000000-0x13fffffff), dax1.0 40-47, dax2.0 48-51.
  assert.equal(kinds(EXPANDERS, '{ address: { start: "0x100000000", end: "0x13fffffff" } }'), ['change', 'unmanaged', 'unmanaged']);
  assert.equal(kinds(EXPANDERS, '{ address: { start: "0x100000000", end: "0x13ffffffe" } }'), ['unmanaged', 'unmanaged', 'unmanaged'], 'the device must lie within');
  assert.equal(kinds(EXPANDERS, '{ address: [{ start: "0x0", end: "0xff" }, { start: "0x180000000", end: "0x19fffffff" }] }'), ['unmanaged', 'unmanaged', 'change']);
});

select('the plan says what matched', () => {
  const p = plan(selecting('{ serial: [0x5a3c0d02, 0x5a3c0d03], qos_class: 7 }'), observe(new DirSysfs(host(EXPANDERS))));
  assert.is(p.entries[1].reason, 'matches serial 0x5a3c0d02, 0x5a3c0d03 (all of 2 memdevs), qos_class 7');
});

const ZERO: DeviceSpec = { name: 'dax0.0', node: 2, blocks: 2, state: 'offline', source: 'cxl', cxl: { memdevs: [{ serial: 0n, pci: '0000:0d:00.0' }] } };

select('a serial of 0, or one two memdevs share, is no identity: a rule selecting by serial blocks the device', () => {
  const [zero] = decisions({ devices: [ZERO] }, '{ serial: 0 }');
  assert.is(zero, 'dax0.0 blocked: rule "pick" (policy.yaml:3) selects by serial, and mem0\'s serial 0x0 is no identity (what emulators and some firmware report for every device); select it by pci or address instead');
  assert.match(decisions({ devices: [ZERO] }, '{ serial: 0x1234 }')[0], 'blocked', 'which device the rule means cannot be told');
  const twins: HostSpec = { devices: [0, 1].map((i) => ({ ...ZERO, name: `dax${i}.0`, cxl: { memdevs: [{ serial: 0x55n }] } })) };
  assert.equal(decisions(twins, '{ serial: 0x55 }'), [
    'dax0.0 blocked: rule "pick" (policy.yaml:3) selects by serial, and mem0\'s serial 0x55 is no identity (also reported by mem1); select it by pci or address instead',
    'dax1.0 blocked: rule "pick" (policy.yaml:3) selects by serial, and mem1\'s serial 0x55 is no identity (also reported by mem0); select it by pci or address instead',
  ]);
  assert.equal(decisions({ devices: [ZERO] }, '{ pci: "0000:0d:00.0" }'), ['dax0.0 change'], 'other keys still select it');
  assert.equal(decisions({ devices: [ZERO] }, '{ serial: 0, numa_node: 5 }'), ['dax0.0 unmanaged: no rule matches'], 'a rule whose other keys miss does not block');
});

select.run();

const lint = suite('cxl: policy diagnostics and the shadowing lint');

function errors(text: string): string[] {
  const result = parsePolicy(text, 'policy.yaml');
  return result.ok ? [] : result.errors.map(formatDiagnostic);
}

function warnings(text: string): string[] {
  return parsePolicy(text, 'policy.yaml').warnings.map(formatDiagnostic);
}

const rule = (name: string, match: string) => `  - name: ${name}\n    match: ${match}\n    state: online\n`;

lint('the all-ones serial, what a memdev without one reports, is an error naming file, line and column', () => {
  for (const serial of ['0xffffffffffffffff', '"0xFFFFFFFFFFFFFFFF"', '18446744073709551615']) {
    const [error, ...rest] = errors(`version: 1\nrules:\n${rule('a', `{ serial: [0x1, ${serial}] }`)}`);
    assert.equal(rest, []);
    assert.match(error, /^policy\.yaml:4:28: rules\[0\]\.match\.serial\[1\]: serial (0x[fF]{16}|18446744073709551615) is what a memdev without a serial reports \(cxl list prints none for it\): it names no device; select it by pci or address$/, serial);
  }
});

lint('bad selectors name file, line and column', () => {
  assert.equal(errors(`version: 1\nrules:\n${rule('a', '{ serial: [0x1, 18446744073709551616] }')}`), [
    'policy.yaml:4:28: rules[0].match.serial[1]: serial "18446744073709551616" is not a 64-bit number as cxl list prints it (decimal, or hex with 0x)',
  ]);
  assert.equal(errors(`version: 1\nrules:\n${rule('a', '{ serial: "0xcafe-babe" }')}`), [
    'policy.yaml:4:22: rules[0].match.serial: "0xcafe-babe" is not valid here (must match ^(0[xX][0-9a-fA-F]{1,16}|[0-9]{1,20})$)',
  ]);
  assert.equal(errors(`version: 1\nrules:\n${rule('a', '{ address: { start: "0x2000", end: "0x1fff" } }')}`), [
    'policy.yaml:4:23: rules[0].match.address: address window ends (0x1fff) before it starts (0x2000)',
  ]);
  assert.equal(errors(`version: 1\nrules:\n${rule('a', '{ memdevs: any }')}`), [
    'policy.yaml:4:23: rules[0].match.memdevs: memdevs says how serial and pci match the memdevs of an interleaved region; add serial or pci',
  ]);
  assert.equal(errors(`version: 1\nrules:\n${rule('a', '{ pci: "0d:00" }')}`).length, 1);
  assert.equal(errors(`version: 1\nrules:\n${rule('a', '{ qos_class: -1 }')}`), ['policy.yaml:4:25: rules[0].match.qos_class: must be >= 0']);
});

lint('a serial too large for a JavaScript number is read exactly from the file', () => {
  const p = policy(`version: 1\nrules:\n${rule('a', '{ serial: [18446744073709551614, 0xfffffffffffffffd] }')}`);
  assert.equal(p.rules[0].match.serial, [0xfffffffffffffffen, 0xfffffffffffffffdn]);
});

lint('shadowed rules: serial and pci subsets (all covers all, any covers both), qos classes, address windows', () => {
  const shadowed = (first: string, second: string) => warnings(`version: 1\nrules:\n${rule('a', first)}${rule('b', second)}`).length === 1;
  assert.ok(shadowed('{ serial: [0x1, 0x2] }', '{ serial: 0x1 }'));
  assert.ok(shadowed('{ serial: [0x1, 0x2], memdevs: any }', '{ serial: 0x1 }'), 'every memdev listed implies one is');
  assert.ok(!shadowed('{ serial: [0x1, 0x2] }', '{ serial: 0x1, memdevs: any }'), 'one memdev listed does not imply all are');
  assert.ok(!shadowed('{ serial: 0x1 }', '{ serial: [0x1, 0x2] }'));
  assert.ok(!shadowed('{ serial: 0x1 }', '{ numa_node: 2 }'));
  assert.ok(shadowed('{ pci: "0000:0d:00.0" }', '{ pci: "0d:00.0", numa_node: 2 }'));
  assert.ok(shadowed('{ qos_class: [1, 2] }', '{ qos_class: 2, serial: 0x9 }'));
  assert.ok(shadowed('{ address: { start: "0x0", end: "0xffffffff" } }', '{ address: [{ start: "0x1000", end: "0x1fff" }] }'));
  assert.ok(!shadowed('{ address: { start: "0x1000", end: "0x1fff" } }', '{ address: { start: "0x0", end: "0xffffffff" } }'));
  assert.ok(!shadowed('{ numa_node: 2, serial: 0x1 }', '{ numa_node: 2 }'));
});

lint.run();

const shown = suite('cxl: status, snapshot, doctor and the example');

shown('status shows the region and each memdev: a line in text, a cxl object in JSON (serial as a 0x string)', async () => {
  const sys = host(EXPANDERS);
  const text = await run(['status', '--sysfs-root', sys]);
  assert.is(text.code, 0, text.stderr);
  assert.match(text.stdout, '  dax0.0: CXL region0 (ram, 0x100000000, 1 GiB, qos_class 1): mem0 serial 0x5a3c0d01 at 0000:0d:00.0 node 1\n');
  assert.match(text.stdout, 'dax1.0: CXL region1 (ram, 0x140000000, 1 GiB, 2-way interleave, qos_class 7): mem1 serial 0x5a3c0d02 at 0000:35:00.0; mem2 serial 0x5a3c0d03 at 0000:36:00.0');
  const json = JSON.parse((await run(['status', '--sysfs-root', sys, '-f', 'json'])).stdout);
  assert.equal(json.devices[0].cxl, {
    region: 'region0',
    mode: 'ram',
    start: '0x100000000',
    size: 1073741824,
    interleave_ways: 1,
    qos_class: 1,
    memdevs: [{ name: 'mem0', serial: '0x5a3c0d01', serial_shared_with: [], pci: '0000:0d:00.0', numa_node: 1 }],
  });
  assert.is(json.devices[2].cxl, null);
  const zero = await run(['status', '--sysfs-root', host({ devices: [ZERO] })]);
  assert.match(zero.stdout, 'mem0 serial 0x0 at 0000:0d:00.0 (no identity: what emulators and some firmware report for every device)');
});

async function doctorIds(spec: HostSpec, policyText?: string, cmdline?: string): Promise<Finding[]> {
  const { root, sys } = hostRoot(spec);
  if (cmdline) writeFiles(root, { 'proc/cmdline': cmdline });
  const r = await run(['doctor', '--sysfs-root', sys, '--root', root, '--lock-file', path.join(root, 'lock'), '-f', 'json', ...(policyText ? ['-c', policyFile(policyText)] : [])]);
  return (JSON.parse(r.stdout) as { findings: Finding[] }).findings.filter((f) => f.id.startsWith('cxl.'));
}

shown('doctor: CXL memory the kernel put in ZONE_NORMAL at boot, when the policy wants it elsewhere', async () => {
  const booted: HostSpec = { autoOnline: 'offline', devices: [{ ...EXPANDERS.devices[0], state: 'online' }] };
  const [trapped, ...rest] = await doctorIds(booted, 'version: 1\nrules:\n  - name: far\n    match: { serial: 0x5a3c0d01 }\n    state: online_movable\n');
  assert.equal(rest, []);
  assert.is(trapped.severity, 'warning');
  assert.is(trapped.evidence, '/sys/bus/dax/devices/dax0.0: 8 of 8 blocks in ZONE_NORMAL');
  assert.match(trapped.message, 'dax0.0 (CXL region0, mem0 serial 0x5a3c0d01) was onlined into ZONE_NORMAL');
  assert.match(trapped.message, 'often refused when taken offline again');
  assert.match(trapped.fix, 'memhp_default_state=offline');
  assert.match(trapped.fix, "'kernel: { auto_online_blocks: offline }'");
  assert.match(trapped.fix, 'enable daxplan-kernel-defaults.service (make install installs it)');
  assert.equal(await doctorIds(booted, 'version: 1\nrules:\n  - name: near\n    match: { serial: 0x5a3c0d01 }\n    state: online\n'), [], 'ZONE_NORMAL is what the policy wants');
  assert.equal(await doctorIds({ ...booted, devices: [{ ...booted.devices[0], state: 'online_movable' }] }), []);
});

shown('doctor: a kernel default that onlines CXL memory present at boot, before daxplan runs', async () => {
  const waiting: HostSpec = { autoOnline: 'online', devices: [EXPANDERS.devices[0]] };
  const [byDefault] = await doctorIds(waiting);
  assert.is(byDefault.severity, 'info');
  assert.is(byDefault.evidence, '/sys/devices/system/memory/auto_online_blocks = online');
  assert.match(byDefault.message, 'CXL memory present at boot (dax0.0) is onlined into ZONE_NORMAL');
  const [byCmdline] = await doctorIds({ ...waiting, autoOnline: 'offline' }, undefined, 'root=/dev/vda1 memhp_default_state=online_kernel\n');
  assert.match(byCmdline.evidence, /proc\/cmdline: memhp_default_state=online_kernel$/);
  assert.equal(await doctorIds({ ...waiting, autoOnline: 'offline' }, undefined, 'root=/dev/vda1 memhp_default_state=offline\n'), []);
  assert.equal(await doctorIds({ autoOnline: 'online', devices: [EXPANDERS.devices[2]] }), [], 'no CXL device');
});

shown('the example policy selects the expanders by serial', async () => {
  const example = path.join(REPO, 'examples/cxl-movable-pmem-app');
  const r = await run(['plan', '-c', path.join(example, 'daxplan.yaml'), '--sysfs-root', path.join(example, 'host/sys'), '-f', 'json']);
  const doc = JSON.parse(r.stdout) as { devices: { device: string; decision: string; rule: { name: string } | null; reason: string }[] };
  assert.equal(
    doc.devices.map((d) => [d.device, d.decision, d.rule?.name, d.reason]),
    [
      ['dax0.0', 'unchanged', 'app-pmem', 'matches uuid 6e1f3c4a-9b2d-4c1e-8f7a-2d3b4c5d6e7f'],
      ['dax1.0', 'change', 'cxl-expanders', 'matches serial 0x5a3c0d01'],
      ['dax2.0', 'change', 'cxl-expanders', 'matches serial 0x5a3c0d02, 0x5a3c0d03 (all of 2 memdevs)'],
    ],
  );
});

shown('apply (simulated kernel) moves the device a serial selects, and only it', async () => {
  const sys = host(EXPANDERS);
  const file = policyFile('version: 1\nrules:\n  - name: far\n    match: { serial: 0x5a3c0d01 }\n    state: online_movable\n');
  const r = await run(['apply', '--auto-approve', '--sysfs-root', sys, '-c', file]);
  assert.is(r.code, 0, r.stderr);
  const after = observe(new DirSysfs(sys)).devices;
  assert.equal(after.map((d) => d.state), ['online_movable', 'devdax', 'devdax']);
  assert.is(after[0].cxl!.memdevs[0].serial, 0x5a3c0d01n);
});

shown.run();

// The trees Debian's 7.3 wrote for two real (QEMU-emulated) CXL expanders,
// serials 0x1234abcd at 0000:0d:00.0 and 0x5678ef01 at 0000:0e:00.0, with the
// memdev names swapped between the two boots (test/fixtures/real-cxl-7.3).
const real = suite('cxl: the real captures (Debian 7.3 under QEMU 10)');

const CAPTURES = {
  'default-boot': { first: 'mem0', second: 'mem1' },
  'offline-boot': { first: 'mem1', second: 'mem0' },
};

/** Every memdev `cxl list -v` printed: name, serial (a decimal number there) and PCI host. */
function cxlList(variant: string): { memdev: string; serial: number; host: string }[] {
  const found: { memdev: string; serial: number; host: string }[] = [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v !== null && typeof v === 'object') {
      const memdev = (v as { memdev?: unknown }).memdev;
      if (memdev !== null && typeof memdev === 'object') found.push(memdev as { memdev: string; serial: number; host: string });
      Object.values(v).forEach(walk);
    }
  };
  walk(JSON.parse(fs.readFileSync(path.join(REPO, 'test/fixtures/real-cxl-7.3', variant, 'cxl-list.json'), 'utf8')));
  return found;
}

for (const [variant, names] of Object.entries(CAPTURES)) {
  const sys = path.join(REPO, 'test/fixtures/real-cxl-7.3', variant, 'sys');

  real(`${variant}: each device's region and memdev as the capture's README gives them, serials as cxl list prints them`, () => {
    const devices = observe(new DirSysfs(sys)).devices;
    assert.equal(devices.map((d) => d.problems), [[], []]);
    assert.equal(
      devices.map((d) => d.cxl),
      [
        { region: 'region0', mode: 'ram', start: 0x110000000n, size: GiB, interleaveWays: 1, qosClass: 0, memdevs: [{ name: names.first, serial: 0x1234abcdn, serialSharedWith: [], pci: '0000:0d:00.0', numaNode: undefined }] },
        { region: 'region1', mode: 'ram', start: 0x150000000n, size: GiB, interleaveWays: 1, qosClass: 0, memdevs: [{ name: names.second, serial: 0x5678ef01n, serialSharedWith: [], pci: '0000:0e:00.0', numaNode: undefined }] },
      ],
    );
    const listed = cxlList(variant);
    assert.is(listed.length, 2);
    for (const m of devices.flatMap((d) => d.cxl!.memdevs)) {
      const same = listed.find((l) => l.memdev === m.name)!;
      assert.is(BigInt(same.serial), m.serial, m.name);
      assert.is(same.host, m.pci, m.name);
    }
  });

  real(`${variant}: a rule with the serial cxl list printed selects the same expander whatever its memdev is called`, () => {
    const p = plan(selecting(`{ serial: ${cxlList(variant).find((l) => l.host === '0000:0d:00.0')!.serial} }`), observe(new DirSysfs(sys)));
    assert.equal(
      p.entries.map((e) => [e.device.name, e.kind === 'unmanaged' ? 'unmanaged' : e.reason]),
      [
        ['dax0.0', 'matches serial 0x1234abcd'],
        ['dax1.0', 'unmanaged'],
      ],
    );
  });
}

real('doctor: the default boot left both expanders in ZONE_NORMAL; the offline boot left none', async () => {
  const movable = policyFile('version: 1\nrules:\n  - name: expanders\n    match: { serial: [0x1234abcd, 0x5678ef01] }\n    state: online_movable\n');
  const findings = async (variant: string) => {
    const r = await run(['doctor', '--sysfs-root', path.join(REPO, 'test/fixtures/real-cxl-7.3', variant, 'sys'), '--lock-file', path.join(tempDir(), 'lock'), '-c', movable, '-f', 'json']);
    return (JSON.parse(r.stdout) as { findings: Finding[] }).findings.filter((f) => f.id === 'cxl.zone-normal').map((f) => `${f.severity} ${f.evidence}`);
  };
  assert.equal(await findings('default-boot'), [
    'warning /sys/bus/dax/devices/dax0.0: 8 of 8 blocks in ZONE_NORMAL',
    'warning /sys/bus/dax/devices/dax1.0: 8 of 8 blocks in ZONE_NORMAL',
  ]);
  assert.equal(await findings('offline-boot'), []);
});

real.run();
