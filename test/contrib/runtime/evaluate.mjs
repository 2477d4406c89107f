// Reads what the test container left in OUT_DIR (collect.sh, stub-daxplan.mjs)
// and prints one `ok ...` / `FAIL ...` / `skip ...` line per check, for
// check.sh to count. Usage: node evaluate.mjs OUT_DIR
import * as fs from 'node:fs';
import * as path from 'node:path';

const out = process.argv[2];
const lines = [];
const ok = (name) => lines.push(`ok ${name}`);
const fail = (name, why) => lines.push(`FAIL ${name}${why ? `: ${why}` : ''}`);
const expect = (name, cond, why) => (cond ? ok(name) : fail(name, why));

const readJson = (file) => {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
};
const show = (file) => {
  const props = {};
  try {
    for (const line of fs.readFileSync(path.join(out, 'show', file), 'utf8').split('\n')) {
      const i = line.indexOf('=');
      if (i > 0) props[line.slice(0, i)] = line.slice(i + 1);
    }
  } catch {
    /* missing: every check on it fails */
  }
  return props;
};
const mono = (props, key) => Number(props[key] ?? NaN);
const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);

// --- What each unit passed to daxplan ------------------------------------
const probes = {
  'daxplan.service': ['boot-all.json', ['apply', '--auto-approve', '--lock-timeout', '120', '--trigger', 'boot']],
  'daxplan-apply@dax0.0.service': ['udev-dax0.0.json', ['apply', '--auto-approve', '--device', 'dax0.0', '--lock-timeout', '60', '--trigger', 'udev']],
  'daxplan-apply@dax1.0.service': ['udev-dax1.0.json', ['apply', '--auto-approve', '--device', 'dax1.0', '--lock-timeout', '60', '--trigger', 'udev']],
  'daxplan-watch.service': ['schedule-all.json', ['watch', '--schedule', '*/10 * * * *', '--apply']],
};
const loaded = {};
for (const [unit, [file, argv]] of Object.entries(probes)) {
  const probe = readJson(path.join(out, 'probe', file));
  loaded[unit] = probe;
  if (!probe) {
    fail(`runtime ${unit}: ran daxplan in its sandbox`, `no ${file}`);
    continue;
  }
  expect(`runtime ${unit}: argv ${JSON.stringify(argv)}`, same(probe.argv, argv), `got ${JSON.stringify(probe.argv)}`);
}

// Instance names udev never passes still arrive as the one value of --device.
const odd = fs.existsSync(path.join(out, 'probe')) ? fs.readdirSync(path.join(out, 'probe')).filter((f) => f.startsWith('udev-') && !/^udev-dax\d+\.\d+\.json$/.test(f)) : [];
if (odd.length !== 2) fail('runtime odd instance names reached the stub', `files: ${odd.join(', ')}`);
for (const file of odd) {
  const argv = readJson(path.join(out, 'probe', file))?.argv ?? [];
  const shape = argv.length === 8 && same(argv.slice(0, 2), ['apply', '--auto-approve']) && argv[2] === '--device' && same(argv.slice(4), ['--lock-timeout', '60', '--trigger', 'udev']);
  expect(`runtime instance name ${JSON.stringify(argv[3])} stays the single value of --device`, shape, `argv ${JSON.stringify(argv)}`);
}

// --- The sandbox, as each daxplan process saw it ---------------------------
const CAP_SYS_MODULE = 1n << 16n;
const CAP_SYS_ADMIN = 1n << 21n;
for (const [unit, probe] of Object.entries(loaded)) {
  if (!probe) continue;
  const c = probe.checks;
  const bnd = BigInt(`0x${c.CapBnd ?? 'ffffffffffffffff'}`);
  const problems = [];
  const want = (key, okValues) => {
    if (!okValues.includes(c[key])) problems.push(`${key}=${JSON.stringify(c[key])} (want ${okValues.join(' or ')})`);
  };
  // nspawn itself drops CAP_SYS_MODULE, so the set seen here may lack it.
  if ((bnd & ~(CAP_SYS_ADMIN | CAP_SYS_MODULE)) !== 0n || !(bnd & CAP_SYS_ADMIN)) problems.push(`CapBnd=${c.CapBnd} (want CAP_SYS_ADMIN [+CAP_SYS_MODULE] only)`);
  want('CapEff', [c.CapBnd]);
  want('NoNewPrivs', ['1']);
  want('Seccomp', ['2']);
  want('write sysfs devices', ['ok']);
  want('write sysfs bus', ['ok']);
  want('write sysfs kernel', ['EROFS']);
  want('write /run/daxplan', ['ok']);
  want('write /var/lib/daxplan', ['ok']);
  want('write /tmp', ['ok']);
  want('write /etc', ['EROFS']);
  want('write /var', ['EROFS']);
  want('read /proc/cmdline', ['ok']);
  want('read boot_id', ['ok']);
  if (!/^(EACCES|ENOENT|EPERM|listed 0)$/.test(String(c['list /root']))) problems.push(`list /root=${c['list /root']}`);
  want('dax char devices', [0]);
  want('flock', ['ok']);
  want('modprobe', ['ok', 'absent']);
  want('jit', ['ok']);
  want('inet socket', ['EAFNOSUPPORT']);
  expect(
    `runtime ${unit}: sandbox (caps ${c.CapBnd}, no new privs, seccomp, /sys/devices+/sys/bus writable, /sys/kernel read-only, /run/daxplan+/var/lib/daxplan writable, rest read-only, no inet, node JIT + flock work)`,
    problems.length === 0,
    problems.join('; '),
  );
}

