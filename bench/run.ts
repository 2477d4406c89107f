// npm run bench: how fast daxplan starts, how it scales with devices and
// memory blocks, what apply costs on the simulated kernel, and (from the VM
// suite) apply against daxctl per kernel and transition, with the targets
// each ratio must meet and where apply spends its time (apply --timings in
// the guest). Every number is a median of runs interleaved
// with its baseline, so a busy machine slows both alike. Prints a table and
// writes bench/results.json. Exits non-zero only when it cannot run.
//
//   npm run bench [-- --quick] [-- --only cold,scale,apply,fleet,vm] [-- --clean]
//
// Trees are generated once per spec into a cache (tmpfs when there is one, as
// sysfs is in memory): /dev/shm/daxplan-bench, or $DAXPLAN_BENCH_TREES.
import { spawnSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { buildSync } from 'esbuild';
import { writeHost, type HostSpec } from '../test/sim/tree.js';
import { writeHostFast } from './tree.js';
import { FLEET_BLOCKS_PER_DEVICE, FLEET_DEVICES, FLEET_POLICY, writeFleet } from './fleet.js';
import { medianOf, TRANSITIONS, type Timing } from '../test/vm/timings.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BIN = path.join(REPO, 'dist/daxplan.cjs');
const SMALL = path.join(REPO, 'examples/debian-6.12-qemu');
const TIMINGS = path.join(REPO, 'test/vm/timings.json');
const RESULTS = path.join(REPO, 'bench/results.json');
const NODE = process.execPath;
const GROUPS = ['cold', 'scale', 'apply', 'fleet', 'vm'] as const;
type Group = (typeof GROUPS)[number];

const { values: opts } = parseArgs({
  options: {
    quick: { type: 'boolean' },
    only: { type: 'string' },
    clean: { type: 'boolean' },
    'no-build': { type: 'boolean' },
    out: { type: 'string' },
  },
});
const only = new Set((opts.only?.split(',') ?? GROUPS) as Group[]);
for (const g of only) if (!GROUPS.includes(g)) cannot(`--only: unknown group "${g}" (groups: ${GROUPS.join(', ')})`);
const QUICK = opts.quick === true;

function cannot(message: string): never {
  process.stderr.write(`bench: cannot run: ${message}\n`);
  process.exit(1);
}

function log(line: string): void {
  process.stderr.write(`bench: ${line}\n`);
}

// --- build ---

function newestMtime(paths: string[]): number {
  let newest = 0;
  const visit = (p: string) => {
    let st: fs.Stats;
    try {
      st = fs.statSync(p);
    } catch {
      return;
    }
    if (st.isDirectory()) for (const e of fs.readdirSync(p)) visit(path.join(p, e));
    else newest = Math.max(newest, st.mtimeMs);
  };
  for (const p of paths) visit(path.join(REPO, p));
  return newest;
}

function ensureBuilt(): void {
  const sources = newestMtime(['src', 'schemas', 'scripts/build.mjs', 'scripts/gen-validators.mjs', 'package.json', 'package-lock.json']);
  const built = fs.existsSync(BIN) ? fs.statSync(BIN).mtimeMs : 0;
  if (built >= sources && built > 0) return;
  if (opts['no-build']) cannot(`${path.relative(REPO, BIN)} is missing or older than src/ (drop --no-build)`);
  log('building (npm run build)');
  const r = spawnSync('npm', ['run', 'build'], { cwd: REPO, stdio: ['ignore', 'ignore', 'inherit'] });
  if (r.status !== 0) cannot('npm run build failed');
}

// --- trees ---

const TREES = process.env.DAXPLAN_BENCH_TREES ?? (isWritableDir('/dev/shm') ? '/dev/shm/daxplan-bench' : path.join(os.tmpdir(), 'daxplan-bench'));

function isWritableDir(dir: string): boolean {
  try {
    fs.accessSync(dir, fs.constants.W_OK);
    return fs.statSync(dir).isDirectory();
  } catch {
    return false;
  }
}

/** Changes when the layout the generators write could have changed. */
const GENERATOR = crypto
  .createHash('sha256')
  .update(fs.readFileSync(path.join(REPO, 'bench/tree.ts')))
  .update(fs.readFileSync(path.join(REPO, 'test/sim/tree.ts')))
  .digest('hex');

/** A tree for `spec` under the cache, generated on first use. Fast trees are hard-linked: read them, never write them. */
function cachedTree(name: string, spec: HostSpec, fast: boolean): string {
  const key = crypto
    .createHash('sha256')
    .update(JSON.stringify({ spec, fast, GENERATOR }, (_, v) => (typeof v === 'bigint' ? v.toString() : v)))
    .digest('hex')
    .slice(0, 12);
  const dir = path.join(TREES, `${name}-${key}`);
  if (fs.existsSync(path.join(dir, 'complete'))) return path.join(dir, 'sys');
  // Trees of an older spec or generator under this name are stale.
  for (const old of fs.readdirSync(TREES)) if (old.startsWith(`${name}-`)) fs.rmSync(path.join(TREES, old), { recursive: true, force: true });
  const started = performance.now();
  const tmp = `${dir}.tmp${process.pid}`;
  fs.mkdirSync(tmp, { recursive: true });
  if (fast) writeHostFast(path.join(tmp, 'sys'), spec, path.join(TREES, 'pool'));
  else writeHost(path.join(tmp, 'sys'), spec);
  fs.writeFileSync(path.join(tmp, 'complete'), '');
  fs.renameSync(tmp, dir);
  log(`generated ${name} in ${((performance.now() - started) / 1000).toFixed(1)} s (${dir})`);
  return path.join(dir, 'sys');
}

// --- measuring ---

const TIME = fs.existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;
const RSS_HOOK = path.join(os.tmpdir(), `daxplan-bench-rss-${process.pid}.cjs`);

interface Cmd {
  argv: string[];
  /** Exit codes that mean it ran (plan with changes may exit 2 only with --detailed-exitcode). */
  ok?: number[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

function runOnce(cmd: Cmd): number {
  const started = performance.now();
  const r = spawnSync(cmd.argv[0], cmd.argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...cmd.env }, cwd: cmd.cwd, maxBuffer: 1 << 24 });
  const ms = performance.now() - started;
  if (r.error || !(cmd.ok ?? [0]).includes(r.status ?? -1)) cannot(`${cmd.argv.join(' ')} exited ${r.status ?? r.signal}: ${r.error?.message ?? r.stderr.toString().slice(0, 2000)}`);
  return ms;
}

/** Peak RSS of the command in KiB: /usr/bin/time, else process.resourceUsage() from a preloaded hook. */
function peakRssKiB(cmd: Cmd): number {
  if (TIME) {
    const out = path.join(os.tmpdir(), `daxplan-bench-time-${process.pid}`);
    const r = spawnSync(TIME, ['-f', '%M', '-o', out, ...cmd.argv], { stdio: 'ignore', env: { ...process.env, ...cmd.env }, cwd: cmd.cwd });
    if (!(cmd.ok ?? [0]).includes(r.status ?? -1)) cannot(`${cmd.argv.join(' ')} exited ${r.status} under ${TIME}`);
    const kib = Number(fs.readFileSync(out, 'utf8').trim().split('\n').pop());
    fs.rmSync(out, { force: true });
    return kib;
  }
  if (cmd.argv[0] !== NODE) return NaN;
  fs.writeFileSync(RSS_HOOK, "process.on('exit',()=>require('fs').writeFileSync(process.env.DAXPLAN_BENCH_RSS_OUT,String(process.resourceUsage().maxRSS)))\n");
  const out = path.join(os.tmpdir(), `daxplan-bench-rss-${process.pid}`);
  spawnSync(NODE, ['-r', RSS_HOOK, ...cmd.argv.slice(1)], { stdio: 'ignore', env: { ...process.env, ...cmd.env, DAXPLAN_BENCH_RSS_OUT: out }, cwd: cmd.cwd });
  const kib = Number(fs.readFileSync(out, 'utf8'));
  fs.rmSync(out, { force: true });
  return kib;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

interface Sampled {
  id: string;
  cmd: Cmd;
  /** Runs per round. */
  weight: number;
  samples: number[];
  /** CPU time (user + system, ms) of each run, for the cases that record it. */
  cpu?: number[];
  rssKiB?: number;
}

const CPU_HOOK = path.join(os.tmpdir(), `daxplan-bench-cpu-${process.pid}.cjs`);

/**
 * The CPU time of one run of a node command, from a hook preloaded into it
 * (the same for the baseline): what other jobs on a shared machine cannot
 * stretch, unlike wall time.
 */
function cpuOnce(cmd: Cmd): number {
  fs.writeFileSync(CPU_HOOK, "process.on('exit',()=>{const u=process.cpuUsage();require('fs').writeFileSync(process.env.DAXPLAN_BENCH_CPU_OUT,String((u.user+u.system)/1000))})\n");
  const out = path.join(os.tmpdir(), `daxplan-bench-cpu-${process.pid}`);
  runOnce({ ...cmd, argv: [NODE, '-r', CPU_HOOK, ...cmd.argv.slice(1)], env: { ...cmd.env, DAXPLAN_BENCH_CPU_OUT: out } });
  const ms = Number(fs.readFileSync(out, 'utf8'));
  fs.rmSync(out, { force: true });
  return ms;
}

/** Runs every command `rounds` times, interleaved, after one warm-up round. */
function sample(cases: Sampled[], rounds: number): void {
  for (const c of cases) runOnce(c.cmd);
  for (let r = 0; r < rounds; r++) {
    for (const c of cases)
      for (let i = 0; i < c.weight; i++) {
        c.samples.push(runOnce(c.cmd));
        c.cpu?.push(cpuOnce(c.cmd));
      }
    process.stderr.write(`\rbench: round ${r + 1}/${rounds}`);
  }
  process.stderr.write('\n');
  for (const c of cases) c.rssKiB = Math.max(peakRssKiB(c.cmd), peakRssKiB(c.cmd));
}

// --- results ---

interface Row {
  group: Group;
  case: string;
  median_ms: number | null;
  runs: number;
  baseline: string | null;
  ratio: number | null;
  per_device_ms?: number;
  per_block_us?: number;
  peak_rss_mib: number | null;
  /** The ratio this case must stay within, and whether it did. */
  target?: string;
  met?: boolean;
  note?: string;
}

const rows: Row[] = [];
const notes: string[] = [];
const mib = (kib: number | undefined) => (kib === undefined || Number.isNaN(kib) ? null : Math.round((kib / 1024) * 10) / 10);
const round2 = (x: number) => Math.round(x * 100) / 100;

// --- cold start ---

const daxplan = (...args: string[]): string[] => [NODE, BIN, ...args];
const smallPlan = daxplan('plan', '-c', path.join(SMALL, 'daxplan.yaml'), '--sysfs-root', path.join(SMALL, 'host/sys'));
const smallStatus = daxplan('status', '--sysfs-root', path.join(SMALL, 'host/sys'));

// --- scale ---

const COLD_TARGET = 1.5;
const SCALE_TARGET = 4;
const DEVICES = [1, 16, 64, 256];
const BLOCKS = [1024, 8192, 32768];
const SCALE_POLICY = `# bench: every far-memory device movable (the trees have them all online in ZONE_NORMAL)
version: 1
rules:
  - name: far-memory
    match:
      tier: 22
    state: online_movable
`;

function scaleSpec(devices: number, blocks: number): HostSpec {
  const per = blocks / devices;
  return {
    autoOnline: 'online',
    devices: Array.from({ length: devices }, (_, i) => ({ name: `dax${i}.0`, node: 1 + (i % 4), blocks: per, state: 'online', source: 'cxl' as const })),
  };
}

// --- apply ---

const APPLY = { devices: 16, blocks: 64 };
const APPLY_POLICY = `# bench: online (ZONE_NORMAL) -> online_movable, block by block
version: 1
rules:
  - name: all
    match:
      device: "dax*"
    state: online_movable
`;

function main(): void {
  if (opts.clean) {
    fs.rmSync(TREES, { recursive: true, force: true });
    log(`removed ${TREES}`);
    return;
  }
  if (only.has('cold') || only.has('scale') || only.has('fleet')) ensureBuilt();
  fs.mkdirSync(TREES, { recursive: true });
  const policyFile = path.join(TREES, 'scale-policy.yaml');
  fs.writeFileSync(policyFile, SCALE_POLICY);
  const rounds = QUICK ? 3 : 15;

  const floor: Sampled = { id: 'node -e 0', cmd: { argv: [NODE, '-e', '0'] }, weight: 4, samples: [], cpu: [] };
  const plan0: Sampled = { id: 'plan, small host', cmd: { argv: smallPlan }, weight: 4, samples: [], cpu: [] };
  const status0: Sampled = { id: 'status, small host', cmd: { argv: smallStatus }, weight: 4, samples: [], cpu: [] };
  const version: Sampled = { id: '--version', cmd: { argv: daxplan('--version') }, weight: 2, samples: [], cpu: [] };
  // No --config: the policy is searched for from the working directory, as a
  // user's plan does. Root never searches (only --config or
  // /etc/daxplan/daxplan.yaml), so a bench run as root leaves this case out.
  const searching = process.geteuid?.() !== 0;
  if (!searching) notes.push('cold: "plan, policy searched" is not timed as root: root reads only --config or /etc/daxplan/daxplan.yaml');
  const searchDir = path.join(TREES, 'search-cwd');
  fs.mkdirSync(searchDir, { recursive: true });
  fs.copyFileSync(path.join(SMALL, 'daxplan.yaml'), path.join(searchDir, 'daxplan.yaml'));
  const planSearch: Sampled = { id: 'plan, small host, policy searched', cmd: { argv: daxplan('plan', '--sysfs-root', path.join(SMALL, 'host/sys')), cwd: searchDir }, weight: 2, samples: [], cpu: [] };
  const cases: Sampled[] = [];
  if (only.has('cold') || only.has('scale')) cases.push(floor, plan0, status0);
  if (only.has('cold')) cases.push(...(searching ? [planSearch] : []), version);

  const scale: { devices: number; blocks: number; status: Sampled; plan: Sampled }[] = [];
  if (only.has('scale')) {
    for (const blocks of BLOCKS)
      for (const devices of DEVICES) {
        const sys = cachedTree(`d${devices}-b${blocks}`, scaleSpec(devices, blocks), true);
        const status: Sampled = { id: `status ${devices}x${blocks / devices}`, cmd: { argv: daxplan('status', '--sysfs-root', sys) }, weight: 1, samples: [] };
        const plan: Sampled = { id: `plan ${devices}x${blocks / devices}`, cmd: { argv: daxplan('plan', '-c', policyFile, '--sysfs-root', sys) }, weight: 1, samples: [] };
        scale.push({ devices, blocks, status, plan });
        cases.push(status, plan);
      }
  }
  if (cases.length) {
    log(`timing ${cases.length} commands, ${rounds} rounds (node ${process.version}, ${os.cpus().length} cores, load ${os.loadavg()[0].toFixed(1)})`);
    sample(cases, rounds);
  }

  if (only.has('cold') || only.has('scale')) {
    const f = median(floor.samples);
    rows.push({ group: 'cold', case: 'node -e 0 (floor)', median_ms: round2(f), runs: floor.samples.length, baseline: null, ratio: null, peak_rss_mib: mib(floor.rssKiB) });
    const fc = median(floor.cpu!);
    rows.push({ group: 'cold', case: 'node -e 0 (floor), CPU time', median_ms: round2(fc), runs: floor.cpu!.length, baseline: null, ratio: null, peak_rss_mib: null });
    for (const c of only.has('cold') ? [plan0, ...(searching ? [planSearch] : []), status0, version] : [plan0, status0]) {
      rows.push({ group: 'cold', case: c.id, median_ms: round2(median(c.samples)), runs: c.samples.length, baseline: 'node -e 0', ratio: round2(median(c.samples) / f), peak_rss_mib: mib(c.rssKiB) });
      // The target is judged on CPU time: on a shared machine wall time also measures the other jobs.
      const ratio = round2(median(c.cpu!) / fc);
      const target = c === version ? {} : { target: `≤ ${COLD_TARGET}x`, met: ratio <= COLD_TARGET };
      rows.push({ group: 'cold', case: `${c.id}, CPU time`, median_ms: round2(median(c.cpu!)), runs: c.cpu!.length, baseline: 'node -e 0, CPU time', ratio, ...target, peak_rss_mib: null });
    }
  }
  if (only.has('scale')) {
    for (const cmd of ['status', 'plan'] as const) {
      const fixed = median((cmd === 'plan' ? plan0 : status0).samples);
      for (const s of scale) {
        const base = scale.find((o) => o.devices === s.devices && o.blocks === BLOCKS[0])!;
        const m = median(s[cmd].samples);
        const ratio = round2(m / median(base[cmd].samples));
        rows.push({
          group: 'scale',
          case: `${cmd} ${s.devices} dev x ${s.blocks / s.devices} blk (${s.blocks / 1024}k blocks)`,
          median_ms: round2(m),
          runs: s[cmd].samples.length,
          baseline: `${cmd} ${s.devices} dev, 1k blocks`,
          ratio,
          ...(s.blocks === BLOCKS.at(-1) ? { target: `≤ ${SCALE_TARGET}x`, met: ratio <= SCALE_TARGET } : {}),
          per_device_ms: round2((m - fixed) / s.devices),
          per_block_us: round2(((m - fixed) / s.blocks) * 1000),
          peak_rss_mib: mib(s[cmd].rssKiB),
        });
      }
    }
    const ratios = rows.filter((r) => r.group === 'scale' && r.case.startsWith('plan') && r.case.includes('(32k')).map((r) => r.ratio!);
    notes.push(`32k-block plan / 1k-block plan: ${ratios.map((r) => `${r}x`).join(', ')} (1, 16, 64, 256 devices; target ≤ ${SCALE_TARGET}x)`);
    for (const cmd of ['status', 'plan'])
      for (const devices of DEVICES) {
        const per = BLOCKS.map((b) => rows.find((r) => r.case.startsWith(`${cmd} ${devices} dev x ${b / devices} blk`))!.per_block_us!);
        notes.push(`${cmd}, ${devices} device(s): µs per block above start-up at 1k/8k/32k blocks: ${per.join(' / ')}`);
      }
  }
  if (only.has('apply')) applyBench();
  if (only.has('fleet')) fleetBench();
  if (only.has('vm')) vmComparison();

  printTable();
  const results = {
    generated: new Date().toISOString(),
    machine: { cpus: os.cpus().length, cpu: os.cpus()[0]?.model, node: process.version, loadavg: os.loadavg().map(round2), note: '2-core VM shared with other jobs: noisy; compare ratios, not absolute times' },
    rounds,
    rows,
    vm_phases: vmPhases,
    notes,
  };
  fs.writeFileSync(opts.out ?? RESULTS, JSON.stringify(results, null, 2) + '\n');
  log(`wrote ${path.relative(process.cwd(), opts.out ?? RESULTS)}`);
}

function applyBench(): void {
  const spec: HostSpec = {
    autoOnline: 'online',
    devices: Array.from({ length: APPLY.devices }, (_, i) => ({ name: `dax${i}.0`, node: 1 + (i % 4), blocks: APPLY.blocks, state: 'online' })),
  };
  // The simulated kernel writes to its tree: a plain (not hard-linked) template, copied for each run.
  const template = cachedTree(`apply-d${APPLY.devices}-b${APPLY.blocks}`, spec, false);
  for (const old of fs.readdirSync(TREES)) if (old.startsWith('apply-work-')) fs.rmSync(path.join(TREES, old), { recursive: true, force: true });
  const work = fs.mkdtempSync(path.join(TREES, 'apply-work-'));
  const policy = path.join(work, 'policy.yaml');
  fs.writeFileSync(policy, APPLY_POLICY);
  // Bundled so that the child's time and memory are daxplan's, not tsx's.
  const child = path.join(work, 'apply-child.mjs');
  try {
    buildSync({
      entryPoints: [path.join(REPO, 'bench/apply-child.ts')],
      outfile: child,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
      logLevel: 'warning',
    });
  } catch (err) {
    cannot(`bundling bench/apply-child.ts failed: ${(err as Error).message}`);
  }
  const runs = QUICK ? 2 : 5;
  const argv = TIME ? [TIME, '-f', '%M', '-o', path.join(work, 'rss'), NODE, child, template, work, String(runs), policy] : [NODE, child, template, work, String(runs), policy];
  log(`apply: ${APPLY.devices} devices x ${APPLY.blocks} blocks, online -> online_movable, ${runs} runs`);
  const r = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 24 });
  if (r.status !== 0) cannot(`apply bench child exited ${r.status}`);
  const { runs: measured } = JSON.parse(r.stdout.trim().split('\n').pop()!) as {
    runs: { totalMs: number; kernelMs: number; steps: number; writes: number; blockWrites: number; applied: number; devices: number }[];
  };
  const rssKiB = TIME ? Number(fs.readFileSync(path.join(work, 'rss'), 'utf8').trim().split('\n').pop()) : undefined;
  fs.rmSync(work, { recursive: true, force: true });
  const first = measured[0];
  if (first.applied !== first.devices) cannot(`apply bench: ${first.devices - first.applied} of ${first.devices} devices did not apply`);
  const own = median(measured.map((m) => m.totalMs - m.kernelMs));
  const kernel = median(measured.map((m) => m.kernelMs));
  const label = `${APPLY.devices} dev x ${APPLY.blocks} blk, ${first.steps} steps, ${first.blockWrites} block writes`;
  rows.push({
    group: 'apply',
    case: `apply: daxplan's own time (${label})`,
    median_ms: round2(own),
    runs: measured.length,
    baseline: 'simulated kernel write() time',
    ratio: round2(own / kernel),
    per_device_ms: round2(own / first.devices),
    ...(first.blockWrites ? { per_block_us: round2((own / first.blockWrites) * 1000) } : {}),
    peak_rss_mib: mib(rssKiB),
    note: `${round2(own / first.steps)} ms per step`,
  });
  rows.push({
    group: 'apply',
    case: `apply: simulated kernel write() (${first.writes} writes)`,
    median_ms: round2(kernel),
    runs: measured.length,
    baseline: null,
    ratio: null,
    per_device_ms: round2(kernel / first.devices),
    ...(first.blockWrites ? { per_block_us: round2((kernel / first.blockWrites) * 1000) } : {}),
    peak_rss_mib: null,
    note: `${round2(kernel / first.steps)} ms per step`,
  });
  notes.push(`apply: daxplan's own time ${round2(own / first.steps)} ms per step; the simulated kernel's ${round2(kernel / first.steps)} ms per step (${first.blockWrites} block writes)`);
}

