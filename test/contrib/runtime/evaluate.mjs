// Reads what the test container left in OUT_DIR (collect.sh, probe.mjs) and
// prints one `ok ...` / `FAIL ...` / `skip ...` line per check, for check.sh
// to count. Usage: node evaluate.mjs OUT_DIR converged|failed (the scenario
// check.sh booted: a host the units can converge, or one with a device that
// cannot be moved).
import * as fs from 'node:fs';
import * as path from 'node:path';

const out = process.argv[2];
const scenario = process.argv[3] ?? 'converged';
const lines = [];
const ok = (name) => lines.push(`ok ${name}`);
const fail = (name, why) => lines.push(`FAIL ${name}${why ? `: ${why}` : ''}`);
const expect = (name, cond, why) => (cond ? ok(name) : fail(name, why));

const read = (file) => {
  try {
    return fs.readFileSync(path.join(out, file), 'utf8');
  } catch {
    return undefined;
  }
};
const readJson = (file) => {
  try {
    return JSON.parse(read(file));
  } catch {
    return undefined;
  }
};
const show = (file) => {
  const props = {};
  for (const line of (read(path.join('show', file)) ?? '').split('\n')) {
    const i = line.indexOf('=');
    if (i > 0) props[line.slice(0, i)] = line.slice(i + 1);
  }
  return props;
};
const mono = (props, key) => Number(props[key] ?? NaN);
const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);
const journal = read('journal.txt') ?? '';
const journalErr = read('journal-err.txt') ?? '';
const metrics = read('daxplan.prom') ?? '';

if (scenario === 'failed') {
  failedBoot();
  console.log(lines.join('\n'));
  process.exit(0);
}

// --- What each unit passed to daxplan, and that daxplan took it -------------
// $DAXPLAN_SIGNALS as the units define it, split into words by systemd.
const SIGNALS = ['--metrics-file', '/var/lib/prometheus/node-exporter/daxplan.prom', '--features-file', '/etc/kubernetes/node-feature-discovery/features.d/daxplan'];
const units = {
  'daxplan-kernel-defaults.service': ['apply-boot-kernel.json', ['apply', '--auto-approve', '--kernel-only', '--trigger', 'boot', '--lock-timeout', '10']],
  'daxplan.service': ['apply-boot-all.json', ['apply', '--auto-approve', '--lock-timeout', '120', '--trigger', 'boot', ...SIGNALS]],
  'daxplan-apply@dax0.0.service': ['apply-udev-dax0.0.json', ['apply', '--auto-approve', '--device', 'dax0.0', '--lock-timeout', '1200', '--trigger', 'udev', ...SIGNALS]],
  'daxplan-apply@dax1.0.service': ['apply-udev-dax1.0.json', ['apply', '--auto-approve', '--device', 'dax1.0', '--lock-timeout', '1200', '--trigger', 'udev', ...SIGNALS]],
  'daxplan-watch.service': ['watch-none-all.json', ['watch', '--schedule', '*/10 * * * *', '--apply', ...SIGNALS]],
  'daxplan-schedule.service': ['apply-schedule-all.json', ['apply', '--auto-approve', '--lock-timeout', '60', '--trigger', 'schedule', ...SIGNALS]],
};
const probes = {};
for (const [unit, [file, argv]] of Object.entries(units)) {
  const probe = readJson(path.join('probe', file));
  probes[unit] = probe;
  if (!probe) {
    fail(`runtime ${unit}: ran daxplan in its sandbox`, `no ${file}`);
    continue;
  }
  expect(`runtime ${unit}: argv ${JSON.stringify(argv)}`, same(probe.argv, argv), `got ${JSON.stringify(probe.argv)}`);
}

