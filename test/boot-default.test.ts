// The boot-time default, boot by boot: apply records what the kernel booted
// with at its first run in each boot (command line, kernel config from
// /boot/config-RELEASE or /proc/config.gz, auto_online_blocks before any
// write) under the host root, and doctor reports a default that changed
// since the last boot it saw, with both kernel releases.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import { run } from './support/cli.js';
import { policyFile } from './support/host.js';
import { hostRoot, writeFiles } from './support/files.js';
import { BOOT_RECORD_FILE, parseConfigDefault } from '../src/host/boot-default.js';
import type { Finding } from '../src/doctor/findings.js';

const BOOT_A = '6e1c1b1a-0d6f-4a3e-9c61-2b8f0a7d4c11';
const BOOT_B = '0f3b9d2e-5a47-4c1e-8b2d-9e6a1c3f7b22';
const OLD_CONFIG = 'CONFIG_MEMORY_HOTPLUG=y\nCONFIG_MEMORY_HOTPLUG_DEFAULT_ONLINE=y\n';
const NEW_CONFIG = 'CONFIG_MEMORY_HOTPLUG=y\nCONFIG_MHP_DEFAULT_ONLINE_TYPE_OFFLINE=y\n# CONFIG_MHP_DEFAULT_ONLINE_TYPE_ONLINE_AUTO is not set\n';
const POLICY = 'version: 1\nrules: []\n';

function boot(root: string, id: string, release: string, cmdline = 'root=/dev/vda1 ro'): void {
  writeFiles(root, { 'proc/sys/kernel/random/boot_id': `${id}\n`, 'proc/sys/kernel/osrelease': `${release}\n`, 'proc/cmdline': `${cmdline}\n` });
}

function machine() {
  const { root, sys } = hostRoot({ autoOnline: 'online', devices: [{ name: 'dax0.0', node: 1, blocks: 2, state: 'devdax' }] });
  const lock = path.join(root, 'lock');
  return {
    root,
    apply: () => run(['apply', '--auto-approve', '--sysfs-root', sys, '--root', root, '-c', policyFile(POLICY), '--lock-file', lock]),
    doctor: async () => {
      const r = await run(['doctor', '--sysfs-root', sys, '--root', root, '--lock-file', lock, '-f', 'json']);
      return (JSON.parse(r.stdout) as { findings: Finding[] }).findings.filter((f) => f.id === 'kernel.default-changed');
    },
    record: () => JSON.parse(fs.readFileSync(path.join(root, BOOT_RECORD_FILE), 'utf8')) as { kind: string; boots: { bootId: string; release: string; config: unknown; firstSeen: string; recordedAt: string }[] },
  };
}

const config = suite('boot default: the kernel config');

config('the CONFIG_MHP_DEFAULT_ONLINE_TYPE_* choice, else the option before it (y: online, not set: offline)', () => {
  assert.equal(parseConfigDefault(NEW_CONFIG), { option: 'CONFIG_MHP_DEFAULT_ONLINE_TYPE_OFFLINE', value: 'offline' });
  assert.equal(parseConfigDefault('CONFIG_MHP_DEFAULT_ONLINE_TYPE_ONLINE_MOVABLE=y\n')?.value, 'online_movable');
  assert.equal(parseConfigDefault('CONFIG_MHP_DEFAULT_ONLINE_TYPE_ONLINE_KERNEL=y\n')?.value, 'online_kernel');
  assert.equal(parseConfigDefault('CONFIG_MHP_DEFAULT_ONLINE_TYPE_ONLINE_AUTO=y\n')?.value, 'online');
  assert.equal(parseConfigDefault(OLD_CONFIG), { option: 'CONFIG_MEMORY_HOTPLUG_DEFAULT_ONLINE', value: 'online' });
  assert.equal(parseConfigDefault('# CONFIG_MEMORY_HOTPLUG_DEFAULT_ONLINE is not set\n')?.value, 'offline');
  assert.is(parseConfigDefault('CONFIG_NUMA=y\n'), undefined);
});

config.run();

const boots = suite('boot default: recorded by apply, compared by doctor');

