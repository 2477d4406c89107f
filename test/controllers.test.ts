// Controllers of memory hotplug other than udev rules in general and daxctl:
// RHEL 10's 40-redhat-hotplug.rules (and its masking by name), and
// systemd-memhpd, which writes auto_online_blocks from /etc/memhpd.conf (or
// its own guess) at every start. doctor knows each by name and says what it
// does and how to stop it.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { run } from './support/cli.js';
import { policyFile } from './support/host.js';
import { hostRoot, writeFiles } from './support/files.js';
import { parseMemhpdConf } from '../src/doctor/memhpd.js';
import { settingMounts } from '../src/doctor/containers.js';
import type { Finding } from '../src/doctor/findings.js';

// The memory section of Red Hat's hotplug rules (as 40-redhat.rules has carried it since RHEL 8).
const REDHAT_MEMORY = `# Memory hotadd request
SUBSYSTEM!="memory", GOTO="memory_hotplug_end"
ACTION!="add", GOTO="memory_hotplug_end"
PROGRAM="/bin/uname -p", RESULT=="s390*", GOTO="memory_hotplug_end"
ENV{.state}="online"
PROGRAM="/bin/systemd-detect-virt", RESULT=="none", ENV{.state}="online_movable"
ATTR{state}=="offline", ATTR{state}="$env{.state}"
LABEL="memory_hotplug_end"
`;
const UNIT = 'usr/lib/systemd/system/systemd-memhpd.service';
const DECLARE_OFFLINE = 'version: 1\nkernel:\n  auto_online_blocks: offline\nrules: []\n';

async function doctor(files: Record<string, string>, extra: string[] = [], setup?: (root: string) => void) {
  const { root, sys } = hostRoot({ devices: [{ name: 'dax0.0', node: 1, blocks: 2, state: 'devdax' }] });
  writeFiles(root, { 'proc/cmdline': 'root=/dev/vda1 ro\n', ...files });
  setup?.(root);
  const r = await run(['doctor', '--sysfs-root', sys, '--root', root, '--lock-file', path.join(root, 'lock'), '-f', 'json', ...extra]);
  const findings = (JSON.parse(r.stdout) as { findings: Finding[] }).findings.filter((f) => f.id !== 'kernel.auto_online_blocks');
  return { root, code: r.code, findings, ids: findings.map((f) => `${f.severity} ${f.id}`) };
}

const rhel = suite('controllers: RHEL 10 40-redhat-hotplug.rules');

rhel('its memory rule is an error naming RHEL 10, overridden by name as the fix', async () => {
  const r = await doctor({ 'usr/lib/udev/rules.d/40-redhat-hotplug.rules': REDHAT_MEMORY });
  assert.equal(r.ids, ['error udev.memory-state']);
  const [f] = r.findings;
  assert.is(f.evidence, `${r.root}/usr/lib/udev/rules.d/40-redhat-hotplug.rules:7`);
  assert.match(f.message, "udev rule 40-redhat-hotplug.rules (RHEL 10's memory hotplug rule) writes the state of memory blocks");
  assert.match(f.fix, `Override it by name: copy ${r.root}/usr/lib/udev/rules.d/40-redhat-hotplug.rules to ${r.root}/etc/udev/rules.d/40-redhat-hotplug.rules without line 7 (or link ${r.root}/etc/udev/rules.d/40-redhat-hotplug.rules to /dev/null if you need none of its rules)`);
});

rhel('masked by name in /etc/udev/rules.d: no error, an info saying it is masked', async () => {
  const r = await doctor({ 'usr/lib/udev/rules.d/40-redhat-hotplug.rules': REDHAT_MEMORY }, [], (root) => {
    fs.mkdirSync(path.join(root, 'etc/udev/rules.d'), { recursive: true });
    fs.symlinkSync('/dev/null', path.join(root, 'etc/udev/rules.d/40-redhat-hotplug.rules'));
  });
  assert.equal(r.ids, ['info udev.masked']);
  assert.is(r.findings[0].evidence, `${r.root}/etc/udev/rules.d/40-redhat-hotplug.rules -> /dev/null`);
  assert.is(r.code, 0);
});

