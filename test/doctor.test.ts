import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { run } from './support/cli.js';
import { policyFile, REPO, tempDir } from './support/host.js';
import { hostRoot, writeFiles } from './support/files.js';
import { acquireLock } from '../src/apply/lock.js';
import { scanRules } from '../src/doctor/udev.js';
import { daxctlIntent, parseDaxctlConf } from '../src/doctor/daxctl.js';
import { lastParam, parseCmdline } from '../src/doctor/cmdline.js';
import type { Finding } from '../src/doctor/findings.js';
import type { HostSpec } from './sim/tree.js';

const UUID_A = '4d8f53a7-3f54-4a5a-9d26-5b0a1c0e1f11';
const UUID_B = '9b1e5b62-8c3c-4b5e-a8a5-3f6d7e0c2a22';
const FAR_MOVABLE = 'version: 1\nrules:\n  - name: far\n    match: { numa_node: [1, 2] }\n    state: online_movable\n';
const DISTRO_RULE = 'SUBSYSTEM=="memory", ACTION=="add", ATTR{state}=="offline", ATTR{state}="online"\n';
const DAXCTL_RULE = 'ACTION=="add", SUBSYSTEM=="dax", TAG+="systemd", ENV{SYSTEMD_WANTS}="daxdev-reconfigure@$env{DEVNAME}.service"\n';

const TWO_PMEM: HostSpec = {
  devices: [
    { name: 'dax0.0', node: 1, blocks: 2, state: 'devdax', uuid: UUID_A },
    { name: 'dax1.0', node: 2, blocks: 2, state: 'devdax', uuid: UUID_B },
  ],
};

async function doctor(root: string, sys: string, extra: string[] = []) {
  const r = await run(['doctor', '--sysfs-root', sys, '--root', root, '--lock-file', path.join(root, 'run/daxplan/lock'), '--format', 'json', ...extra]);
  const doc = JSON.parse(r.stdout) as { findings: Finding[]; summary: Record<string, number>; checked: Record<string, unknown>; format_version: string; kind: string };
  return { ...r, doc, ids: doc.findings.map((f) => `${f.severity} ${f.id}`) };
}

const cli = suite('doctor: competitors on fixture trees');

cli('a host with no competitor: no findings, exit 0, in text and JSON', async () => {
  const { root, sys } = hostRoot(TWO_PMEM);
  writeFiles(root, { 'proc/cmdline': 'BOOT_IMAGE=/vmlinuz root=/dev/vda1 ro quiet\n', 'usr/lib/udev/rules.d/50-other.rules': 'SUBSYSTEM=="block", TAG+="x"\n' });
  const r = await doctor(root, sys, ['-c', policyFile(FAR_MOVABLE)]);
  assert.is(r.code, 0, r.stderr);
  assert.is(r.doc.format_version, '2.0');
  assert.is(r.doc.kind, 'doctor');
  assert.equal(r.doc.findings, []);
  assert.equal(r.doc.summary, { error: 0, warning: 0, info: 0 });
  assert.equal(r.doc.checked.root, root);
  const text = await run(['doctor', '--sysfs-root', sys, '--root', root, '-c', policyFile(FAR_MOVABLE)]);
  assert.is(text.code, 0);
  assert.match(text.stdout, 'No competing controllers found.');
});

cli('auto_online_blocks=online: a warning with the sysfs path and the fix that survives reboot', async () => {
  const { root, sys } = hostRoot({ ...TWO_PMEM, autoOnline: 'online' });
  const r = await doctor(root, sys);
  assert.is(r.code, 0);
  assert.equal(r.ids, ['warning kernel.auto_online_blocks']);
  const [f] = r.doc.findings;
  assert.is(f.evidence, '/sys/devices/system/memory/auto_online_blocks = online');
  assert.match(f.fix, "kernel: { auto_online_blocks: offline }");
  assert.match(f.fix, 'daxplan-kernel-defaults.service');
  // the policy declaring offline turns it into drift daxplan apply fixes
  const drift = await doctor(root, sys, ['-c', policyFile(`version: 1\nkernel:\n  auto_online_blocks: offline\n${FAR_MOVABLE.slice(11)}`)]);
  assert.match(drift.doc.findings[0].message, 'the policy declares auto_online_blocks: offline');
  assert.match(drift.doc.findings[0].fix, "Run 'daxplan apply'");
  // and declaring the kernel's own value makes it information
  const agreed = await doctor(root, sys, ['-c', policyFile(`version: 1\nkernel:\n  auto_online_blocks: online\n${FAR_MOVABLE.slice(11)}`)]);
  assert.equal(agreed.ids, ['info kernel.auto_online_blocks']);
});

