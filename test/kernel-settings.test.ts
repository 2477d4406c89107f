import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { run } from './support/cli.js';
import { host, policyFile, REPO, tempDir } from './support/host.js';
import { missingCommand, unless } from './support/skip.js';
import { parsePolicy, type Policy } from '../src/policy/parse.js';
import { formatDiagnostic } from '../src/model/errors.js';
import { observe } from '../src/host/observe.js';
import { changes, kernelAfter, plan, settingChanges } from '../src/plan/plan.js';
import { Applier } from '../src/apply/engine.js';
import { applySetting } from '../src/apply/kernel.js';
import { SimulatedKernel } from './sim/kernel.js';
import { DirSysfs, SysfsWriteError } from '../src/host/sysfs.js';

const KERNEL_OFFLINE = 'version: 1\nkernel:\n  auto_online_blocks: offline\nrules:\n  - name: far\n    match: { numa_node: [1, 2] }\n    state: online_movable\n';
const FAR_MOVABLE = 'version: 1\nrules:\n  - name: far\n    match: { numa_node: [1, 2] }\n    state: online_movable\n';

function policy(text: string): Policy {
  const result = parsePolicy(text, 'policy.yaml');
  if (!result.ok) throw new Error(result.errors.map(formatDiagnostic).join('\n'));
  return result.policy;
}

const AUTO = 'devices/system/memory/auto_online_blocks';
const read = (root: string) => fs.readFileSync(path.join(root, AUTO), 'utf8').trim();

const model = suite('kernel settings: policy and plan');

model('kernel.auto_online_blocks is parsed with its line; a wrong value or key is an error at its position', () => {
  assert.equal(policy(KERNEL_OFFLINE).kernel, { autoOnlineBlocks: { value: 'offline', line: 3 } });
  assert.equal(policy('version: 1\nrules: []\n').kernel, {});
  const bad = parsePolicy('version: 1\nkernel:\n  auto_online_blocks: movable\nrules: []\n', 'policy.yaml');
  assert.equal(bad.ok ? [] : bad.errors.map(formatDiagnostic), [
    'policy.yaml:3:23: kernel.auto_online_blocks: must be one of offline, online, online_kernel, online_movable',
  ]);
  const unknown = parsePolicy('version: 1\nkernel:\n  memhp_default_state: offline\nrules: []\n', 'policy.yaml');
  assert.equal(unknown.ok ? [] : unknown.errors.map(formatDiagnostic), ['policy.yaml:3:3: kernel.memhp_default_state: unknown key (known here: auto_online_blocks)']);
});

model('drift is a change counted in the summary; device steps are planned for the kernel after it', () => {
  const root = host({ autoOnline: 'online', devices: [{ name: 'dax0.0', node: 1, blocks: 4, state: 'devdax' }] });
  const p = plan(policy(KERNEL_OFFLINE), observe(new DirSysfs(root)));
  assert.equal(
    p.settings.map((s) => [s.setting, s.kind, s.from, s.to, s.line]),
    [['auto_online_blocks', 'change', 'online', 'offline', 3]],
  );
  assert.equal(p.summary, { change: 2, unchanged: 0, unmanaged: 0, blocked: 0 });
  // the bind sets the default it needs for its moment, whatever the policy's default
  assert.equal(changes(p)[0].steps.map((s) => `${s.step.op}:${s.expect}`), ['unbind:unbound', 'bind:online_movable']);
  assert.is(kernelAfter(p.kernel, p.settings).autoOnlineBlocks, 'offline');
  assert.is(p.kernel.autoOnlineBlocks, 'online', 'the plan reports the kernel as observed');
  const same = plan(policy(KERNEL_OFFLINE), observe(new DirSysfs(host({ devices: [] }))));
  assert.equal(same.settings.map((s) => s.kind), ['unchanged']);
  assert.equal(same.summary, { change: 0, unchanged: 1, unmanaged: 0, blocked: 0 });
  const missing = host({ devices: [] });
  fs.rmSync(path.join(missing, AUTO));
  const blocked = plan(policy(KERNEL_OFFLINE), observe(new DirSysfs(missing)));
  assert.equal(blocked.settings.map((s) => s.kind), ['blocked']);
  assert.is(blocked.summary.blocked, 1);
});