boots('apply records the first look in a boot, once; the record names the release, the config and auto_online_blocks', async () => {
  const m = machine();
  boot(m.root, BOOT_A, '6.12.109-amd64');
  writeFiles(m.root, { 'boot/config-6.12.109-amd64': OLD_CONFIG });
  assert.is((await m.apply()).code, 0);
  const first = m.record();
  assert.is(first.kind, 'boot-defaults');
  assert.equal(first.boots.map((b) => [b.bootId, b.release, b.config, b.firstSeen]), [
    [BOOT_A, '6.12.109-amd64', { file: '/boot/config-6.12.109-amd64', option: 'CONFIG_MEMORY_HOTPLUG_DEFAULT_ONLINE', value: 'online' }, 'online'],
  ]);
  await m.apply();
  assert.equal(m.record(), first, 'the same boot is not recorded again');
  assert.equal(await m.doctor(), [], 'one boot: nothing to compare');
});

boots('a point release that changed the default: doctor names both releases and where each default came from', async () => {
  const m = machine();
  boot(m.root, BOOT_A, '6.12.109-amd64');
  writeFiles(m.root, { 'boot/config-6.12.109-amd64': OLD_CONFIG });
  await m.apply();
  boot(m.root, BOOT_B, '6.12.110-amd64');
  writeFiles(m.root, { 'boot/config-6.12.110-amd64': NEW_CONFIG });
  const [before] = await m.doctor();
  assert.ok(before, 'reported before apply ran in the new boot');
  assert.is(before.severity, 'warning');
  assert.match(before.message, 'new memory arrives offline (was online)');
  assert.match(before.evidence, 'Linux 6.12.109-amd64 (CONFIG_MEMORY_HOTPLUG_DEFAULT_ONLINE in /boot/config-6.12.109-amd64');
  assert.match(before.evidence, '-> Linux 6.12.110-amd64 (CONFIG_MHP_DEFAULT_ONLINE_TYPE_OFFLINE in /boot/config-6.12.110-amd64');
  await m.apply();
  assert.equal(m.record().boots.map((b) => b.release), ['6.12.109-amd64', '6.12.110-amd64']);
  assert.is((await m.doctor()).length, 1, 'still reported from the record');
});

boots('/proc/config.gz when /boot has no config; the command line wins over either; no change, no finding', async () => {
  const m = machine();
  boot(m.root, BOOT_A, '7.3.4-amd64');
  writeFiles(m.root, { 'proc/config.gz': '' });
  fs.writeFileSync(path.join(m.root, 'proc/config.gz'), gzipSync(NEW_CONFIG));
  await m.apply();
  assert.equal(m.record().boots[0].config, { file: '/proc/config.gz', option: 'CONFIG_MHP_DEFAULT_ONLINE_TYPE_OFFLINE', value: 'offline' });
  boot(m.root, BOOT_B, '7.3.5-amd64', 'root=/dev/vda1 memhp_default_state=offline');
  assert.equal(await m.doctor(), [], 'offline by the config, then offline by the command line');
  boot(m.root, BOOT_B, '7.3.5-amd64', 'root=/dev/vda1 memhp_default_state=online memory_hotplug.online_policy=auto-movable');
  const [f] = await m.doctor();
  assert.match(f.message, 'new memory arrives online (was offline); the online policy is auto-movable (was the default)');
  assert.match(f.evidence, '-> Linux 7.3.5-amd64 (memhp_default_state=online');
});

boots('a record that is not daxplan\'s is ignored and replaced; a host without a boot id records nothing', async () => {
  const m = machine();
  boot(m.root, BOOT_A, '6.12.109-amd64');
  writeFiles(m.root, { [BOOT_RECORD_FILE]: '{"kind":"boot-defaults","boots":[{"bootId":"../../etc","release":7}]}' });
  assert.is((await m.apply()).code, 0);
  assert.equal(m.record().boots.map((b) => b.bootId), [BOOT_A]);
  const bare = machine();
  assert.is((await bare.apply()).code, 0);
  assert.not.ok(fs.existsSync(path.join(bare.root, BOOT_RECORD_FILE)));
});

boots('a record that cannot be written never stops apply: it says so and applies', async () => {
  const m = machine();
  boot(m.root, BOOT_A, '6.12.109-amd64');
  fs.mkdirSync(path.join(m.root, BOOT_RECORD_FILE), { recursive: true });
  const r = await m.apply();
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stderr, `cannot record this boot's memory default in ${path.join(m.root, BOOT_RECORD_FILE)}`);
});

boots.run();