cli('Linux 7.3: a state file the blocks contradict is drift, with the repair', async () => {
  const { root, sys } = hostRoot({ stateFile: true, devices: [{ name: 'dax0.0', node: 1, blocks: 2, state: 'online_movable', stateWord: 'online' }, { name: 'dax1.0', node: 1, blocks: 2, state: 'online_movable' }] });
  const r = await doctor(root, sys);
  assert.equal(r.ids, ['warning device.state-drift']);
  const [f] = r.doc.findings;
  assert.is(f.evidence, '/sys/bus/dax/devices/dax0.0/state = online (blocks 32-33 Movable)');
  assert.match(f.message, "dax0.0: the kernel's state file reads online but the memory blocks are 2/2 blocks online, Movable");
  assert.match(f.fix, "daxplan apply --device dax0.0' to repair it through the state file");
});

cli('kernel command line: memhp_default_state, memory_hotplug.online_policy (dashes too), movable_node', async () => {
  const { root, sys } = hostRoot({ ...TWO_PMEM, autoOnline: 'online' });
  writeFiles(root, { 'proc/cmdline': 'BOOT_IMAGE=/vmlinuz memhp_default_state=online memory-hotplug.online_policy=auto-movable movable_node quiet\n' });
  const r = await doctor(root, sys);
  assert.equal(r.ids, ['warning kernel.auto_online_blocks', 'warning cmdline.memhp_default_state', 'warning cmdline.online_policy', 'warning cmdline.movable_node']);
  const state = r.doc.findings[1];
  assert.is(state.evidence, `${root}/proc/cmdline: memhp_default_state=online`);
  assert.match(state.fix, 'memhp_default_state=offline');
  assert.is(r.doc.findings[2].evidence, `${root}/proc/cmdline: memory-hotplug.online_policy=auto-movable`);
  // memhp_default_state=offline is what the fix asks for: nothing to report
  writeFiles(root, { 'proc/cmdline': 'quiet memhp_default_state=offline\n' });
  const fixed = await doctor(root, sys, ['-c', policyFile(`version: 1\nkernel:\n  auto_online_blocks: offline\n${FAR_MOVABLE.slice(11)}`)]);
  assert.equal(fixed.ids, ['warning kernel.auto_online_blocks']);
});

cli('a rule file longer than a page is read whole: its rules past 4 KiB are found', async () => {
  const { root, sys } = hostRoot(TWO_PMEM);
  const padding = '# a long comment, as distribution rule files have\n'.repeat(100);
  writeFiles(root, { 'usr/lib/udev/rules.d/40-vm-hotadd.rules': `${padding}${DISTRO_RULE}` });
  const r = await doctor(root, sys);
  assert.equal(r.ids, ['error udev.memory-state']);
  assert.is(r.doc.findings[0].evidence, `${root}/usr/lib/udev/rules.d/40-vm-hotadd.rules:101`);
});

