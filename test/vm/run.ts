// Real-kernel VM tests: `npm run test:vm [-- [--kernel ID]... [SCENARIO]...]`.
//
// Kernels: Debian's 6.1, 6.12 and 7.3 (the first with the kmem `state` file).
// Fetches kernels and tools (test/vm/fetch.sh), builds one initramfs per
// kernel (build-initramfs.sh), then boots every scenario of
// test/vm/guest/scenarios/*.sh on every kernel it runs on (boot.sh;
// $DAXPLAN_VM_JOBS guests at a time, default 2: each uses one host core) and
// reads the serial console (protocol in test/vm/guest/lib.sh).
// Machines (MACHINES below): `pmem`, legacy pmem regions, on every kernel of
// KERNELS; `cxl`, CXL type 3 RAM devices under QEMU 10, on kernel id 7.3-cxl.
// The comment lines a scenario starts with may say `# machines: cxl`
// (default: pmem), `# kernels: ID...` (only these of its machines' kernels,
// space- or comma-separated) and `# append: WORD...` (extra kernel
// command-line words for its boot). `--kernel ID` keeps the runs on those
// kernel ids. A scenario passes when it prints
// `SCENARIO-RESULT ok` and its optional host-side check,
// test/vm/checks/NAME.ts (default export, throws with the reason), passes.
// Per run: test/vm/out/KERNEL/SCENARIO/{console.log,files/}. TIMING lines
// go to test/vm/timings.json.
// Environment: DAXPLAN_SKIP_VM=1 exit 0 when QEMU cannot run;
// DAXPLAN_VM_CACHE (default /var/cache/daxplan-vm); DAXPLAN_VM_TIMEOUT per
// boot (s, default 180); DAXPLAN_VM_UPDATE_FIXTURES=1 lets capture-states
// replace test/fixtures/real-KERNEL and the cxl-capture-* scenarios
// test/fixtures/real-cxl-7.3/*.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { medianOf, TRANSITIONS, type Timing } from './timings.js';

export type { Timing };

export interface ScenarioRun {
  kernel: string; // "6.1" | "6.12" | "7.3"
  kernelPackage: string; // e.g. "linux-image-6.12.117+deb12-amd64 6.12.117-1~deb12u1"
  scenario: string;
  dir: string; // test/vm/out/KERNEL/SCENARIO
  lines: string[]; // the scenario's console output, between the markers
  files: Record<string, string>; // name given to send_file -> path of the received copy
  timings: Timing[];
}

const VM = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.resolve(VM, '../..');
const CACHE = process.env.DAXPLAN_VM_CACHE ?? '/var/cache/daxplan-vm';
const KERNELS = ['6.1', '6.12', '7.3'];
// Machine -> the kernel ids it boots (an id ending in -cxl is the CXL machine's).
const MACHINES: Record<string, string[]> = { pmem: KERNELS, cxl: ['7.3-cxl'] };
const ALL_KERNELS = Object.values(MACHINES).flat();
const rel = (p: string) => path.relative(REPO, p);
const RUN = new Date().toISOString();

function cannotRun(reason: string): never {
  const skip = process.env.DAXPLAN_SKIP_VM === '1';
  console.log(`VM tests cannot run: ${reason}${skip ? ' (skipped: DAXPLAN_SKIP_VM=1)' : ''}`);
  process.exit(skip ? 0 : 1);
}

