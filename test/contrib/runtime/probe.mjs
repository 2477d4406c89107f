#!/usr/bin/env node
// Runs first in every daxplan unit of the test container (daxplan-wrapper.sh,
// installed as the units' daxplan): records the unit's argv and what its
// sandbox lets a daxplan process do, to
// /run/daxplan/probe/<command>-<trigger>-<device|all|kernel>.json, which
// evaluate.mjs reads. The wrapper then runs the real daxplan with the same
// argv.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';

const argv = process.argv.slice(2);
const flag = (name) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
};
const target = flag('--device') ?? (argv.includes('--kernel-only') ? 'kernel' : 'all');
const outDir = '/run/daxplan/probe';
const outFile = `${outDir}/${argv[0]}-${flag('--trigger') ?? 'none'}-${target.replace(/[^A-Za-z0-9.@_-]/g, '_')}.json`;

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
// The writable stand-ins setup.sh mounted over three sysfs directories (see there).
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
check('netns', () => fs.readlinkSync('/proc/self/ns/net'));
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

result.checks['inet socket'] = await new Promise((resolve) => {
  const s = net.connect({ host: '127.0.0.1', port: 9 });
  s.on('connect', () => {
    s.destroy();
    resolve('connected');
  });
  s.on('error', (err) => resolve(err.code ?? String(err)));
});
// daxplan's lock is a Unix socket in the abstract namespace: the sandbox must
// let it listen on one, in the network namespace every daxplan shares (netns).
result.checks['abstract socket'] = await new Promise((resolve) => {
  const server = net.createServer();
  server.once('error', (err) => resolve(err.code ?? String(err)));
  server.listen({ path: `\0daxplan-check-${process.pid}` }, () => server.close(() => resolve('ok')));
});
result.started = Date.now();
fs.mkdirSync(outDir, { recursive: true });
fs.writeFileSync(outFile, JSON.stringify(result, null, 1) + '\n');