cli('a distro udev rule that onlines memory: error at file:line; a same-name /etc override is honoured', async () => {
  const { root, sys } = hostRoot(TWO_PMEM);
  writeFiles(root, { 'usr/lib/udev/rules.d/40-vm-hotadd.rules': `# online hot-added memory\n\n${DISTRO_RULE}SUBSYSTEM=="cpu", ACTION=="add", ATTR{online}="1"\n` });
  const r = await doctor(root, sys);
  assert.is(r.code, 1);
  assert.equal(r.ids, ['error udev.memory-state']);
  const [f] = r.doc.findings;
  assert.is(f.evidence, `${root}/usr/lib/udev/rules.d/40-vm-hotadd.rules:3`);
  assert.match(f.message, 'ATTR{state}="online"');
  assert.match(f.fix, `copy ${root}/usr/lib/udev/rules.d/40-vm-hotadd.rules to ${root}/etc/udev/rules.d/40-vm-hotadd.rules without line 3`);
  // the override in /etc keeps the cpu line and drops the memory one: udev loads only it
  writeFiles(root, { 'etc/udev/rules.d/40-vm-hotadd.rules': 'SUBSYSTEM=="cpu", ACTION=="add", ATTR{online}="1"\n' });
  const overridden = await doctor(root, sys);
  assert.is(overridden.code, 0);
  assert.equal(overridden.ids, []);
  // an override that still onlines memory is reported where it is
  writeFiles(root, { 'etc/udev/rules.d/40-vm-hotadd.rules': `# local copy\n${DISTRO_RULE}` });
  const local = await doctor(root, sys);
  assert.is(local.doc.findings[0].evidence, `${root}/etc/udev/rules.d/40-vm-hotadd.rules:2`);
  assert.match(local.doc.findings[0].fix, 'Delete or comment out line 2');
  // a /dev/null link masks it
  fs.rmSync(path.join(root, 'etc/udev/rules.d/40-vm-hotadd.rules'));
  fs.symlinkSync('/dev/null', path.join(root, 'etc/udev/rules.d/40-vm-hotadd.rules'));
  const masked = await doctor(root, sys);
  assert.equal(masked.ids, ['info udev.masked'], 'a distribution rule masked by name is named, as an info');
  assert.is(masked.doc.findings[0].message, "40-vm-hotadd.rules (Ubuntu's rule for memory hot-added to virtual machines) is masked by name: its rules do not run");
  // /run wins over /usr/lib as well; /lib loses to /usr/lib
  writeFiles(root, { 'run/udev/rules.d/80-mem.rules': DISTRO_RULE, 'lib/udev/rules.d/80-mem.rules': '' });
  assert.is((await doctor(root, sys)).doc.findings[0].evidence, `${root}/run/udev/rules.d/80-mem.rules:1`);
});

cli("daxctl's hook and a conf.d section that disagrees with the policy: error naming both sides", async () => {
  const { root, sys } = hostRoot(TWO_PMEM);
  writeFiles(root, {
    'usr/lib/udev/rules.d/90-daxctl-device.rules': DAXCTL_RULE,
    'etc/daxctl.conf.d/daxctl.example.conf': '# [reconfigure-device unique_identifier_foo]\n# nvdimm.uuid=ed93e918-e165-49d8-921d-383d7b9660c5\n',
    'etc/daxctl.conf.d/site.conf': [
      '[reconfigure-device db-memory]',
      `nvdimm.uuid = ${UUID_A.toUpperCase()}`,
      'mode = system-ram',
      'online = true',
      'movable = false',
      '',
      '[reconfigure-device cache]',
      `nvdimm.uuid=${UUID_B}`,
      'mode=system-ram',
      '',
      '[reconfigure-device gone]',
      'nvdimm.uuid = 00000000-1111-2222-3333-444444444444',
      'mode = devdax',
      '',
    ].join('\n'),
  });
  const policy = policyFile(FAR_MOVABLE);
  const r = await doctor(root, sys, ['-c', policy]);
  assert.is(r.code, 1);
  assert.equal(r.ids, ['error daxctl.conf', 'warning daxctl.udev-hook', 'warning daxctl.conf', 'info daxctl.conf']);
  const [disagree, hook, agree, gone] = r.doc.findings;
  assert.is(disagree.evidence, `${root}/etc/daxctl.conf.d/site.conf:1`);
  assert.match(disagree.message, '[reconfigure-device db-memory] (mode = system-ram, online = true, movable = false) reconfigures dax0.0 to online (system-ram)');
  assert.match(disagree.message, `but the policy's rule "far" (${policy}:3) wants online_movable`);
  assert.match(disagree.fix, `Remove [reconfigure-device db-memory] from ${root}/etc/daxctl.conf.d/site.conf`);
  assert.is(hook.evidence, `${root}/usr/lib/udev/rules.d/90-daxctl-device.rules:1`);
  assert.match(hook.fix, `contrib/competitors/udev/90-daxctl-device.rules as ${root}/etc/udev/rules.d/90-daxctl-device.rules`);
  assert.match(agree.message, 'daxctl and daxplan both configure dax1.0 (both want online_movable');
  assert.match(gone.message, 'which no dax device on this host has');
  // without a policy there is nothing to disagree with: both sections warn
  const cwd = tempDir();
  const bare = await run(['doctor', '--sysfs-root', sys, '--root', root, '--lock-file', path.join(root, 'lock'), '-f', 'json'], {}, cwd);
  assert.equal(JSON.parse(bare.stdout).findings.map((f: Finding) => `${f.severity} ${f.id}`), ['warning daxctl.udev-hook', 'warning daxctl.conf', 'warning daxctl.conf', 'info daxctl.conf']);
  // the contrib mask, installed as the docs say, makes every section inert
  fs.mkdirSync(path.join(root, 'etc/udev/rules.d'), { recursive: true });
  fs.copyFileSync(path.join(REPO, 'contrib/competitors/udev/90-daxctl-device.rules'), path.join(root, 'etc/udev/rules.d/90-daxctl-device.rules'));
  const masked = await doctor(root, sys, ['-c', policy]);
  assert.is(masked.code, 0);
  assert.equal(masked.ids, ['info daxctl.conf', 'info daxctl.conf', 'info daxctl.conf']);
  assert.match(masked.doc.findings[0].message, "daxctl's udev hook is absent or masked");
});