// --- Ordering and results ------------------------------------------------
const boot = show('daxplan.service');
const d0 = show('daxplan-apply@dax0.0.service');
const d1 = show('daxplan-apply@dax1.0.service');
const target = show('daxplan-memory.target');
const watch = show('daxplan-watch.service');
const hungry = show('daxplan-check-hungry.service');
const stopped = show('stopped-daxplan-watch.service');

expect('runtime daxplan.service: succeeded and stays active (RemainAfterExit)', boot.Result === 'success' && boot.ActiveState === 'active' && boot.ExecMainStatus === '0', JSON.stringify(boot));
for (const [name, p] of [['daxplan-apply@dax0.0.service', d0], ['daxplan-apply@dax1.0.service', d1]])
  expect(`runtime ${name}: succeeded and is inactive again`, p.Result === 'success' && p.ActiveState === 'inactive' && p.ExecMainStatus === '0', JSON.stringify(p));
const bootExit = mono(boot, 'ExecMainExitTimestampMonotonic');
for (const [name, p] of [['daxplan-apply@dax0.0.service', d0], ['daxplan-apply@dax1.0.service', d1]])
  expect(`runtime ${name} queued at boot starts only after daxplan.service finished (no lock contention)`, mono(p, 'ExecMainStartTimestampMonotonic') >= bootExit && bootExit > 0, `start ${p.ExecMainStartTimestampMonotonic}, boot exit ${bootExit}`);
const reached = mono(target, 'ActiveEnterTimestampMonotonic');
expect(
  'runtime daxplan-memory.target reached after daxplan.service and the boot-time instances',
  target.ActiveState === 'active' && reached >= bootExit && reached >= mono(d0, 'ExecMainExitTimestampMonotonic') && reached >= mono(d1, 'ExecMainExitTimestampMonotonic'),
  `target ${reached}, boot exit ${bootExit}, instances exit ${d0.ExecMainExitTimestampMonotonic}/${d1.ExecMainExitTimestampMonotonic}`,
);
expect('runtime a service ordered after daxplan-memory.target starts after it', hungry.ActiveState === 'active' && mono(hungry, 'ExecMainStartTimestampMonotonic') >= reached, `hungry ${hungry.ExecMainStartTimestampMonotonic}, target ${reached}`);
expect('runtime daxplan-watch.service: running, started after daxplan.service finished', watch.ActiveState === 'active' && watch.SubState === 'running' && mono(watch, 'ExecMainStartTimestampMonotonic') >= bootExit, JSON.stringify(watch));
const watchEnd = loaded['daxplan-watch.service']?.checks ?? {};
expect(
  'runtime daxplan-watch.service: stop sends SIGTERM to daxplan only (its lock child lives on), ends cleanly',
  stopped.ActiveState === 'inactive' && stopped.Result === 'success' && watchEnd['got SIGTERM'] === true && watchEnd['child alive after SIGTERM'] === true,
  `${JSON.stringify(stopped)} ${JSON.stringify({ sigterm: watchEnd['got SIGTERM'], child: watchEnd['child alive after SIGTERM'] })}`,
);
let kept = '';
try {
  kept = fs.readFileSync(path.join(out, 'run-daxplan-kept'), 'utf8').trim();
} catch {
  /* reported below */
}
expect('runtime /run/daxplan survives the instances that created it (RuntimeDirectoryPreserve=yes)', kept === 'yes', `got ${JSON.stringify(kept)}`);

// --- The real bundle under the sandbox -------------------------------------
const smoke = show('daxplan-check-smoke.service');
if (smoke.LoadState === 'loaded' && smoke.ExecMainStartTimestampMonotonic === '0' && smoke.Result === 'success') lines.push('skip runtime real daxplan in the sandbox: no dist/daxplan.mjs (run npm run build)');
else {
  let log = '';
  try {
    log = fs.readFileSync(path.join(out, 'smoke.log'), 'utf8');
  } catch {
    /* empty */
  }
  expect('runtime real dist/daxplan.mjs runs `status` and `apply` in the sandbox (finds /etc/daxplan/daxplan.yaml, not the decoy /daxplan.yaml; takes the real lock)', smoke.Result === 'success' && smoke.ExecMainStatus === '0', `${JSON.stringify(smoke)}\n${log}`);
}

console.log(lines.join('\n'));