// --- fleet ---

const FLEET_HOSTS = 10_000;
const FLEET_TARGET_MS = 15_000;
const FLEET_RATIO_TARGET = 50;

/** Wall and CPU time (user + system) of one run of a node command. */
function wallAndCpu(cmd: Cmd): { wall: number; cpu: number } {
  fs.writeFileSync(CPU_HOOK, "process.on('exit',()=>{const u=process.cpuUsage();require('fs').writeFileSync(process.env.DAXPLAN_BENCH_CPU_OUT,String((u.user+u.system)/1000))})\n");
  const out = path.join(os.tmpdir(), `daxplan-bench-cpu-${process.pid}`);
  const wall = runOnce({ ...cmd, argv: [NODE, '-r', CPU_HOOK, ...cmd.argv.slice(1)], env: { ...cmd.env, DAXPLAN_BENCH_CPU_OUT: out } });
  const cpu = Number(fs.readFileSync(out, 'utf8'));
  fs.rmSync(out, { force: true });
  return { wall, cpu };
}

/**
 * The fleet plan a policy review runs: 10,000 host snapshots planned in one
 * process (plan --state DIR -f json), against the per-host loop it replaces
 * (one plan --state FILE process per host), a sample of which is timed in the
 * same rounds and extrapolated to the whole fleet.
 */