cli('another daxplan run holds the lock: reported without taking it; a killed run is information', async () => {
  const { root, sys } = hostRoot(TWO_PMEM);
  const lockFile = path.join(root, 'run/daxplan/lock');
  const lock = await acquireLock(lockFile, { timeoutSeconds: 0, trigger: 'udev' });
  try {
    const r = await doctor(root, sys);
    assert.equal(r.ids, ['warning daxplan.running']);
    assert.is(r.doc.findings[0].evidence, lockFile);
    assert.match(r.doc.findings[0].message, `pid ${process.pid} (trigger udev`);
    // doctor did not take (or break) the lock: apply still finds it held
    const held = await run(['apply', '--auto-approve', '--sysfs-root', sys, '-c', policyFile(FAR_MOVABLE), '--lock-file', lockFile, '--lock-timeout', '0']);
    assert.is(held.code, 75);
  } finally {
    await lock.release();
  }
  assert.equal((await doctor(root, sys)).ids, []);
  // a holder record left by a process that is gone: the run was killed
  const dead = spawnSync(process.execPath, ['-e', 'console.log(process.pid)'], { encoding: 'utf8' });
  fs.writeFileSync(lockFile, JSON.stringify({ pid: Number(dead.stdout), trigger: 'boot', started: '2026-01-01T00:00:00Z', moving: { device: 'dax0.0', from: 'devdax', to: 'online_movable' } }));
  const killed = await doctor(root, sys);
  assert.equal(killed.ids, ['info daxplan.killed']);
  assert.match(killed.doc.findings[0].message, 'moving dax0.0 from devdax to online_movable');
  // a run that ended owing auto_online_blocks its value: a warning, and no claim that it was killed
  fs.writeFileSync(lockFile, JSON.stringify({ pid: Number(dead.stdout), trigger: 'udev', started: '2026-01-01T00:00:00Z', owed: { device: 'dax0.0', restore: 'online', set: 'online_movable', boot_id: null } }) + '\n');
  const owed = await doctor(root, sys);
  assert.equal(owed.ids, ['warning daxplan.auto-online-owed']);
  assert.match(owed.doc.findings[0].message, 'auto_online_blocks was set to online_movable to bind dax0.0 and not put back to online');
});

/** A process that is not daxplan, holding the abstract socket of `lockFile` until killed. */
async function squat(lockFile: string): Promise<ChildProcess> {
  const { dev, ino } = fs.statSync(lockFile, { bigint: true });
  const squatter = spawn(process.execPath, ['-e', `require('net').createServer().listen({ path: '\\0daxplan-lock/${dev}:${ino}' }, () => console.log('ready'))`]);
  await new Promise((resolve, reject) => {
    squatter.stdout!.once('data', resolve);
    squatter.once('exit', reject);
  });
  return squatter;
}

