#!/usr/bin/env node
// Stands in for /usr/local/bin/daxplan inside the test container (see
// test/contrib/check.sh): the shipped units run it in their real sandbox. It
// records its argv and what the sandbox lets it do to
// /var/lib/daxplan/probe/<trigger>-<device|all>.json, which check.sh reads.
//
// `apply --trigger boot` sleeps a little so the ordering of the other units
// against it shows in their timestamps; `watch` stays up until SIGTERM and
// then reports whether its child process survived the SIGTERM (KillMode=mixed).
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';

const argv = process.argv.slice(2);
const flag = (name) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
};
const trigger = flag('--trigger') ?? (argv[0] === 'watch' ? 'schedule' : 'none');
const device = flag('--device') ?? 'all';
const outDir = '/var/lib/daxplan/probe';
const outFile = `${outDir}/${trigger}-${device.replace(/[^A-Za-z0-9.@_-]/g, '_')}.json`;

const result = { argv, pid: process.pid, checks: {} };
const check = (name, fn) => {
  try {
    result.checks[name] = fn();
  } catch (err) {
    result.checks[name] = `threw ${err.code ?? err.message}`;
  }
};
// 'ok' or the error code of a write.
const tryWrite = (file, text) => {
  try {
    fs.writeFileSync(file, text);
    return 'ok';
  } catch (err) {
    return err.code ?? String(err);
  }
};
const tryRead = (file) => {
  try {
    fs.readFileSync(file, 'utf8');
    return 'ok';
  } catch (err) {
    return err.code ?? String(err);
  }
};
const status = fs.readFileSync('/proc/self/status', 'utf8');
const field = (name) => status.match(new RegExp(`^${name}:\\s*(\\S+)`, 'm'))?.[1];

check('CapBnd', () => field('CapBnd'));
check('CapEff', () => field('CapEff'));
check('NoNewPrivs', () => field('NoNewPrivs'));
check('Seccomp', () => field('Seccomp'));
// The fake sysfs trees check.sh bound into the container (see there).
const targets = JSON.parse(fs.readFileSync('/opt/daxplan-check/targets.json', 'utf8'));
check('write sysfs devices', () => tryWrite(`${targets.devices}/probe`, 'online_movable'));
check('write sysfs bus', () => tryWrite(`${targets.bus}/probe`, 'dax0.0'));
check('write sysfs kernel', () => tryWrite(`${targets.kernel}/probe`, 'x'));
check('write /run/daxplan', () => tryWrite('/run/daxplan/write-probe', String(process.pid)));
check('write /var/lib/daxplan', () => tryWrite('/var/lib/daxplan/write-probe', String(process.pid)));
check('write /tmp', () => tryWrite('/tmp/probe', 'x'));
check('write /etc', () => tryWrite('/etc/daxplan-probe', 'x'));
check('write /var', () => tryWrite('/var/probe', 'x'));
check('read /proc/cmdline', () => tryRead('/proc/cmdline'));
check('read boot_id', () => tryRead('/proc/sys/kernel/random/boot_id'));
check('list /root', () => {
  try {
    return `listed ${fs.readdirSync('/root').length}`;
  } catch (err) {
    return err.code;
  }
});
check('dax char devices', () => fs.readdirSync('/dev').filter((n) => n.startsWith('dax')).length);
// A child over a pipe (what daxplan's lock does with flock(1)). Instances run
// side by side and take it too: wait for it as daxplan would.
check('flock', () => {
  const r = spawnSync('flock', ['--exclusive', '--wait', '20', '/run/daxplan/lock', 'true'], { encoding: 'utf8' });
  return r.status === 0 ? 'ok' : `status ${r.status} ${r.error?.code ?? r.stderr}`;
});
check('modprobe', () => {
  const r = spawnSync('modprobe', ['--version'], { encoding: 'utf8' });
  return r.error?.code === 'ENOENT' ? 'absent' : r.status === 0 ? 'ok' : `status ${r.status} ${r.stderr}`;
});
// Keep V8's optimizing compiler busy for a moment (it needs W+X memory).
check('jit', () => {
  let x = 0;
  for (let i = 0; i < 5e6; i++) x = (x + i * 31) % 1000003;
  return x >= 0 ? 'ok' : 'bad';
});

const connect = () =>
  new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port: 9 });
    s.on('connect', () => {
      s.destroy();
      resolve('connected');
    });
    s.on('error', (err) => resolve(err.code ?? String(err)));
  });

const save = () => {
  fs.mkdirSync(outDir, { recursive: true });
  fs.writeFileSync(outFile, JSON.stringify(result, null, 1) + '\n');
};

result.checks['inet socket'] = await connect();
result.started = Date.now();

if (argv[0] === 'watch') {
  const child = spawn('sleep', ['600'], { stdio: 'ignore' });
  save();
  process.on('SIGTERM', () => {
    // With KillMode=mixed only this process got SIGTERM; the child lives on.
    setTimeout(() => {
      result.checks['child alive after SIGTERM'] = child.exitCode === null && child.signalCode === null;
      result.checks['got SIGTERM'] = true;
      child.kill('SIGKILL');
      save();
      process.exit(0);
    }, 300);
  });
  setInterval(() => {}, 1 << 30);
} else {
  if (trigger === 'boot') await new Promise((r) => setTimeout(r, 2000));
  result.finished = Date.now();
  save();
}
