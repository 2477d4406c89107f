// The test command: unit tests (uvu), then the contrib checks and the
// real-kernel VM suite; ends with one line "N passed, N failed" for CI.
import { spawn } from 'node:child_process';

const suites = [
  { name: 'unit', cmd: process.execPath, args: ['--import', 'tsx', 'test/unit.ts'], parse: uvuCounts },
  { name: 'contrib', cmd: 'bash', args: ['test/contrib/check.sh'], parse: plainCounts },
  { name: 'vm', cmd: process.execPath, args: ['--import', 'tsx', 'test/vm/run.ts'], parse: plainCounts, skipEnv: 'DAXPLAN_SKIP_VM' },
];

function uvuCounts(out) {
  const plain = out.replace(/\x1b\[[0-9;]*m/g, '');
  const total = Number(/Total:\s+(\d+)/.exec(plain)?.[1] ?? NaN);
  const passed = Number(/Passed:\s+(\d+)/.exec(plain)?.[1] ?? NaN);
  return Number.isNaN(total) ? undefined : { passed, failed: total - passed };
}

function plainCounts(out) {
  const m = [...out.matchAll(/^(\d+) passed, (\d+) failed/gm)].pop();
  return m ? { passed: Number(m[1]), failed: Number(m[2]) } : undefined;
}

function runSuite(suite) {
  return new Promise((resolve) => {
    const child = spawn(suite.cmd, suite.args, { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, NO_COLOR: '1' } });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      process.stdout.write(d);
    });
    child.on('close', (code) => resolve({ code, counts: suite.parse(out) }));
  });
}

let passed = 0;
let failed = 0;
for (const suite of suites) {
  if (suite.skipEnv && process.env[suite.skipEnv] === '1') {
    console.log(`# ${suite.name}: skipped (${suite.skipEnv}=1)`);
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
  failed += counts.failed + (code !== 0 && counts.failed === 0 ? 1 : 0);
}
console.log(`${passed} passed, ${failed} failed`);
process.exitCode = failed ? 1 : 0;
