// Property test: random hosts, damaged on purpose, and random policies, run
// through observe -> plan -> converge (lock, kernel settings, every device) on
// the simulated kernel, with busy blocks, kernels that refuse same-state
// writes, and a competing controller. Seeded and bounded in time: each run
// starts from a fresh seed (DAXPLAN_FUZZ_SEED=N replays one, printed with any
// failure) and stops after DAXPLAN_FUZZ_MS (default 3000) ms;
// DAXPLAN_FUZZ_REPORT=1 prints how many cases ran.
//
// Invariants, whatever the tree holds:
//   - nothing but a documented refusal escapes (no crash, no hang);
//   - kmem is never unbound from a device while one of its blocks is online,
//     nor before every one of its blocks was read since the last write;
//   - the simulated kernel leaks no memory;
//   - a device the damage made unreadable is never written;
//   - every outcome's reported final state is what the kernel holds, an
//     applied device is where the policy wants it, a rolled-back one is where
//     it was, and a device with no change planned is untouched;
//   - nothing printed says "undefined" or "NaN".
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Assertion } from 'uvu/assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { converge, type Converged } from '../src/apply/run.js';
import { observe } from '../src/host/observe.js';
import { plan } from '../src/plan/plan.js';
import { parsePolicy, type Policy } from '../src/policy/parse.js';
import { satisfies } from '../src/plan/transitions.js';
import { DaxplanError } from '../src/model/errors.js';
import { SysfsWriteError, type Sysfs } from '../src/host/sysfs.js';
import { planText, outcomesText } from '../src/render/text.js';
import { applyJson, planJson } from '../src/render/json.js';
import { NO_STYLE } from '../src/render/style.js';
import { reportOf } from '../src/report/report.js';
import type { DesiredState, ObservedState } from '../src/model/device.js';
import { SimulatedKernel, type Faults, type SimConfig } from './sim/kernel.js';
import { devicePath, MEMORY_DIR, MiB, writeHost, type BlockLetter, type DeviceSpec, type HostSpec } from './sim/tree.js';
import { tempDir } from './support/host.js';
import { random, type Random } from './support/random.js';

const BUDGET_MS = Number(process.env.DAXPLAN_FUZZ_MS ?? 3000);
const FIXED_SEED = process.env.DAXPLAN_FUZZ_SEED === undefined ? undefined : Number(process.env.DAXPLAN_FUZZ_SEED);
const BOOT_BLOCKS = 8;
const STATES: DesiredState[] = ['unplug', 'online', 'online_movable', 'devdax'];

/** A generated host: the spec, and where each device's blocks really are (by the spec, before any damage). */
interface Case {
  seed: number;
  spec: HostSpec;
  sim: SimConfig;
  blocks: Map<string, number[]>;
  /** Devices the damage made unreadable: daxplan must block them and write nothing for them. */
  damaged: Set<string>;
  /** What was damaged, for the failure message. */
  damage: string[];
  policy: string;
  /** Another agent at work during the run: flipping blocks of the device being written, or breaking one of its blocks' state files. */
  rival: 'none' | 'meddle' | 'break';
}

function generate(seed: number): Case {
  const rng = random(seed);
  const blockSize = rng.pick([128n * MiB, 256n * MiB, 2048n * MiB]);
  const count = rng.int(0, 4);
  const devices: DeviceSpec[] = [];
  const blocks = new Map<string, number[]>();
  let next = BOOT_BLOCKS + rng.int(0, 3);
  for (let i = 0; i < count; i++) {
    const n = rng.int(1, 4);
    const name = `dax${i}.${rng.int(0, 1)}`;
    const letters = Array.from({ length: n }, () => rng.pick(['N', 'M', 'o'] as BlockLetter[])).join('');
    const state = rng.pick(['devdax', 'unbound', 'unplug', 'offline', 'online', 'online_movable', letters]);
    const source = rng.pick(['nvdimm', 'cxl', 'hmem'] as const);
    const uuid = source !== 'hmem' && rng.chance(0.5) ? `0b8f4e2a-1c3d-4e5f-9a8b-7c6d5e4f3a${String(10 + i)}` : undefined;
    devices.push({ name, node: rng.int(1, 3), blocks: n, state, source, uuid, firstBlock: next });
    blocks.set(name, Array.from({ length: n }, (_, k) => next + k));
    next += n + rng.int(0, 2);
  }
  const stateFile = rng.chance(0.4);
  const spec: HostSpec = { blockSize, autoOnline: rng.pick(['offline', 'online', 'online_kernel', 'online_movable']), stateFile, bootBlocks: BOOT_BLOCKS, devices };
  const all = devices.flatMap((d) => blocks.get(d.name)!);
  const sim: SimConfig = { stateFile, busyBlocks: all.filter(() => rng.chance(0.15)), rejectSameState: rng.chance(0.3) };
  return { seed, spec, sim, blocks, damaged: new Set(), damage: [], policy: randomPolicy(rng), rival: rng.pick(['none', 'none', 'none', 'meddle', 'break']) };
}