model.run();

const engine = suite('kernel settings: apply');

engine('on the simulated kernel the setting is written first, then the devices move with no offline step', () => {
  const root = host({ autoOnline: 'online', devices: [{ name: 'dax0.0', node: 1, blocks: 2, state: 'devdax' }] });
  const kernel = new SimulatedKernel(root);
  const observed = observe(kernel);
  const p = plan(policy(KERNEL_OFFLINE), observed);
  const settings = settingChanges(p).map((s) => applySetting(kernel, s.setting, s.to));
  assert.equal(settings, [{ setting: 'auto_online_blocks', to: 'offline', from: 'online', result: 'applied' }]);
  const applier = new Applier(kernel, kernelAfter(observed.kernel, p.settings));
  assert.ok(changes(p).every((c) => applier.apply(c).result === 'applied'));
  assert.equal(kernel.log[0], { file: AUTO, value: 'offline' });
  assert.ok(kernel.log.every((l) => !l.error));
  assert.ok(!kernel.log.some((l) => l.file.endsWith('/state') && l.value === 'offline'), 'no block was onlined by the kernel, so none had to be offlined');
  assert.equal(observe(kernel).devices[0].state, 'online_movable');
});

engine('a write the kernel refuses is a failed outcome with the reason; nothing else is written', () => {
  const root = host({ autoOnline: 'online', devices: [] });
  const refusing = new (class extends DirSysfs {
    override write(rel: string, value: string): void {
      throw new SysfsWriteError(rel, value, 'EPERM');
    }
  })(root);
  const [s] = settingChanges(plan(policy(KERNEL_OFFLINE), observe(refusing)));
  assert.equal(applySetting(refusing, s.setting, s.to), {
    setting: 'auto_online_blocks',
    to: 'offline',
    from: 'online',
    result: 'failed',
    message: `writing offline to ${AUTO} failed: EPERM`,
  });
  assert.is(read(root), 'online');
});

engine.run();

const cli = suite('kernel settings: plan and apply from the command line');

cli('plan shows the drift in text, JSON and Markdown; --detailed-exitcode sees it', async () => {
  const root = host({ autoOnline: 'online', devices: [] });
  const pol = policyFile(KERNEL_OFFLINE);
  const text = await run(['plan', '--sysfs-root', root, '-c', pol]);
  assert.match(text.stdout, `  ~ kernel auto_online_blocks  online -> offline  (${pol}:3, kernel.auto_online_blocks)\n      1. write offline to devices/system/memory/auto_online_blocks, before any device step`);
  assert.ok(text.stdout.trimEnd().endsWith('Plan: 1 to change, 0 unchanged, 0 unmanaged.'));
  assert.is((await run(['plan', '--sysfs-root', root, '-c', pol, '--detailed-exitcode'])).code, 2);
  const doc = JSON.parse((await run(['plan', '--sysfs-root', root, '-c', pol, '-f', 'json'])).stdout);
  assert.equal(doc.kernel_settings, [
    { setting: 'auto_online_blocks', decision: 'change', from: 'online', to: 'offline', rule: { name: 'kernel.auto_online_blocks', file: pol, line: 3 }, reason: 'kernel.auto_online_blocks; written before any device step' },
  ]);
  assert.equal(doc.summary, { change: 1, unchanged: 0, unmanaged: 0, blocked: 0 });
  const md = (await run(['plan', '--sysfs-root', root, '-c', pol, '-f', 'markdown'])).stdout;
  assert.match(md, '### daxplan: Plan: 1 to change, 0 unchanged, 0 unmanaged.');
  assert.match(md, 'Kernel: `auto_online_blocks` online → **offline**');
});