rhel.run();

const memhpd = suite('controllers: systemd-memhpd and /etc/memhpd.conf');

memhpd('TARGET_BLOCK_STATE as an environment file gives it: the last one, quotes stripped, comments skipped', () => {
  assert.equal(parseMemhpdConf('# TARGET_BLOCK_STATE=online\nTARGET_BLOCK_STATE=online\nTARGET_BLOCK_STATE="online_movable"\n'), {
    line: 3,
    text: 'TARGET_BLOCK_STATE="online_movable"',
    value: 'online_movable',
  });
  assert.is(parseMemhpdConf('TARGET_BLOCK_STATE=sideways\n')?.value, undefined);
  assert.is(parseMemhpdConf('OTHER=1\n'), undefined);
  // Evidence reaches a terminal: C0, DEL and C1 (a CSI is 0x9b) never do.
  assert.is(parseMemhpdConf('TARGET_BLOCK_STATE=online\x1b[2J\x9b2J\x7f\n')?.text, 'TARGET_BLOCK_STATE=online?[2J?2J?');
});

memhpd('installed with a target that onlines: a warning at the file and line', async () => {
  const r = await doctor({ [UNIT]: '[Service]\n', 'etc/memhpd.conf': '# memory hotplug\nTARGET_BLOCK_STATE=online_movable\n' });
  assert.equal(r.ids, ['warning memhpd']);
  assert.is(r.findings[0].evidence, `${r.root}/${UNIT}, ${r.root}/etc/memhpd.conf:2`);
  assert.match(r.findings[0].message, 'systemd-memhpd.service writes auto_online_blocks=online_movable at every start');
  assert.match(r.findings[0].fix, 'Set TARGET_BLOCK_STATE=offline in /etc/memhpd.conf');
});

memhpd('against the policy that declares auto_online_blocks: offline it is an error: two writers of one setting', async () => {
  const r = await doctor({ [UNIT]: '[Service]\n', 'etc/memhpd.conf': 'TARGET_BLOCK_STATE=online\n' }, ['-c', policyFile(DECLARE_OFFLINE)]);
  assert.equal(r.ids, ['error memhpd']);
  assert.match(r.findings[0].message, "against the policy's offline");
  assert.is(r.code, 1);
});

memhpd('without a configuration it guesses at every start: a warning', async () => {
  const r = await doctor({ [UNIT]: '[Service]\n' });
  assert.equal(r.ids, ['warning memhpd']);
  assert.match(r.findings[0].message, 'has no TARGET_BLOCK_STATE (no /etc/memhpd.conf), so at every start it guesses one');
});

memhpd('what leaves memory to daxplan is an info: offline, masked, refused by the command line, unknown word, no unit', async () => {
  const cases: [Record<string, string>, string, ((root: string) => void)?][] = [
    [{ [UNIT]: '[Service]\n', 'etc/memhpd.conf': 'TARGET_BLOCK_STATE=offline\n' }, 'keeps auto_online_blocks at offline'],
    [{ 'etc/memhpd.conf': 'TARGET_BLOCK_STATE=online\n' }, 'systemd-memhpd.service is not installed'],
    [{ [UNIT]: '[Service]\n', 'etc/memhpd.conf': 'TARGET_BLOCK_STATE=sideways\n' }, 'names no state systemd-memhpd.service knows, so it refuses to start'],
    [{ [UNIT]: '[Service]\n', 'etc/memhpd.conf': 'TARGET_BLOCK_STATE=online\n', 'proc/cmdline': 'root=/dev/vda1 memhp_default_state=offline\n' }, 'refuses to start while memhp_default_state='],
    [
      { [UNIT]: '[Service]\n', 'etc/memhpd.conf': 'TARGET_BLOCK_STATE=online\n' },
      'installed but masked',
      (root) => {
        fs.mkdirSync(path.join(root, 'etc/systemd/system'), { recursive: true });
        fs.symlinkSync('/dev/null', path.join(root, 'etc/systemd/system/systemd-memhpd.service'));
      },
    ],
  ];
  for (const [files, words, setup] of cases) {
    const r = await doctor(files, [], setup);
    assert.equal(r.ids, ['info memhpd'], words);
    assert.match(r.findings[0].message, words);
  }
});