function fleetBench(): void {
  // Snapshots change with their writer (src/host/snapshot.ts, src/model/identity.ts) as well as with the trees.
  const hash = crypto.createHash('sha256').update(GENERATOR).update(String(FLEET_HOSTS));
  for (const file of ['bench/fleet.ts', 'src/host/snapshot.ts', 'src/model/identity.ts']) hash.update(fs.readFileSync(path.join(REPO, file)));
  const key = hash.digest('hex').slice(0, 12);
  const dir = path.join(TREES, `fleet-${key}`);
  const snaps = path.join(dir, 'snapshots');
  const policy = path.join(dir, 'policy.yaml');
  if (!fs.existsSync(path.join(dir, 'complete'))) {
    for (const old of fs.readdirSync(TREES)) if (old.startsWith('fleet-')) fs.rmSync(path.join(TREES, old), { recursive: true, force: true });
    const started = performance.now();
    writeFleet(snaps, FLEET_HOSTS, path.join(dir, 'scratch'));
    fs.writeFileSync(policy, FLEET_POLICY);
    fs.writeFileSync(path.join(dir, 'complete'), '');
    log(`generated ${FLEET_HOSTS} snapshots in ${((performance.now() - started) / 1000).toFixed(1)} s (${snaps})`);
  }
  const files = fs.readdirSync(snaps).filter((f) => f.endsWith('.json')).sort();
  const rounds = QUICK ? 1 : 3;
  const perRound = QUICK ? 6 : 10;
  const fleet: { wall: number; cpu: number }[] = [];
  const single: { wall: number; cpu: number }[] = [];
  const ok = [0, 1, 2];
  log(`fleet: ${FLEET_HOSTS} snapshots of ${FLEET_DEVICES} devices x ${FLEET_BLOCKS_PER_DEVICE} blocks, ${rounds} rounds of one fleet plan and ${perRound} single-host plans`);
  runOnce({ argv: daxplan('plan', '-c', policy, '--state', path.join(snaps, files[0]), '-f', 'json'), ok });
  for (let r = 0; r < rounds; r++) {
    fleet.push(wallAndCpu({ argv: daxplan('plan', '-c', policy, '--state', snaps, '-f', 'json'), ok }));
    for (let i = 0; i < perRound; i++) {
      const file = files[(r * perRound + i) * 997 % files.length];
      single.push(wallAndCpu({ argv: daxplan('plan', '-c', policy, '--state', path.join(snaps, file), '-f', 'json'), ok }));
    }
    process.stderr.write(`\rbench: fleet round ${r + 1}/${rounds}`);
  }
  process.stderr.write('\n');
  const rssKiB = peakRssKiB({ argv: daxplan('plan', '-c', policy, '--state', snaps, '-f', 'json'), ok });
  for (const kind of ['wall', 'cpu'] as const) {
    const what = kind === 'wall' ? 'elapsed' : 'CPU time';
    const one = median(single.map((s) => s[kind]));
    const whole = median(fleet.map((s) => s[kind]));
    const loop = one * FLEET_HOSTS;
    const ratio = round2(loop / whole);
    rows.push({
      group: 'fleet',
      case: `fleet plan: ${FLEET_HOSTS} snapshots in one process, ${what}`,
      median_ms: round2(whole),
      runs: fleet.length,
      baseline: null,
      ratio: null,
      target: `≤ ${FLEET_TARGET_MS / 1000} s`,
      met: whole <= FLEET_TARGET_MS,
      per_device_ms: round2(whole / (FLEET_HOSTS * FLEET_DEVICES)),
      peak_rss_mib: kind === 'wall' ? mib(rssKiB) : null,
      note: `${round2(whole / FLEET_HOSTS)} ms per host`,
    });
    rows.push({
      group: 'fleet',
      case: `per-host loop: ${FLEET_HOSTS} x plan --state FILE (one process each, ${single.length} timed), ${what}`,
      median_ms: round2(loop),
      runs: single.length,
      baseline: `the fleet plan, ${what}`,
      ratio,
      target: `≥ ${FLEET_RATIO_TARGET}x`,
      met: ratio >= FLEET_RATIO_TARGET,
      peak_rss_mib: null,
      note: `${round2(one)} ms per process`,
    });
    notes.push(`fleet: ${what}: one process plans ${FLEET_HOSTS} hosts in ${(whole / 1000).toFixed(1)} s (target ≤ ${FLEET_TARGET_MS / 1000} s); one process per host would take ${(loop / 1000).toFixed(0)} s (${round2(one)} ms each): ${ratio}x (target ≥ ${FLEET_RATIO_TARGET}x)`);
  }
}