cli('an unreadable auto_online_blocks blocks, at plan time, the devices a kmem bind would move; the others are applied', async () => {
  const root = host({ stateFile: true, devices: [{ name: 'dax0.0', node: 1, blocks: 2, state: 'devdax' }, { name: 'dax1.0', node: 1, blocks: 2, state: 'online' }] });
  fs.rmSync(path.join(root, 'devices/system/memory/auto_online_blocks'));
  const pol = policyFile(FAR_MOVABLE);
  const planned = JSON.parse((await run(['plan', '--sysfs-root', root, '-c', pol, '-f', 'json'])).stdout) as { devices: { device: string; decision: string; reason: string }[] };
  assert.equal(planned.devices.map((d) => [d.device, d.decision, d.reason]), [
    ['dax0.0', 'blocked', 'binding it to kmem needs devices/system/memory/auto_online_blocks, which is missing or unreadable'],
    ['dax1.0', 'change', 'matches node 1'],
  ]);
  for (const command of [['plan'], ['apply', '--dry-run']]) assert.is((await run([...command, '--sysfs-root', root, '-c', pol, '--detailed-exitcode'])).code, 1, command.join(' '));
  const r = await run(['apply', '--auto-approve', '--sysfs-root', root, '-c', pol, '--lock-file', path.join(tempDir(), 'lock')]);
  assert.is(r.code, 1);
  assert.ok(fs.readlinkSync(path.join(root, 'bus/dax/devices/dax0.0/driver')).endsWith('device_dax'), 'dax0.0 never unbound');
  assert.match(r.stdout, /dax1\.0: online -> online_movable/);
});

cli('apply writes and verifies it before the devices; a second apply has nothing to do', async () => {
  const root = host({ autoOnline: 'online', devices: [{ name: 'dax0.0', node: 1, blocks: 2, state: 'devdax' }] });
  const pol = policyFile(KERNEL_OFFLINE);
  const r = await run(['apply', '--auto-approve', '--sysfs-root', root, '-c', pol, '-f', 'json', '--trigger', 'boot']);
  assert.is(r.code, 0, r.stderr);
  const doc = JSON.parse(r.stdout);
  assert.equal(doc.kernel_outcomes, [{ setting: 'auto_online_blocks', from: 'online', to: 'offline', result: 'applied', message: null }]);
  assert.equal(doc.summary, { applied: 2, failed: 0, skipped: 0, blocked: 0 });
  const log = r.stderr.split('\n').filter(Boolean);
  assert.match(log[0], 'daxplan[boot]: kernel auto_online_blocks: online -> offline: applied');
  assert.match(log[1], 'dax0.0: step 1/2');
  assert.match(log[2], 'dax0.0: step 2/2: bind to kmem with auto_online_blocks=online_movable for the moment of the bind (then back to offline)');
  assert.is(read(root), 'offline');
  const again = await run(['apply', '--auto-approve', '--sysfs-root', root, '-c', pol]);
  assert.match(again.stdout, '  = kernel auto_online_blocks  offline');
  assert.match(again.stdout, 'No changes. Memory matches policy.');
});

cli('apply --kernel-only writes the setting and touches no device; it refuses --device', async () => {
  const root = host({ autoOnline: 'online', devices: [{ name: 'dax0.0', node: 1, blocks: 2, state: 'devdax' }] });
  const pol = policyFile(KERNEL_OFFLINE);
  const r = await run(['apply', '--auto-approve', '--kernel-only', '--sysfs-root', root, '-c', pol]);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, 'Apply: 1 applied, 0 failed, 0 skipped.');
  assert.is(read(root), 'offline');
  assert.match((await run(['status', '--sysfs-root', root])).stdout, /dax0\.0\s+devdax/);
  assert.is((await run(['apply', '--auto-approve', '--kernel-only', '--device', 'dax0.0', '--sysfs-root', root, '-c', pol])).code, 64);
  // nothing declared: nothing written
  const plain = host({ autoOnline: 'online', devices: [] });
  assert.match((await run(['apply', '--auto-approve', '--kernel-only', '--sysfs-root', plain, '-c', policyFile('version: 1\nrules: []\n')])).stdout, 'No changes.');
  assert.is(read(plain), 'online');
});