// Instance names udev never passes arrive as the one value of --device, and daxplan refuses them (64) without a restart.
const odd = fs.existsSync(path.join(out, 'probe')) ? fs.readdirSync(path.join(out, 'probe')).filter((f) => f.startsWith('apply-udev-') && !/^apply-udev-dax\d+\.\d+\.json$/.test(f)) : [];
if (odd.length !== 2) fail('runtime odd instance names reached daxplan', `files: ${odd.join(', ')}`);
for (const file of odd) {
  const argv = readJson(path.join('probe', file))?.argv ?? [];
  const shape = argv.length === 12 && same(argv.slice(0, 3), ['apply', '--auto-approve', '--device']) && same(argv.slice(4), ['--lock-timeout', '1200', '--trigger', 'udev', ...SIGNALS]);
  expect(`runtime instance name ${JSON.stringify(argv[3])} stays the single value of --device`, shape, `argv ${JSON.stringify(argv)}`);
}
for (const unit of ['daxplan-apply@not-a-dax.service', 'daxplan-apply@dax0.0\\x20--config\\x20evil.service']) {
  const p = show(unit);
  expect(`runtime ${unit}: daxplan refuses the name (exit 64), no restart`, p.ExecMainStatus === '64' && p.Result === 'exit-code' && p.NRestarts === '0', JSON.stringify(p));
}

// --- The sandbox, as each daxplan process saw it ---------------------------
let netns = 'unknown';
try {
  netns = fs.readFileSync(path.join(out, 'netns'), 'utf8').trim();
} catch {
  /* every netns check fails */
}
const CAP_SYS_MODULE = 1n << 16n;
const CAP_SYS_ADMIN = 1n << 21n;
const HARDENED = {
  NoNewPrivs: ['1'],
  Seccomp: ['2'],
  'write sysfs devices': ['ok'],
  'write sysfs bus': ['ok'],
  'write sysfs kernel': ['EROFS'],
  'write /run/daxplan': ['ok'],
  'write /var/lib/daxplan': ['ok'],
  'write /tmp': ['ok'],
  'write /etc': ['EROFS'],
  'write /var': ['EROFS'],
  'read /proc/cmdline': ['ok'],
  'read boot_id': ['ok'],
  'dax char devices': [0],
  'abstract socket': ['ok'],
  netns: [netns],
  modprobe: ['ok', 'absent'],
  jit: ['ok'],
  'inet socket': ['EAFNOSUPPORT'],
};
// daxplan-kernel-defaults.service carries its own sandbox: it runs before local
// file systems, without PrivateTmp= or a state directory, and only writes sysfs
// and its lock.
const EARLY = { ...HARDENED, 'write sysfs kernel': ['ok'], 'write /var/lib/daxplan': ['EROFS', 'ENOENT'], 'write /tmp': ['EROFS'] };
for (const [unit, probe] of Object.entries(probes)) {
  if (!probe) continue;
  const c = probe.checks;
  const bnd = BigInt(`0x${c.CapBnd ?? 'ffffffffffffffff'}`);
  const problems = [];
  // nspawn itself drops CAP_SYS_MODULE, so the set seen here may lack it.
  if ((bnd & ~(CAP_SYS_ADMIN | CAP_SYS_MODULE)) !== 0n || !(bnd & CAP_SYS_ADMIN)) problems.push(`CapBnd=${c.CapBnd} (want CAP_SYS_ADMIN [+CAP_SYS_MODULE] only)`);
  if (c.CapEff !== c.CapBnd) problems.push(`CapEff=${c.CapEff} (want ${c.CapBnd})`);
  for (const [key, okValues] of Object.entries(unit === 'daxplan-kernel-defaults.service' ? EARLY : HARDENED))
    if (!okValues.includes(c[key])) problems.push(`${key}=${JSON.stringify(c[key])} (want ${okValues.join(' or ')})`);
  if (!/^(EACCES|ENOENT|EPERM|listed 0)$/.test(String(c['list /root']))) problems.push(`list /root=${c['list /root']}`);
  expect(`runtime ${unit}: sandbox (caps ${c.CapBnd}, no new privs, seccomp, sysfs writable as it needs, /run/daxplan writable, rest read-only, no inet, node JIT works, the container's network namespace with abstract sockets for the lock)`, problems.length === 0, problems.join('; '));
}

// --- Ordering and results ------------------------------------------------
const early = show('daxplan-kernel-defaults.service');
const boot = show('daxplan.service');
const d0 = show('daxplan-apply@dax0.0.service');
const d1 = show('daxplan-apply@dax1.0.service');
const target = show('daxplan-memory.target');
const watch = show('daxplan-watch.service');
const hungry = show('daxplan-check-hungry.service');
const stopped = show('stopped-daxplan-watch.service');
const instances = [['daxplan-apply@dax0.0.service', d0], ['daxplan-apply@dax1.0.service', d1]];

