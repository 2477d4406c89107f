// The test command: the system packages the tests need (test/provision.sh,
// which installs them as root and says what it installed), the dependency
// rules and the type check (tsc), unit tests (uvu), then the contrib checks, the Debian package, the
// Ansible role and the real-kernel VM suite; ends with one line "N passed,
// N failed" for CI. `node test/run.mjs unit` runs the named suites alone
// (after the same provisioning).
import { spawn, spawnSync } from 'node:child_process';

const suites = [
  { name: 'types', cmd: 'npx', args: ['tsc', '-p', '.'], parse: oneCheck },
  { name: 'dependencies', cmd: 'npx', args: ['depcruise', 'src', '--config', '.dependency-cruiser.cjs'], parse: oneCheck },
  { name: 'unit', cmd: process.execPath, args: ['--import', 'tsx', 'test/unit.ts'], parse: uvuCounts },
  { name: 'contrib', cmd: 'bash', args: ['test/contrib/check.sh'], parse: plainCounts },
  { name: 'deb', cmd: 'bash', args: ['test/contrib/deb.sh'], parse: plainCounts },
  { name: 'ansible', cmd: process.execPath, args: ['--import', 'tsx', 'test/ansible/run.ts'], parse: plainCounts },
  { name: 'vm', cmd: process.execPath, args: ['--import', 'tsx', 'test/vm/run.ts'], parse: plainCounts, skipEnv: 'DAXPLAN_SKIP_VM' },
];

/** A tool that passes or fails as a whole: one check. */
function oneCheck(_out, code) {
  return { passed: code === 0 ? 1 : 0, failed: code === 0 ? 0 : 1, skipped: 0 };
}

function uvuCounts(out) {
  const plain = out.replace(/\x1b\[[0-9;]*m/g, '');
  const total = Number(/Total:\s+(\d+)/.exec(plain)?.[1] ?? NaN);
  const passed = Number(/Passed:\s+(\d+)/.exec(plain)?.[1] ?? NaN);
  const skipped = Number(/Skipped:\s+(\d+)/.exec(plain)?.[1] ?? 0);
  // uvu's Total counts the tests that ran; a skipped one is only in Skipped.
  return Number.isNaN(total) ? undefined : { passed, failed: total - passed, skipped };
}

function plainCounts(out) {
  const m = [...out.matchAll(/^(\d+) passed, (\d+) failed(?:, (\d+) skipped)?/gm)].pop();
  return m ? { passed: Number(m[1]), failed: Number(m[2]), skipped: Number(m[3] ?? 0) } : undefined;
}

function runSuite(suite) {
  return new Promise((resolve) => {
    const child = spawn(suite.cmd, suite.args, { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, NO_COLOR: '1' } });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      process.stdout.write(d);
    });
    child.on('close', (code) => resolve({ code, counts: suite.parse(out, code) }));
  });
}

let passed = 0;
let failed = 0;
let skipped = 0;
const only = process.argv.slice(2);
for (const name of only) if (!suites.some((s) => s.name === name)) throw new Error(`no test suite "${name}" (${suites.map((s) => s.name).join(', ')})`);
console.log('# provision');
const provision = spawnSync('bash', ['test/provision.sh'], { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
if (provision.status !== 0) {
  console.log(`# provision: test/provision.sh exited ${provision.status ?? provision.signal}`);
  failed++;
}
for (const suite of suites.filter((s) => only.length === 0 || only.includes(s.name))) {
  if (suite.skipEnv && process.env[suite.skipEnv] === '1') {
    console.log(`# ${suite.name}: skipped (${suite.skipEnv}=1)`);
    skipped++;
    continue;
  }
  console.log(`# ${suite.name}`);
  const { code, counts } = await runSuite(suite);
  if (!counts) {
    console.log(`# ${suite.name}: exited ${code} without a test count`);
    failed++;
    continue;
  }
  passed += counts.passed;
  skipped += counts.skipped;
  failed += counts.failed + (code !== 0 && counts.failed === 0 ? 1 : 0);
}
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exitCode = failed ? 1 : 0;