memhpd('a host with neither: no finding', async () => {
  assert.equal((await doctor({})).ids, []);
});

memhpd.run();

const containers = suite('controllers: containers with the host\'s auto_online_blocks mounted');

const HOST_TABLE = '22 26 0:21 / /sys rw,relatime - sysfs sysfs rw\n';
const GPU_TABLE = `${HOST_TABLE}812 790 0:21 /devices/system/memory/auto_online_blocks /host\\040sys/auto_online_blocks rw,nosuid - sysfs sysfs rw\n`;

function process(root: string, pid: number, ns: string, comm: string, mountinfo: string): void {
  writeFiles(root, { [`proc/${pid}/mountinfo`]: mountinfo, [`proc/${pid}/comm`]: `${comm}\n` });
  fs.mkdirSync(path.join(root, `proc/${pid}/ns`), { recursive: true });
  fs.symlinkSync(`mnt:[${ns}]`, path.join(root, `proc/${pid}/ns/mnt`));
}

containers('a sysfs mount of the file (or a directory above it) on its own is found; the whole of sysfs is not', () => {
  assert.equal(settingMounts(GPU_TABLE), [{ mountPoint: '/host sys/auto_online_blocks', root: '/devices/system/memory/auto_online_blocks', writable: true }]);
  assert.equal(settingMounts('5 1 0:21 /devices/system/memory /mem ro,relatime - sysfs sysfs rw\n').map((m) => [m.root, m.writable]), [['/devices/system/memory', false]]);
  assert.equal(settingMounts(HOST_TABLE), []);
  assert.is(settingMounts('5 1 0:21 /devices/system/memory/auto_online_blocks /a\\012b rw - sysfs sysfs rw\n')[0].mountPoint, '/a?b', 'no control character reaches the evidence');
  assert.equal(settingMounts('5 1 0:21 /devices/system/cpu /cpu rw - sysfs sysfs rw\n'), []);
});

containers('doctor names the process of each namespace with it mounted writable, once per namespace; plan does not look', async () => {
  const r = await doctor({}, [], (root) => {
    process(root, 1, '4026531832', 'systemd', HOST_TABLE);
    process(root, 4242, '4026532611', 'nvidia-driver', GPU_TABLE);
    process(root, 4243, '4026532611', 'nvidia-persist', GPU_TABLE);
    process(root, 5000, '4026532700', 'reader', '9 1 0:21 /devices/system/memory /mem ro,relatime - sysfs sysfs rw\n');
  });
  assert.equal(r.ids, ['warning container.auto-online-mount', 'info container.auto-online-mount']);
  assert.is(r.findings[0].evidence, '/proc/4242/mountinfo: sysfs /devices/system/memory/auto_online_blocks on /host sys/auto_online_blocks (rw)');
  assert.match(r.findings[0].message, 'process 4242 (nvidia-driver) runs in a mount namespace with the host\'s auto_online_blocks mounted at /host sys/auto_online_blocks writable');
  const planned = await run(['plan', '--sysfs-root', path.join(r.root, 'sys'), '--root', r.root, '-c', policyFile('version: 1\nrules: []\n'), '-f', 'json']);
  const conflicts = (JSON.parse(planned.stdout) as { conflicts: Finding[] }).conflicts.map((f) => f.id);
  assert.not.ok(conflicts.includes('container.auto-online-mount'), 'plan reads no process tables');
});

containers.run();