expect('runtime daxplan-kernel-defaults.service: daxplan took its flags and succeeded, stays active', early.Result === 'success' && early.ActiveState === 'active' && early.ExecMainStatus === '0', JSON.stringify(early));
const earlyExit = mono(early, 'ExecMainExitTimestampMonotonic');
expect('runtime daxplan-kernel-defaults.service finished before daxplan.service started', earlyExit > 0 && mono(boot, 'ExecMainStartTimestampMonotonic') >= earlyExit, `kernel-defaults exit ${earlyExit}, daxplan.service start ${boot.ExecMainStartTimestampMonotonic}`);
expect('runtime daxplan.service: daxplan took its flags and succeeded, stays active (RemainAfterExit)', boot.Result === 'success' && boot.ActiveState === 'active' && boot.ExecMainStatus === '0', JSON.stringify(boot));
for (const [name, p] of instances) expect(`runtime ${name}: daxplan took its flags and succeeded, inactive again`, p.Result === 'success' && p.ActiveState === 'inactive' && p.ExecMainStatus === '0', JSON.stringify(p));
const bootExit = mono(boot, 'ExecMainExitTimestampMonotonic');
for (const [name, p] of instances)
  expect(`runtime ${name} queued at boot starts only after daxplan.service finished (no lock contention)`, mono(p, 'ExecMainStartTimestampMonotonic') >= bootExit && bootExit > 0, `start ${p.ExecMainStartTimestampMonotonic}, boot exit ${bootExit}`);
const reached = mono(target, 'ActiveEnterTimestampMonotonic');
expect(
  'runtime daxplan-memory.target reached after daxplan.service and the boot-time instances',
  target.ActiveState === 'active' && reached >= bootExit && instances.every(([, p]) => reached >= mono(p, 'ExecMainExitTimestampMonotonic')),
  `target ${reached}, boot exit ${bootExit}, instances exit ${d0.ExecMainExitTimestampMonotonic}/${d1.ExecMainExitTimestampMonotonic}`,
);
expect('runtime a service ordered after daxplan-memory.target starts after it', hungry.ActiveState === 'active' && mono(hungry, 'ExecMainStartTimestampMonotonic') >= reached, `hungry ${hungry.ExecMainStartTimestampMonotonic}, target ${reached}`);
expect('runtime daxplan-watch.service: daxplan watch took its flags and runs, started after daxplan.service finished', watch.ActiveState === 'active' && watch.SubState === 'running' && mono(watch, 'ExecMainStartTimestampMonotonic') >= bootExit && /daxplan watch: .*schedule "\*\/10 \* \* \* \*", applying/.test(journal), JSON.stringify(watch));
// systemd logs the SIGKILL of what is left once daxplan has exited: the child was alive and never got SIGTERM.
const childKilled = /daxplan-watch\.service: Killing process \d+ \(sh\) with signal SIGKILL/.test(journal);
const childTermed = fs.existsSync(path.join(out, 'probe', 'watch-child-got-sigterm'));
expect(
  'runtime daxplan-watch.service: stop sends SIGTERM to daxplan only (its child lives until daxplan is gone), daxplan watch stops cleanly',
  stopped.ActiveState === 'inactive' && stopped.Result === 'success' && childKilled && !childTermed && /daxplan watch: SIGTERM: stopped/.test(journal),
  `${JSON.stringify(stopped)} child SIGKILLed after daxplan exited: ${childKilled}, child got SIGTERM: ${childTermed}`,
);
const kubelet = show('kubelet.service');
expect('runtime kubelet (a stand-in) starts only after daxplan.service finished', kubelet.ActiveState === 'active' && mono(kubelet, 'ExecMainStartTimestampMonotonic') >= bootExit && bootExit > 0, `kubelet ${kubelet.ExecMainStartTimestampMonotonic}, boot exit ${bootExit}`);
const timer = show('daxplan.timer');
const scheduled = show('daxplan-schedule.service');
expect('runtime daxplan.timer is active (waiting for its calendar)', timer.ActiveState === 'active', JSON.stringify(timer));
expect('runtime daxplan-schedule.service (what the timer starts): daxplan took its flags and succeeded, inactive again', scheduled.Result === 'success' && scheduled.ActiveState === 'inactive' && scheduled.ExecMainStatus === '0', JSON.stringify(scheduled));
expect('runtime the units wrote the metrics into the textfile directory through the sandbox: converged, last apply succeeded', /^daxplan_converged 1$/m.test(metrics) && /^daxplan_last_apply_success 1$/m.test(metrics), metrics.slice(0, 400));
expect('runtime the units wrote the node facts into NFD\'s features.d: daxplan-plan=converged', /^daxplan-plan=converged$/m.test(read('features') ?? ''), read('features'));
expect('runtime no temporary file left in the signal directories', !/\.tmp$/m.test(read('signal-dirs.txt') ?? ''), read('signal-dirs.txt'));
// The instances refused above exit 64 with an error: journalctl -p err finds them, and nothing of the runs that succeeded.
expect(
  'runtime journalctl -t daxplan -p err finds the refused runs (<3>), and no line of the runs that succeeded',
  /is not a dax device name/.test(journalErr) && !/step \d+\/\d+|tick:|daxplan watch:/.test(journalErr),
  journalErr,
);
expect('runtime /run/daxplan survives the instances that created it (RuntimeDirectoryPreserve=yes)', (read('run-daxplan-kept') ?? '').trim() === 'yes', read('run-daxplan-kept'));