function randomPolicy(rng: Random): string {
  const matches = ['{ device: "dax*" }', '{ device: "dax0.0" }', '{ device: "dax[12].*" }', '{ numa_node: 1 }', '{ numa_node: [2, 3] }', '{ tier: 22 }', '{ tier: [4, 22], numa_node: 2 }'];
  const rules = Array.from({ length: rng.int(0, 3) }, (_, i) => `  - name: r${i}\n    match: ${rng.pick(matches)}\n    state: ${rng.pick(STATES)}\n`);
  const lines = ['version: 1'];
  if (rng.chance(0.4)) lines.push(`defaults: { state: ${rng.pick(['unmanaged', ...STATES])} }`);
  if (rng.chance(0.3)) lines.push(`kernel: { auto_online_blocks: ${rng.pick(['offline', 'online', 'online_movable'])} }`);
  if (rng.chance(0.3)) lines.push('tiers:\n  22: [1, 2, 3]');
  lines.push(rules.length ? `rules:\n${rules.join('')}` : 'rules: []');
  return lines.join('\n') + '\n';
}

/** Damage the tree as a broken kernel, a hostile user or a half-written fixture would. */
function damage(rng: Random, root: string, c: Case): void {
  const names = c.spec.devices.map((d) => d.name);
  const dev = (name: string) => path.join(root, devicePath(c.spec.devices.find((d) => d.name === name)!));
  // Replaces whatever is there (an earlier damage may have left a FIFO or a loop).
  const put = (file: string, content: string) => {
    fs.rmSync(file, { force: true });
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, content);
  };
  const fifo = (file: string) => {
    fs.rmSync(file, { force: true });
    fs.mkdirSync(path.dirname(file), { recursive: true });
    spawnSync('mkfifo', [file]);
  };
  const loop = (file: string) => {
    fs.rmSync(file, { force: true });
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.symlinkSync(path.basename(file), file);
  };
  const kinds = [
    'block-size',
    'size',
    'target-node',
    'inverted',
    'beyond-64-bits',
    'start-garbage',
    'no-mapping',
    'fifo-attribute',
    'loop-attribute',
    'oversized',
    'block-state',
    'zones-fifo',
    'bus-loop',
    'bad-name',
    'tiers',
    'auto-online',
    'state-word',
  ];
  for (let n = rng.int(1, 2); n > 0; n--) {
    const kind = rng.pick(kinds);
    const name = names.length ? rng.pick(names) : undefined;
    const hurt = (what: string) => {
      c.damage.push(`${kind}${name ? ` ${name}` : ''}: ${what}`);
      if (name) c.damaged.add(name);
    };
    switch (kind) {
      case 'block-size': {
        const value = rng.pick(['', 'zebra', '0', '3', '8000001', '1000', 'ffffffffffffffffff', '400000000000']);
        put(path.join(root, MEMORY_DIR, 'block_size_bytes'), value + '\n');
        c.damage.push(`block_size_bytes = "${value}"`);
        for (const d of names) c.damaged.add(d);
        continue;
      }
      case 'bad-name':
        loop(path.join(root, 'bus/dax/devices', rng.pick(['dax0.0x', 'dax 1.0', 'dax99', '-dax1.0'])));
        c.damage.push('a bad name under bus/dax/devices');
        continue;
      case 'auto-online': {
        const value = rng.pick(['', 'sometimes', 'online\nonline']);
        put(path.join(root, MEMORY_DIR, 'auto_online_blocks'), value + '\n');
        c.damage.push(`auto_online_blocks = ${JSON.stringify(value)}`);
        continue;
      }
      case 'tiers':
        put(path.join(root, 'devices/virtual/memory_tiering/memory_tier4/nodelist'), 'garbage\n');
        c.damage.push('memory_tier4/nodelist = garbage');
        continue;
    }
    if (!name) continue;
    const blocksOf = c.blocks.get(name)!;
    switch (kind) {
      case 'size':
        // With its mappings gone the size is what places the device.
        fs.rmSync(path.join(dev(name), 'mapping0'), { recursive: true, force: true });
        put(path.join(dev(name), 'size'), rng.pick(['', '-1', '12abc', '99999999999999999999999']) + '\n');
        hurt('size unparsable, no mapping');
        break;
      case 'target-node':
        put(path.join(dev(name), 'target_node'), rng.pick(['', 'x', '1.5', '99999999999']) + '\n');
        hurt('target_node unparsable');
        break;
      case 'inverted': {
        const start = plainRead(path.join(dev(name), 'mapping0/start'));
        if (!start || !/^0x[0-9a-f]+$/.test(start)) continue;
        put(path.join(dev(name), 'mapping0/end'), `0x${(BigInt(start) - 1n).toString(16)}\n`);
        hurt('mapping0 inverted');
        break;
      }
      case 'beyond-64-bits':
        put(path.join(dev(name), 'mapping0/end'), rng.pick(['0xffffffffffffffffff', '0xffffffffffffffff']) + '\n');
        hurt('mapping0 end huge');
        break;
      case 'start-garbage':
        put(path.join(dev(name), 'mapping0/start'), rng.pick(['0xZZ', '', '1000']) + '\n');
        hurt('mapping0 start unparsable');
        break;
      case 'no-mapping':
        fs.rmSync(path.join(dev(name), 'mapping0'), { recursive: true, force: true });
        put(path.join(dev(name), 'resource'), 'nonsense\n');
        hurt('no mapping, resource unparsable');
        break;
      case 'fifo-attribute':
        fifo(path.join(dev(name), rng.pick(['size', 'target_node', 'mapping0/start', 'mapping0/end'])));
        hurt('an attribute is a FIFO');
        break;
      case 'loop-attribute':
        loop(path.join(dev(name), rng.pick(['size', 'target_node', 'mapping0/end'])));
        hurt('an attribute is a symlink loop');
        break;
      case 'oversized':
        put(path.join(dev(name), rng.pick(['size', 'target_node'])), '1'.repeat(5000));
        hurt('an attribute larger than a page');
        break;
      case 'block-state': {
        const present = blocksOf.filter((i) => fs.existsSync(path.join(root, MEMORY_DIR, `memory${i}`)));
        if (!present.length) continue;
        put(path.join(root, MEMORY_DIR, `memory${rng.pick(present)}`, 'state'), rng.pick(['bogus', '', 'online\nonline']) + '\n');
        hurt('a block state unknown');
        break;
      }
      case 'zones-fifo': {
        const online = blocksOf.filter((i) => plainRead(path.join(root, MEMORY_DIR, `memory${i}/state`)) === 'online');
        if (!online.length) continue;
        fifo(path.join(root, MEMORY_DIR, `memory${rng.pick(online)}`, 'valid_zones'));
        hurt("an online block's valid_zones is a FIFO");
        break;
      }
      case 'state-word':
        if (!fs.existsSync(path.join(dev(name), 'state'))) continue;
        put(path.join(dev(name), 'state'), rng.pick(['', 'ONLINE', 'half-plugged']) + '\n');
        hurt('its state file reads a word the kernel never writes');
        break;
      case 'bus-loop':
        loop(path.join(root, 'bus/dax/devices', name));
        hurt('its bus entry is a symlink loop');
        break;
    }
  }
}