function sh(script: string, args: string[]) {
  return spawnSync('bash', [path.join(VM, script), ...args], { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
}

const lastLine = (s: string | null) => (s ?? '').trim().split('\n').pop() ?? '';

// Reads the console log of one boot; returns the run or throws with the reason.
function parseConsole(kernel: string, scenario: string, dir: string): ScenarioRun {
  const log = fs.readFileSync(path.join(dir, 'console.log'), 'latin1').split(/\r?\n/);
  const begin = log.findIndex((l) => l.startsWith(`DAXPLAN-SCENARIO-BEGIN ${scenario} `));
  const end = log.findIndex((l) => l.startsWith(`DAXPLAN-SCENARIO-END ${scenario} `));
  if (begin < 0 || end < 0) {
    const oops = log.find((l) => /Kernel panic|Oops:|BUG:/.test(l));
    const where = begin < 0 ? 'before the scenario started' : 'during the scenario';
    throw new Error(`guest stopped ${where}${oops ? `: ${oops.replace(/^\[[ \d.]+\] /, '')}` : ''}`);
  }
  const lines = log.slice(begin + 1, end);
  const run: ScenarioRun = {
    kernel,
    kernelPackage: fs.readFileSync(path.join(CACHE, 'kernel', kernel, 'package'), 'utf8').trim(),
    scenario,
    dir,
    lines,
    files: {},
    timings: [],
  };
  for (let i = 0; i < lines.length; i++) {
    const file = /^DAXPLAN-FILE-BEGIN (\S+) ([0-9a-f]{64})$/.exec(lines[i]);
    if (file) {
      const [, name, sha] = file;
      const stop = lines.indexOf(`DAXPLAN-FILE-END ${name}`, i);
      if (stop < 0) throw new Error(`file ${name}: no end marker`);
      const data = Buffer.from(lines.slice(i + 1, stop).join(''), 'base64');
      if (createHash('sha256').update(data).digest('hex') !== sha) throw new Error(`file ${name}: checksum mismatch`);
      const dest = path.join(dir, 'files', name);
      fs.mkdirSync(path.dirname(dest), { recursive: true });
      fs.writeFileSync(dest, data);
      run.files[name] = dest;
      i = stop;
      continue;
    }
    const timing = /^TIMING (\S+) (\S+) (\d+(?:\.\d+)?)(?: (.*))?$/.exec(lines[i]);
    if (timing) {
      const [, tool, transition, ms, note] = timing;
      run.timings.push({ kernel, scenario, tool, transition, ms: Number(ms), ...(note ? { note } : {}), run: RUN });
    }
  }
  const result = lines.filter((l) => l.startsWith('SCENARIO-RESULT ')).pop();
  if (!result) throw new Error(`no SCENARIO-RESULT line (${log[end]})`);
  if (result !== 'SCENARIO-RESULT ok') throw new Error(result.replace(/^SCENARIO-RESULT (fail )?/, ''));
  return run;
}

function boot(kernel: string, scenario: string, log: string, append: string): Promise<{ status: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const qemu = spawn('bash', [path.join(VM, 'boot.sh'), kernel, scenario, log], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, DAXPLAN_VM_APPEND: append },
    });
    let stderr = '';
    qemu.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    qemu.on('close', (status) => resolve({ status, stderr }));
  });
}

async function runScenario(kernel: string, scenario: string): Promise<ScenarioRun> {
  const dir = path.join(VM, 'out', kernel, scenario);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const { status, stderr } = await boot(kernel, scenario, path.join(dir, 'console.log'), scenarioHeader(scenario).append);
  if (status === 124) throw new Error(`timed out after ${process.env.DAXPLAN_VM_TIMEOUT ?? 180}s`);
  if (status !== 0) throw new Error(`qemu exited ${status}: ${lastLine(stderr)}`);
  const run = parseConsole(kernel, scenario, dir);
  const check = path.join(VM, 'checks', `${scenario}.ts`);
  if (fs.existsSync(check)) {
    const mod = (await import(pathToFileURL(check).href)) as { default: (run: ScenarioRun) => void | Promise<void> };
    await mod.default(run);
  }
  return run;
}

function writeTimings(timings: Timing[], ran: Set<string>) {
  const file = path.join(VM, 'timings.json');
  let kept: Timing[] = [];
  try {
    kept = (JSON.parse(fs.readFileSync(file, 'utf8')) as { timings: Timing[] }).timings;
  } catch {
    // no previous file
  }
  const kernels = Object.fromEntries(
    ALL_KERNELS.filter((k) => fs.existsSync(path.join(CACHE, 'kernel', k, 'package'))).map((k) => [
      k,
      fs.readFileSync(path.join(CACHE, 'kernel', k, 'package'), 'utf8').trim(),
    ]),
  );
  const all = [...kept.filter((t) => !ran.has(`${t.kernel} ${t.scenario}`)), ...timings].sort(
    (a, b) => a.kernel.localeCompare(b.kernel) || a.scenario.localeCompare(b.scenario),
  );
  fs.writeFileSync(file, JSON.stringify({ kernels, timings: all }, null, 2) + '\n');
  return all;
}

// daxplan apply next to daxctl for the same transition on the same kernel
// (medians over the rounds, refused runs left out; see timings.ts).
function printComparison(all: Timing[]) {
  for (const kernel of KERNELS) {
    const node = medianOf(all, kernel, 'node', 'start')?.ms ?? '?';
    for (const { transition, label, daxctl: parts } of TRANSITIONS) {
      const each = parts.map((p) => medianOf(all, kernel, 'daxctl', p)?.ms);
      const daxctl = each.some((x) => x === undefined) ? undefined : each.reduce((a, b) => a! + b!, 0)!;
      const command = medianOf(all, kernel, 'daxplan', transition)?.ms;
      const steps = medianOf(all, kernel, 'daxplan-steps', transition)?.ms;
      if (daxctl === undefined || command === undefined || steps === undefined) continue;
      const how = all.find((t) => t.kernel === kernel && t.tool === 'daxplan' && t.transition === transition && t.note !== 'refused')?.note?.split(' ').pop();
      console.log(
        `# ${kernel} ${label}: daxctl ${daxctl} ms; daxplan apply ${command} ms (${(command / daxctl).toFixed(1)}x), its device steps ${steps} ms (${(steps / daxctl).toFixed(1)}x)${how ? ` [${how}]` : ''}; node -e 0 ${node} ms`,
      );
    }
  }
}

interface ScenarioHeader {
  kernels: string[];
  append: string;
}