cli('a lock squatted by another process: apply (exit 75) and doctor name that process, not the dead run the lock file names', async () => {
  const { root, sys } = hostRoot(TWO_PMEM);
  const lockFile = path.join(root, 'run/daxplan/lock');
  const dead = spawnSync(process.execPath, ['-e', 'console.log(process.pid)'], { encoding: 'utf8' });
  fs.mkdirSync(path.dirname(lockFile), { recursive: true });
  fs.writeFileSync(lockFile, JSON.stringify({ pid: Number(dead.stdout), trigger: 'boot', started: '2026-01-01T00:00:00Z' }) + '\n');
  const squatter = await squat(lockFile);
  try {
    const held = await run(['apply', '--auto-approve', '--sysfs-root', sys, '-c', policyFile(FAR_MOVABLE), '--lock-file', lockFile, '--lock-timeout', '0']);
    assert.is(held.code, 75);
    assert.match(held.stderr, `is held by pid ${squatter.pid} (node), not by the daxplan run its file names (pid ${Number(dead.stdout)} (trigger boot`);
    const r = await doctor(root, sys);
    assert.equal(r.ids, ['error daxplan.lock-squatted']);
    assert.match(r.doc.findings[0].message, `the lock is held by pid ${squatter.pid} (node), not by the daxplan run its file names (pid ${Number(dead.stdout)}`);
    assert.match(r.doc.findings[0].fix, `/proc/${squatter.pid}/exe`);
  } finally {
    squatter.kill();
  }
  await new Promise((resolve) => squatter.once('exit', resolve));
  assert.equal((await doctor(root, sys)).ids, ['info daxplan.killed'], 'once the squatter is gone, the record is a killed run again');
});

cli('a device left mixed by someone else: a warning with its blocks and the fix', async () => {
  const { root, sys } = hostRoot({ devices: [{ name: 'dax0.0', node: 1, blocks: 4, state: 'NoNo' }] });
  const r = await doctor(root, sys);
  assert.is(r.code, 0);
  assert.equal(r.ids, ['warning device.mixed']);
  assert.is(r.doc.findings[0].evidence, '/sys/bus/dax/devices/dax0.0 (blocks 32-35: 32 Normal, 33 offline, 34 Normal, 35 offline)');
  assert.match(r.doc.findings[0].fix, "daxplan apply --device dax0.0");
});

cli('a large mixed device: its blocks as runs, at most eight of them', async () => {
  const halves = await doctor(...Object.values(hostRoot({ devices: [{ name: 'dax0.0', node: 1, blocks: 300, state: 'N'.repeat(100) + 'o'.repeat(200) }] })) as [string, string]);
  assert.is(halves.doc.findings[0].evidence, '/sys/bus/dax/devices/dax0.0 (blocks 32-331: 32-131 Normal, 132-331 offline)');
  const striped = await doctor(...Object.values(hostRoot({ devices: [{ name: 'dax0.0', node: 1, blocks: 30, state: 'NMo'.repeat(10) }] })) as [string, string]);
  const evidence = striped.doc.findings[0].evidence;
  assert.is(evidence, '/sys/bus/dax/devices/dax0.0 (blocks 32-61: 32 Normal, 33 Movable, 34 offline, 35 Normal, 36 Movable, 37 offline, 38 Normal, 39 Movable, … (+22 more runs))');
});

cli('without --root, a tree that is not this host gets no host-file checks', async () => {
  const { root, sys } = hostRoot(TWO_PMEM);
  writeFiles(root, { 'usr/lib/udev/rules.d/40-vm-hotadd.rules': DISTRO_RULE });
  const r = await run(['doctor', '--sysfs-root', sys, '-c', policyFile(FAR_MOVABLE), '-f', 'json']);
  assert.is(r.code, 0);
  assert.equal(JSON.parse(r.stdout).checked.root, null);
  assert.match((await run(['doctor', '--sysfs-root', sys, '-c', policyFile(FAR_MOVABLE)])).stdout, 'host files not read (give --root DIR)');
});