/** A regular file's text, or undefined for anything else (never opens a FIFO). */
function plainRead(file: string): string | undefined {
  const stat = fs.lstatSync(file, { throwIfNoEntry: false });
  return stat?.isFile() ? fs.readFileSync(file, 'utf8').trim() : undefined;
}

/** What the simulated kernel holds for a device, read straight from the tree by the spec's own layout. */
function truth(root: string, c: Case, name: string): { driver: string; letters: string; state: ObservedState | undefined } {
  const spec = c.spec.devices.find((d) => d.name === name)!;
  let driver = 'none';
  try {
    driver = path.basename(fs.readlinkSync(path.join(root, devicePath(spec), 'driver')));
  } catch {
    // no driver
  }
  const letters = c.blocks
    .get(name)!
    .map((i) => {
      const dir = path.join(root, MEMORY_DIR, `memory${i}`);
      if (!fs.existsSync(dir)) return '-';
      const state = plainRead(path.join(dir, 'state'));
      if (state === 'offline') return 'o';
      if (state !== 'online') return '?';
      const zones = plainRead(path.join(dir, 'valid_zones'));
      return zones === 'Normal' ? 'N' : zones === 'Movable' ? 'M' : '?';
    })
    .join('');
  return { driver, letters, state: stateOf(driver, letters) };
}