// --- What the units did to the (simulated) host ----------------------------
const final = readJson('final-status.json');
const states = final?.devices?.map((d) => `${d.name}:${d.state}`) ?? [];
expect('runtime the host converged to the policy: every device online_movable', states.length === 4 && states.every((s) => s.endsWith(':online_movable')), `${states.join(' ')} ${final ? '' : read('final-status.json')}`);
expect("runtime the policy's kernel setting is in place: auto_online_blocks=offline", (read('final-auto-online') ?? '').trim() === 'offline', read('final-auto-online'));

// --- The installed program itself under the sandbox ------------------------
const smoke = show('daxplan-check-smoke.service');
const log = read('smoke.log') ?? '';
expect(
  'runtime installed daxplan runs `status` and `apply` in the sandbox (finds /etc/daxplan/daxplan.yaml, not the decoy /daxplan.yaml; takes the real lock)',
  smoke.Result === 'success' && smoke.ExecMainStatus === '0',
  `${JSON.stringify(smoke)}\n${log}`,
);
if (fs.existsSync(path.join(out, 'expect-code-cache'))) expect('runtime installed daxplan starts from its installed code cache', /daxplan: code cache used/.test(log), log);
else lines.push('skip runtime installed code cache: the build made none');

console.log(lines.join('\n'));

/** The boot where dax1.0 cannot be moved: daxplan.service fails, the target is not reached, kubelet still starts after it, the failure is at priority err. */
function failedBoot() {
  const boot = show('daxplan.service');
  const target = show('daxplan-memory.target');
  const hungry = show('daxplan-check-hungry.service');
  const kubelet = show('kubelet.service');
  const bootExit = mono(boot, 'ExecMainExitTimestampMonotonic');
  expect('runtime (failed) daxplan.service fails (exit 1) when a device cannot be moved', boot.Result === 'exit-code' && boot.ExecMainStatus === '1', JSON.stringify(boot));
  expect('runtime (failed) daxplan-memory.target is not reached', target.ActiveState !== 'active' && mono(target, 'ActiveEnterTimestampMonotonic') === 0, JSON.stringify(target));
  expect('runtime (failed) a service that Requires= daxplan-memory.target does not start', hungry.ActiveState !== 'active' && mono(hungry, 'ExecMainStartTimestampMonotonic') === 0, JSON.stringify(hungry));
  expect('runtime (failed) kubelet (a stand-in) still starts, after daxplan.service finished', kubelet.ActiveState === 'active' && mono(kubelet, 'ExecMainStartTimestampMonotonic') >= bootExit && bootExit > 0, `kubelet ${kubelet.ExecMainStartTimestampMonotonic}, boot exit ${bootExit}`);
  expect('runtime (failed) journalctl -t daxplan -p err finds the failed device', /daxplan\[boot\]: dax1\.0: failed: /.test(journalErr), journalErr || journal.slice(-2000));
  expect('runtime (failed) the metrics say the last apply failed and the host is not converged', /^daxplan_last_apply_success 0$/m.test(metrics) && /^daxplan_converged 0$/m.test(metrics), metrics.slice(0, 400));
}