cli('plan carries the same findings: conflicts in JSON, a block in text, a callout in Markdown', async () => {
  const { root, sys } = hostRoot({ ...TWO_PMEM, autoOnline: 'online' });
  writeFiles(root, { 'usr/lib/udev/rules.d/40-vm-hotadd.rules': DISTRO_RULE });
  const base = ['plan', '--sysfs-root', sys, '--root', root, '-c', policyFile(FAR_MOVABLE)];
  const json = JSON.parse((await run([...base, '-f', 'json'])).stdout);
  assert.equal(json.conflicts.map((f: Finding) => f.id), ['udev.memory-state', 'kernel.auto_online_blocks']);
  assert.equal(Object.keys(json.conflicts[0]), ['id', 'severity', 'evidence', 'message', 'fix']);
  const text = await run(base);
  assert.is(text.code, 0, 'conflicts do not change plan\'s exit code');
  assert.match(text.stdout, 'Conflicts: other controllers of this memory (daxplan doctor):\n  error   udev.memory-state: udev rule 40-vm-hotadd.rules (Ubuntu\'s rule for memory hot-added to virtual machines) writes the state');
  assert.match(text.stdout, `          at:  ${root}/usr/lib/udev/rules.d/40-vm-hotadd.rules:1`);
  assert.ok(text.stdout.trimEnd().endsWith('Plan: 2 to change, 0 unchanged, 0 unmanaged.'));
  const md = (await run([...base, '-f', 'markdown'])).stdout;
  assert.match(md, '> [!CAUTION]\n> Other controllers of this memory (1 error, 1 warning, 0 info):\n> - **error** `udev.memory-state`');
});

cli.run();

const parse = suite('doctor: parsers');

parse('udev: continuation lines, GOTO guards, RUN commands writing state, daxctl hooks', () => {
  const rules = [
    '# comment ATTR{state}="online"',
    'SUBSYSTEM=="memory", ACTION=="add", \\',
    '  ATTR{state}="online_movable"',
    'SUBSYSTEM!="memory", GOTO="memory_end"',
    'ACTION!="add", GOTO="memory_end"',
    'ENV{.state}="online"',
    'ATTR{state}=="offline", ATTR{state}="$env{.state}"',
    'LABEL="memory_end"',
    'ATTR{state}="online"',
    'SUBSYSTEM=="memory", RUN+="/bin/sh -c \'echo online > /sys$devpath/state\'"',
    'ACTION=="add", RUN+="/usr/local/bin/online-all.sh /sys/devices/system/memory/auto_online_blocks"',
    'SUBSYSTEM=="memory", ATTR{state}=="offline", TAG+="x"',
    'SUBSYSTEM=="dax", RUN+="/usr/bin/daxctl reconfigure-device -C $kernel"',
  ].join('\n');
  assert.equal(
    scanRules(rules).map((h) => `${h.line} ${h.kind} ${h.detail}`),
    [
      '2 memory-state ATTR{state}="online_movable"',
      '7 memory-state ATTR{state}="$env{.state}"',
      '10 memory-state RUN+="/bin/sh -c \'echo online > /sys$devpath/state\'"',
      '11 memory-state RUN+="/usr/local/bin/online-all.sh /sys/devices/system/memory/auto_online_blocks"',
      '13 daxctl RUN+="/usr/bin/daxctl reconfigure-device -C $kernel"',
    ],
  );
});

parse("daxctl.conf.d: sections, daxctl's booleans and defaults", () => {
  const sections = parseDaxctlConf(
    ['[core]', 'path = /x', '[reconfigure-device a]', 'nvdimm.uuid = AA-BB', 'mode = system-ram', 'Online = no', '[reconfigure-device b]', 'mode = system-ram', 'movable = 0 ; trailing', '[reconfigure-device c]', 'mode = devdax', '[reconfigure-device d]', 'online = true'].join('\n'),
    'etc/daxctl.conf.d/x.conf',
  );
  assert.equal(
    sections.map((s) => [s.name, s.line, s.uuid ?? null, daxctlIntent(s) ?? null]),
    [
      ['a', 3, 'aa-bb', 'offline'],
      ['b', 7, null, 'online'],
      ['c', 10, null, 'devdax'],
      ['d', 12, null, null],
    ],
  );
});

parse('kernel command line: quotes, dashes as underscores, the last occurrence wins, -- ends it', () => {
  const params = parseCmdline('root=/dev/vda1 memhp-default-state=online acpi="a b" memhp_default_state=offline -- movable_node');
  assert.equal(lastParam(params, 'memhp_default_state')?.value, 'offline');
  assert.equal(lastParam(params, 'acpi')?.value, 'a b');
  assert.is(lastParam(params, 'movable_node'), undefined);
});

parse.run();