function stateOf(driver: string, letters: string): ObservedState | undefined {
  if (driver === 'device_dax') return 'devdax';
  if (driver === 'none') return 'unbound';
  if (driver !== 'kmem' || letters.includes('?')) return undefined;
  const present = letters.replace(/-/g, '');
  if (!present) return 'unplug';
  if (/^N+$/.test(present)) return 'online';
  if (/^M+$/.test(present)) return 'online_movable';
  if (/^o+$/.test(present)) return 'offline';
  return 'mixed';
}

/**
 * The simulated kernel behind a door that checks every write before the
 * kernel sees it: kmem unbinds against blocks online or unread, and any write
 * for a device the damage made unreadable (refused with EIO, so that the
 * simulator never works on a tree it cannot read either).
 */
class Watched implements Sysfs {
  readonly violations: string[] = [];
  private readSinceWrite = new Set<string>();

  constructor(
    readonly kernel: SimulatedKernel,
    private readonly c: Case,
  ) {}

  get root() {
    return this.kernel.root;
  }
  read(rel: string) {
    this.readSinceWrite.add(rel);
    return this.kernel.read(rel);
  }
  link(rel: string) {
    return this.kernel.link(rel);
  }
  list(rel: string) {
    return this.kernel.list(rel);
  }
  exists(rel: string) {
    return this.kernel.exists(rel);
  }

  write(rel: string, value: string): void {
    const device = this.deviceOf(rel, value);
    if (device && this.c.damaged.has(device)) {
      this.violations.push(`wrote "${value}" to ${rel} for ${device}, which could not be read`);
      throw new SysfsWriteError(rel, value, 'EIO');
    }
    if (rel === 'bus/dax/drivers/kmem/unbind') {
      for (const i of this.c.blocks.get(value) ?? []) {
        const state = `${MEMORY_DIR}/memory${i}/state`;
        if (!this.kernel.exists(state)) continue;
        if (plainRead(path.join(this.root, state)) === 'online') this.violations.push(`unbound ${value} from kmem while memory${i} was online`);
        if (!this.readSinceWrite.has(state)) this.violations.push(`unbound ${value} from kmem without reading memory${i} since the last write`);
      }
    }
    this.readSinceWrite = new Set();
    this.kernel.write(rel, value);
  }

  /** The device a write is for: a driver file's device, a device's own file, or a block's owner. */
  deviceOf(rel: string, value: string): string | undefined {
    if (/^bus\/dax\/drivers\/[^/]+\/(bind|unbind|new_id|remove_id)$/.test(rel)) return value;
    const block = /^devices\/system\/memory\/memory(\d+)\/state$/.exec(rel);
    if (block) return [...this.c.blocks].find(([, indices]) => indices.includes(Number(block[1])))?.[0];
    return this.c.spec.devices.find((d) => rel.startsWith(devicePath(d) + '/') || rel.startsWith(`bus/dax/devices/${d.name}/`))?.name;
  }
}