const PER_BLOCK_STEPS_TARGET = 1.2;
const WHOLE_COMMAND_TARGET = 2;

function vmComparison(): void {
  if (!fs.existsSync(TIMINGS)) {
    notes.push(`vm: no ${path.relative(REPO, TIMINGS)} (run \`npm run test:vm\` to produce it): daxplan apply vs daxctl not compared`);
    return;
  }
  const { timings } = JSON.parse(fs.readFileSync(TIMINGS, 'utf8')) as { timings: Timing[] };
  const kernels = [...new Set(timings.map((t) => t.kernel))].sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  let compared = 0;
  for (const kernel of kernels) {
    // Ratios only against a baseline of the same run: the daxplan timings' run.
    // (A line without a run is from before runs were recorded: never the newest.)
    const run = timings.filter((t) => t.kernel === kernel && t.tool === 'daxplan' && t.run !== undefined).map((t) => t.run).sort().pop();
    const ofRun = timings.filter((t) => t.kernel === kernel && t.run === run);
    const med = (tool: string, transition: string) => medianOf(ofRun, kernel, tool, transition);
    const node = med('node', 'start');
    for (const { transition, label, daxctl: parts } of TRANSITIONS) {
      // daxctl's side of devdax is offline-memory + reconfigure-device -m devdax: two commands.
      const each = parts.map((part) => med('daxctl', part));
      const daxctl = each.every((x) => x) ? { ms: each.reduce((t, x) => t + x!.ms, 0), runs: Math.min(...each.map((x) => x!.runs)) } : undefined;
      const command = med('daxplan', transition);
      const steps = med('daxplan-steps', transition);
      if (!command || !steps) continue;
      // The daxplan line's note ends with how the device was moved: per-block, or state (the kernel's state file).
      const method = ofRun.find((t) => t.tool === 'daxplan' && t.transition === transition && t.note !== 'refused')?.note?.split(' ').pop() ?? 'per-block';
      const vm = (what: string) => `VM ${kernel}, ${label}: ${what}`;
      const phases = phaseBreakdown(ofRun.filter((t) => t.tool === 'daxplan-phase' && t.transition === transition));
      if (phases) {
        notes.push(`${vm("where daxplan apply's time goes")} (apply --timings, medians over ${phases.runs} runs, ms): ${phases.text}`);
        vmPhases.push({ kernel, transition, ...phases });
      }
      const cannot = ofRun.some((t) => t.tool === 'daxctl')
        ? 'daxctl: no timing (it refused, or cannot on this kernel)'
        : 'daxctl: not timed in the same test:vm run (run daxctl-timing with daxplan-timing)';
      rows.push({ group: 'vm', case: vm(daxctl ? `daxctl ${parts.join(' + ')}, whole command` : cannot), median_ms: daxctl?.ms ?? null, runs: daxctl?.runs ?? 0, baseline: null, ratio: null, peak_rss_mib: null });
      if (!daxctl) {
        rows.push({ group: 'vm', case: vm(`daxplan device steps (${method})`), median_ms: steps.ms, runs: steps.runs, baseline: null, ratio: null, peak_rss_mib: null });
        rows.push({ group: 'vm', case: vm('daxplan apply, whole command'), median_ms: command.ms, runs: command.runs, baseline: null, ratio: null, peak_rss_mib: null });
        continue;
      }
      compared++;
      // Through the kernel's state file one write moves the device: daxplan must beat daxctl's per-block walk.
      const stepsTarget = method === 'per-block' ? { text: `≤ ${PER_BLOCK_STEPS_TARGET}x`, max: PER_BLOCK_STEPS_TARGET } : { text: '< 1x', max: 0.999 };
      const stepsRatio = round2(steps.ms / daxctl.ms);
      rows.push({ group: 'vm', case: vm(`daxplan device steps (${method})`), median_ms: steps.ms, runs: steps.runs, baseline: 'daxctl, whole command', ratio: stepsRatio, target: stepsTarget.text, met: stepsRatio <= stepsTarget.max, peak_rss_mib: null });
      if (node) {
        const ratio = round2(command.ms / (daxctl.ms + node.ms));
        rows.push({ group: 'vm', case: vm('daxplan apply, whole command'), median_ms: command.ms, runs: command.runs, baseline: `daxctl + node -e 0 (${daxctl.ms + node.ms} ms)`, ratio, target: `≤ ${WHOLE_COMMAND_TARGET}x`, met: ratio <= WHOLE_COMMAND_TARGET, peak_rss_mib: null });
      }
    }
    if (node) notes.push(`vm: kernel ${kernel}: \`node -e 0\` takes ${node.ms} ms in the guest (TCG emulation, no KVM)`);
  }
  if (!compared) notes.push(`vm: ${path.relative(REPO, TIMINGS)} has no daxplan timing for a transition daxctl was timed on in the same run: nothing compared`);
}