cli('a saved plan carries the setting and apply FILE writes it first', async () => {
  const root = host({ autoOnline: 'online', devices: [{ name: 'dax0.0', node: 1, blocks: 2, state: 'devdax' }] });
  const saved = path.join(tempDir(), 'plan.json');
  assert.is((await run(['plan', '--sysfs-root', root, '-c', policyFile(KERNEL_OFFLINE), '--out', saved])).code, 0);
  const r = await run(['apply', saved, '--sysfs-root', root]);
  assert.is(r.code, 0, r.stderr);
  assert.is(read(root), 'offline');
  assert.match(r.stdout, '✓ kernel auto_online_blocks: online -> offline: applied');
  assert.match(r.stdout, '✓ dax0.0: devdax -> online_movable');
});

cli.run();

const unit = suite('kernel settings: the early boot unit');

const UNIT = path.join(REPO, 'contrib/systemd/daxplan-kernel-defaults.service');

unit('daxplan-kernel-defaults.service runs apply --kernel-only before udev coldplug and module loading, with no late dependency', () => {
  const text = fs.readFileSync(UNIT, 'utf8');
  const values = (key: string) => [...text.matchAll(new RegExp(`^${key}=(.*)$`, 'gm'))].flatMap((m) => m[1].trim().split(/\s+/));
  assert.equal(values('DefaultDependencies'), ['no']);
  for (const u of ['systemd-udev-trigger.service', 'systemd-modules-load.service', 'sysinit.target', 'daxplan.service']) assert.ok(values('Before').includes(u), `Before=${u}`);
  assert.equal(values('After'), [], 'ordered after nothing: whatever it waited for could wait for udev');
  assert.equal(values('Requires').concat(values('RequiresMountsFor'), values('PrivateTmp')), []);
  assert.equal(values('ExecStart').join(' '), '@bindir@/daxplan apply --auto-approve --kernel-only --trigger boot --lock-timeout 10');
  assert.equal(values('WantedBy'), ['sysinit.target']);
});

unless(unit, missingCommand('systemd-analyze'))('systemd-analyze verify accepts it, alone and in a boot transaction with the other units', () => {
  const dir = tempDir();
  const stub = path.join(dir, 'daxplan');
  fs.writeFileSync(stub, '#!/bin/sh\nexit 0\n', { mode: 0o755 });
  for (const name of ['daxplan-kernel-defaults.service', 'daxplan.service', 'daxplan-memory.target']) {
    const text = fs.readFileSync(path.join(REPO, 'contrib/systemd', name), 'utf8').replaceAll('@bindir@/daxplan', stub);
    fs.writeFileSync(path.join(dir, name), text);
  }
  fs.writeFileSync(
    path.join(dir, 'boot-check.target'),
    '[Unit]\nDescription=boot with the kernel defaults unit\nWants=daxplan-kernel-defaults.service daxplan.service daxplan-memory.target systemd-udev-trigger.service systemd-modules-load.service\n',
  );
  const verify = spawnSync('systemd-analyze', ['verify', '--man=no', '--generators=no', path.join(dir, 'daxplan-kernel-defaults.service'), path.join(dir, 'boot-check.target')], {
    cwd: dir,
    encoding: 'utf8',
  });
  assert.is(verify.status, 0, verify.stderr);
  assert.is(verify.stdout + verify.stderr, '');
});

unit.run();