async function check(c: Case, root: string, lockFile: string): Promise<void> {
  const fail = (what: string): never =>
    assert.unreachable(`${what}\n  replay: DAXPLAN_FUZZ_SEED=${c.seed}\n  damage: ${c.damage.join('; ') || 'none'}\n  host: ${JSON.stringify(c.spec, (_, v) => (typeof v === 'bigint' ? v.toString() : v))}\n  sim: ${JSON.stringify(c.sim)}\n  policy:\n${c.policy}`) as never;
  const parsed = parsePolicy(c.policy, 'fuzz.yaml');
  if (!parsed.ok) return fail(`the generated policy is invalid: ${JSON.stringify(parsed.errors)}`);
  const policy: Policy = parsed.policy;
  // Devices the rival touched: where "as before" cannot be judged.
  const meddled = new Set<string>();
  const faults: Faults = {};
  const kernel = new SimulatedKernel(root, c.sim, faults);
  const door = new Watched(kernel, c);
  let writes = 0;
  // After every third write for a device, the rival (if any) acts on that device.
  faults.afterWrite = (k, file, value) => {
    const owner = door.deviceOf(file, value);
    if (c.rival === 'none' || !owner || c.damaged.has(owner) || writes++ % 3 !== 0) return;
    const present = c.blocks.get(owner)!.filter((i) => k.exists(`${MEMORY_DIR}/memory${i}/state`));
    if (!present.length) return;
    meddled.add(owner);
    const block = present[writes % present.length];
    if (c.rival === 'meddle') return k.meddle(block, (['N', 'M', 'o'] as BlockLetter[])[writes % 3]);
    fs.writeFileSync(path.join(root, MEMORY_DIR, `memory${block}`, 'state'), 'bogus\n');
    c.damage.push(`during the run: memory${block}/state of ${owner} became unreadable`);
  };
  const before = new Map(c.spec.devices.map((d) => [d.name, truth(root, c, d.name)]));

  let done: Converged;
  try {
    const observed = observe(door);
    const planned = plan(policy, observed);
    const text = planText(reportOf(planned), NO_STYLE) + JSON.stringify(planJson(reportOf(planned)));
    if (/undefined|NaN/.test(text)) fail(`the plan says undefined or NaN:\n${text}`);
    for (const name of c.damaged) {
      const entry = planned.entries.find((e) => e.device.name === name);
      if (entry && entry.kind !== 'blocked' && entry.kind !== 'unmanaged') fail(`${name} could not be read, yet is planned "${entry.kind}": ${describe(entry.device)}`);
    }
    done = await converge({ sysfs: door, target: { policy }, lock: { file: lockFile, timeoutSeconds: 5, trigger: 'manual' } });
  } catch (err) {
    if (err instanceof Assertion) throw err;
    if (err instanceof DaxplanError && /refusing to apply \(safety/.test(err.message)) return;
    return fail(`an exception escaped: ${(err as Error).stack ?? String(err)}`);
  }
  const printed = outcomesText(done.report.plan, done.outcomes, NO_STYLE, done.settings) + JSON.stringify(applyJson(done.report, done.outcomes, done.settings));
  if (/undefined|NaN/.test(printed)) fail(`apply says undefined or NaN:\n${printed}`);
  if (door.violations.length) fail(door.violations.join('\n'));
  if (kernel.leaked.length) fail(`memory leaked: blocks ${kernel.leaked.join(', ')} were online when kmem was unbound`);

  const touched = new Set(done.outcomes.filter((o) => o.result !== 'skipped' || o.stepsDone > 0).map((o) => o.device));
  for (const o of done.outcomes) {
    const now = truth(root, c, o.device);
    if (now.state === undefined) continue;
    if (!o.final) fail(`${o.device}: no final state reported, the kernel holds ${now.state}`);
    if (o.final!.state !== now.state) fail(`${o.device}: reported ${o.final!.state}, the kernel holds ${now.state} (${now.driver} ${now.letters})`);
    if (o.result === 'applied' && !satisfies(now.state, o.to)) fail(`${o.device}: applied, yet ${now.state} does not satisfy ${o.to}`);
    const was = before.get(o.device)!;
    if (o.result === 'failed' && o.restored && !meddled.has(o.device) && (now.driver !== was.driver || now.letters !== was.letters))
      fail(`${o.device}: "rolled back as before", yet it was ${was.driver} ${was.letters} and is ${now.driver} ${now.letters}`);
  }
  for (const [name, was] of before) {
    if (touched.has(name)) continue;
    const now = truth(root, c, name);
    if (now.driver !== was.driver || now.letters !== was.letters) fail(`${name}: no change was made to it, yet it was ${was.driver} ${was.letters} and is ${now.driver} ${now.letters}`);
  }
}

function describe(device: { state: string; problems: string[] }): string {
  return `${device.state}${device.problems.length ? ` (${device.problems.join('; ')})` : ''}`;
}

const fuzz = suite('fuzz: damaged hosts and random policies through observe, plan and apply');

fuzz('no crash, no unbind of kmem with blocks online or unread, no leak, and every reported state is the kernel’s', async () => {
  const base = FIXED_SEED ?? Math.floor(Math.random() * 2 ** 31);
  const lockFile = path.join(tempDir(), 'lock');
  const started = performance.now();
  let cases = 0;
  for (let seed = base; performance.now() - started < BUDGET_MS || cases === 0; seed++) {
    const c = generate(seed);
    const root = path.join(tempDir(), 'sys');
    writeHost(root, c.spec);
    damage(random(seed ^ 0x5eed), root, c);
    await check(c, root, lockFile);
    fs.rmSync(path.dirname(root), { recursive: true, force: true });
    cases++;
    if (FIXED_SEED !== undefined) break;
  }
  assert.ok(cases > 0);
  if (process.env.DAXPLAN_FUZZ_REPORT) console.log(`fuzz: ${cases} cases from seed ${base}`);
});

fuzz.run();