// What a scenario's leading comment lines say: `# machines: cxl` (default
// pmem), `# kernels: 7.3` (some of those machines' kernels; default all of
// them), `# append: memhp_default_state=offline`.
function scenarioHeader(scenario: string): ScenarioHeader {
  const file = path.join(VM, 'guest', 'scenarios', `${scenario}.sh`);
  const head: string[] = [];
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    if (!line.startsWith('#')) break;
    head.push(line);
  }
  const field = (name: string) => head.map((l) => new RegExp(`^#\\s*${name}:\\s*(.*)$`).exec(l)?.[1].trim()).find((v) => v !== undefined);
  const words = (v: string) => v.split(/[\s,]+/).filter(Boolean);
  const machines = words(field('machines') ?? 'pmem');
  for (const m of machines) if (!MACHINES[m]) throw new Error(`${rel(file)}: unknown machine ${m} (known: ${Object.keys(MACHINES).join(', ')})`);
  const possible = machines.flatMap((m) => MACHINES[m]);
  const named = field('kernels');
  const kernels = named === undefined ? possible : words(named);
  const unknown = kernels.filter((k) => !possible.includes(k));
  if (!kernels.length || unknown.length) throw new Error(`${rel(file)}: bad kernels line "# kernels: ${named}" (known for its machines: ${possible.join(', ')})`);
  return { kernels, append: field('append') ?? '' };
}

async function main() {
  const kernels: string[] = [];
  const wanted: string[] = [];
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--kernel') kernels.push(argv[++i]);
    else wanted.push(argv[i]);
  }
  for (const k of kernels) if (!ALL_KERNELS.includes(k)) throw new Error(`unknown kernel ${k} (known: ${ALL_KERNELS.join(', ')})`);
  const all = fs
    .readdirSync(path.join(VM, 'guest', 'scenarios'))
    .filter((f) => f.endsWith('.sh'))
    .map((f) => f.slice(0, -3))
    .sort();
  for (const s of wanted) if (!all.includes(s)) throw new Error(`unknown scenario ${s} (known: ${all.join(', ')})`);
  const scenarios = wanted.length ? wanted : all;
  const runsOn = new Map(scenarios.map((s) => [s, scenarioHeader(s).kernels]));
  const targets = kernels.length ? kernels : ALL_KERNELS;
  const jobs = targets.flatMap((kernel) => scenarios.filter((scenario) => runsOn.get(scenario)!.includes(kernel)).map((scenario) => ({ kernel, scenario })));
  // Named on the command line but not for this kernel: say so instead of passing silently.
  for (const scenario of wanted) {
    const not = targets.filter((k) => !runsOn.get(scenario)!.includes(k));
    if (not.length) console.log(`skip ${not.join(', ')} ${scenario}: runs on kernels ${runsOn.get(scenario)!.join(', ')} only`);
  }

  const fetch = sh('fetch.sh', targets);
  if (fetch.status !== 0) {
    process.stderr.write(fetch.stderr);
    cannotRun(`test/vm/fetch.sh failed: ${lastLine(fetch.stderr)}`);
  }
  const qemu = spawnSync('qemu-system-x86_64', ['--version'], { encoding: 'utf8' });
  if (qemu.status !== 0) cannotRun(`qemu-system-x86_64 does not start: ${qemu.error?.message ?? lastLine(qemu.stderr)}`);

  const builds = new Map<string, ReturnType<typeof sh>>();
  for (const kernel of new Set(jobs.map((j) => j.kernel))) {
    const build = sh('build-initramfs.sh', [kernel]);
    if (build.status !== 0) process.stderr.write(build.stderr);
    builds.set(kernel, build);
  }
  let passed = 0;
  let failed = 0;
  const timings: Timing[] = [];
  const ran = new Set<string>();
  const lane = async () => {
    for (let job = jobs.shift(); job; job = jobs.shift()) {
      const { kernel, scenario } = job;
      const start = Date.now();
      const secs = () => `(${((Date.now() - start) / 1000).toFixed(1)}s)`;
      ran.add(`${kernel} ${scenario}`);
      try {
        const build = builds.get(kernel)!;
        if (build.status !== 0) throw new Error(`build-initramfs.sh failed: ${lastLine(build.stderr)}`);
        const run = await runScenario(kernel, scenario);
        timings.push(...run.timings);
        passed++;
        console.log(`ok ${kernel} ${scenario} ${secs()}`);
      } catch (e) {
        failed++;
        const log = path.join(VM, 'out', kernel, scenario, 'console.log');
        console.log(`FAIL ${kernel} ${scenario} ${secs()}: ${(e as Error).message}` + (fs.existsSync(log) ? ` [${rel(log)}]` : ''));
      }
    }
  };
  const lanes = Number(process.env.DAXPLAN_VM_JOBS) || Math.min(2, os.availableParallelism());
  await Promise.all(Array.from({ length: lanes }, lane));
  if (ran.size) printComparison(writeTimings(timings, ran));
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
}

main().catch((e: Error) => {
  console.log(`test:vm: ${e.message}`);
  process.exit(1);
});