const vmPhases: { kernel: string; transition: string; runs: number; medians: Record<string, number>; text: string }[] = [];

/**
 * Per run (a run starts at its `start-up` line), the time of each kind of
 * phase: re-reads, verifications and steps of one op summed; then the median
 * of each over the runs, and what --timings does not see (the process's exit).
 */
function phaseBreakdown(lines: Timing[]): { runs: number; medians: Record<string, number>; text: string } | undefined {
  const runs: Map<string, number>[] = [];
  for (const t of lines) {
    const phase = t.note ?? '';
    if (phase === 'start-up') runs.push(new Map());
    const kind = phase.replace(/^(reread|verify):.*/, '$1').replace(/^step:[^:]+:[^:]+:/, 'step:');
    runs.at(-1)?.set(kind, (runs.at(-1)!.get(kind) ?? 0) + t.ms);
  }
  if (!runs.length) return undefined;
  const kinds = [...new Set(runs.flatMap((r) => [...r.keys()]))];
  const medians = Object.fromEntries(kinds.map((k) => [k, round2(median(runs.map((r) => r.get(k) ?? 0)))]));
  const text = kinds.map((k) => `${k} ${Math.round(medians[k])}`).join(' · ');
  return { runs: runs.length, medians, text };
}

function printTable(): void {
  const fmt = (x: number | null | undefined, digits = 1) => (x === null || x === undefined ? '' : x.toFixed(digits));
  const table = [
    ['case', 'median ms', 'ratio', 'target', 'baseline', 'per device ms', 'per block µs', 'peak RSS MiB'],
    ...rows.map((r) => [
      r.case,
      fmt(r.median_ms),
      r.ratio === null ? '' : `${r.ratio.toFixed(2)}x`,
      r.target ? `${r.target} ${r.met ? 'met' : 'MISSED'}` : '',
      r.baseline ?? '',
      fmt(r.per_device_ms, 2),
      fmt(r.per_block_us, 2),
      fmt(r.peak_rss_mib),
    ]),
  ];
  const widths = table[0].map((_, i) => Math.max(...table.map((row) => row[i].length)));
  const left = (i: number) => i === 0 || i === 3 || i === 4;
  const line = (row: string[]) => `| ${row.map((c, i) => (left(i) ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(' | ')} |`;
  const out = [line(table[0]), `|${widths.map((w, i) => (left(i) ? '-'.repeat(w + 2) : '-'.repeat(w + 1) + ':')).join('|')}|`, ...table.slice(1).map(line)];
  process.stdout.write(out.join('\n') + '\n\n' + notes.map((n) => `- ${n}`).join('\n') + '\n');
}

main();
