// A simulated kernel: a sysfs tree in a directory whose writes have the
// kernel's effects (driver binding, memory blocks, the whole-device `state`
// file of Linux 7.3 with its measured quirks), with fault injection. Reads go
// straight to the tree. A test double with its own arithmetic: it works out
// which blocks a device owns without daxplan's observe code.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DAX_DEVICES, DEVICE_NAME, DirSysfs, isRealSysfs, normalise, resolveLink, SysfsWriteError, type Sysfs } from '../../src/host/sysfs.js';
import type { AutoOnline, StateWord } from '../../src/model/device.js';
import { UsageError } from '../../src/model/errors.js';
import { formatNodeList, parseNodeList } from '../../src/model/nodelist.js';
import { DEFAULT_BLOCK_SIZE, MEMORY_DIR, removeBlock, setDriver, writeBlock, writeFile, type BlockLetter } from './tree.js';

export interface Faults {
  /** Blocks whose offline write fails with EBUSY (unmovable pages). */
  busyBlocks?: number[];
  /** Writing a block's current state fails with EINVAL, as some kernels do. */
  rejectSameState?: boolean;
  /** Called before every write: the instant between a check and the write it guards. */
  beforeWrite?: (kernel: SimulatedKernel, file: string, value: string) => void;
  /** Called after every successful write: a competing controller's moment. */
  afterWrite?: (kernel: SimulatedKernel, file: string, value: string) => void;
  /** The process is killed (SIGKILL) before its Nth write (1-based): a crash between steps. */
  crashBeforeWrite?: number;
}

/** What a simulated kernel is; stored as `.daxplan-sim.json` in the tree root. */
export interface SimConfig {
  /** A kernel with the whole-device `state` file (Linux 7.3+); without it, per-block only (6.1, 6.12). */
  stateFile?: boolean;
  busyBlocks?: number[];
  rejectSameState?: boolean;
  crashBeforeWrite?: number;
}

export const SIM_CONFIG = '.daxplan-sim.json';

/** The door tests give the CLI: a tree with a simulator config is a simulated kernel, any other a plain tree. */
export function openSimulatedOrDir(root: string): Sysfs {
  return fs.existsSync(path.join(root, SIM_CONFIG)) ? SimulatedKernel.fromTree(root) : new DirSysfs(root);
}

/**
 * The door of dist/daxplan-sim.mjs: only a tree marked as a simulated kernel.
 * Any other tree (or the real /sys) is refused: written as plain files, it
 * would be neither a kernel nor left as it was.
 */
export function openMarkedSimulator(root: string): Sysfs {
  if (isRealSysfs(root)) throw new UsageError(`the simulator never runs on a real sysfs (${root}): give --sysfs-root TREE, a tree holding ${SIM_CONFIG}`);
  // A root that is not there is the CLI's to report (exit 66, no such host).
  if (!fs.existsSync(root)) return new DirSysfs(root);
  if (!fs.existsSync(path.join(root, SIM_CONFIG)))
    throw new UsageError(
      `${root} is not a simulated kernel: it has no ${SIM_CONFIG}; to make it one: echo '{}' > ${path.join(root, SIM_CONFIG)} (README, "Trying apply without root")`,
    );
  return SimulatedKernel.fromTree(root);
}
const TIERS = 'devices/virtual/memory_tiering';
const DEFAULT_DAX_TIER = 22;

const ZONE_WORDS: Record<string, BlockLetter> = { online_kernel: 'N', online_movable: 'M' };

export class SimulatedKernel implements Sysfs {
  readonly root: string;
  private readonly tree: DirSysfs;
  private writes = 0;
  /** Attribute reads so far, for tests that count what a poll costs. */
  reads = 0;
  /** Every write attempted, in order, with the error it got: the audit trail tests assert on. */
  readonly log: { file: string; value: string; error?: string }[] = [];
  /** Device names given to kmem's new_id (the bus matches kmem by name). */
  private readonly kmemIds = new Set<string>();
  /** Memory kmem could not remove because blocks were online at unbind. */
  readonly leaked: number[] = [];

  /** The config's faults, with those given beside it. */
  readonly faults: Faults;

  constructor(
    root: string,
    readonly config: SimConfig = {},
    faults: Faults = {},
  ) {
    this.root = root;
    this.tree = new DirSysfs(root);
    const { busyBlocks, rejectSameState, crashBeforeWrite } = config;
    this.faults = { busyBlocks, rejectSameState, crashBeforeWrite, ...faults };
  }

  /** A simulator for a tree, configured by the tree's own .daxplan-sim.json. */
  static fromTree(root: string, faults: Faults = {}): SimulatedKernel {
    if (isRealSysfs(root)) throw new Error(`the simulated kernel never runs on the real sysfs (${root})`);
    const file = path.join(root, SIM_CONFIG);
    const config = fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as SimConfig) : {};
    return new SimulatedKernel(root, config, faults);
  }

  read(rel: string) {
    this.reads++;
    return this.tree.read(rel);
  }
  link(rel: string) {
    return this.tree.link(rel);
  }
  list(rel: string) {
    return this.tree.list(rel);
  }
  exists(rel: string) {
    return this.tree.exists(rel);
  }

  write(rel: string, value: string): void {
    const file = normalise(rel);
    this.writes++;
    this.faults.beforeWrite?.(this, file, value);
    if (this.faults.crashBeforeWrite === this.writes) process.kill(process.pid, 'SIGKILL');
    const fail = (code: string): never => {
      this.log.push({ file, value, error: code });
      throw new SysfsWriteError(file, value, code);
    };
    if (!this.tree.exists(file)) fail('ENOENT');
    let m: RegExpExecArray | null;
    if ((m = /^bus\/dax\/drivers\/(kmem|device_dax)\/(bind|unbind|new_id|remove_id)$/.exec(file))) {
      this.driverWrite(m[1] as 'kmem' | 'device_dax', m[2], value, fail);
    } else if ((m = /^devices\/system\/memory\/memory(\d+)\/state$/.exec(file))) {
      this.blockWrite(Number(m[1]), value, fail);
    } else if (file === `${MEMORY_DIR}/auto_online_blocks`) {
      if (!['offline', 'online', 'online_kernel', 'online_movable'].includes(value)) fail('EINVAL');
      writeFile(this.root, file, value);
    } else if ((m = /^(.*)\/state$/.exec(file)) && this.config.stateFile) {
      this.stateWrite(m[1], value, fail);
    } else {
      fail('EACCES');
    }
    this.syncTiers();
    this.log.push({ file, value });
    this.faults.afterWrite?.(this, file, value);
  }

  // --- drivers ---

  private driverWrite(driver: 'kmem' | 'device_dax', op: string, name: string, fail: (code: string) => never): void {
    if (!DEVICE_NAME.test(name) || !this.tree.exists(`${DAX_DEVICES}/${name}`)) fail('ENODEV');
    const bound = this.driverOf(name);
    switch (op) {
      case 'new_id':
      case 'remove_id':
        if (driver === 'kmem') op === 'new_id' ? this.kmemIds.add(name) : this.kmemIds.delete(name);
        // Naming a device probes it at once when it has no driver (seen on 6.12).
        if (op === 'new_id' && bound === undefined) this.bind(driver, name);
        return;
      case 'bind':
        if (bound !== undefined) fail('EBUSY');
        if (driver === 'kmem' && !this.kmemIds.has(name)) fail('ENODEV');
        this.bind(driver, name);
        return;
      case 'unbind':
        if (bound !== driver) fail('ENODEV');
        this.unbind(driver, name);
        return;
    }
  }

  driverOf(name: string): 'kmem' | 'device_dax' | undefined {
    const target = this.tree.link(`${this.deviceDir(name)}/driver`);
    return target ? (path.posix.basename(target) as 'kmem' | 'device_dax') : undefined;
  }

  private bind(driver: 'kmem' | 'device_dax', name: string): void {
    setDriver(this.root, name, this.deviceDir(name), driver);
    if (driver !== 'kmem') return;
    const auto = (this.tree.read(`${MEMORY_DIR}/auto_online_blocks`) ?? 'offline') as AutoOnline;
    const letter: BlockLetter = auto === 'offline' ? 'o' : auto === 'online_movable' ? 'M' : 'N';
    for (const index of this.blockIndices(name)) this.setBlock(index, letter, this.node(name));
    // The state file appears with the binding and reads the default the memory was added with.
    if (this.config.stateFile) this.setWord(name, auto);
  }

  private unbind(driver: 'kmem' | 'device_dax', name: string): void {
    if (driver === 'kmem') {
      for (const index of this.blockIndices(name)) {
        const state = this.tree.read(`${MEMORY_DIR}/memory${index}/state`);
        if (state === undefined) continue;
        // The kernel cannot remove online memory: it stays until reboot.
        if (state === 'online') this.leaked.push(index);
        else this.dropBlock(index);
      }
      fs.rmSync(path.join(this.root, this.deviceDir(name), 'state'), { force: true });
    }
    setDriver(this.root, name, this.deviceDir(name), undefined);
  }

  // --- memory blocks ---

  private blockWrite(index: number, value: string, fail: (code: string) => never): void {
    const dir = `${MEMORY_DIR}/memory${index}`;
    const current = this.tree.read(`${dir}/state`);
    const node = this.blockNode(index);
    if (value === 'offline') {
      if (current === 'offline') return this.faults.rejectSameState ? fail('EINVAL') : undefined;
      if (this.faults.busyBlocks?.includes(index)) fail('EBUSY');
      this.setBlock(index, 'o', node);
    } else if (value === 'online' || value in ZONE_WORDS) {
      if (current === 'online') return this.faults.rejectSameState ? fail('EINVAL') : undefined;
      this.setBlock(index, value === 'online' ? 'N' : ZONE_WORDS[value], node);
    } else {
      fail('EINVAL');
    }
    // The state file is not told: per-block writes leave it stale (measured on 7.3).
  }

  // --- the state file (Linux 7.3, as measured on Debian's 7.3.4) ---

  private stateWrite(dir: string, value: string, fail: (code: string) => never): void {
    const name = path.posix.basename(dir);
    if (this.driverOf(name) !== 'kmem') fail('ENOENT');
    if (!['unplugged', 'online', 'online_kernel', 'online_movable'].includes(value)) fail('EINVAL');
    const word = this.tree.read(`${this.deviceDir(name)}/state`) as StateWord;
    if (word === value) return;
    const indices = this.blockIndices(name);
    const present = indices.filter((i) => this.tree.exists(`${MEMORY_DIR}/memory${i}`));
    if (value === 'unplugged') {
      // All or nothing: a busy block keeps every block where it was, and the device online.
      const online = present.filter((i) => this.tree.read(`${MEMORY_DIR}/memory${i}/state`) === 'online');
      if (online.some((i) => this.faults.busyBlocks?.includes(i))) fail('EBUSY');
      for (const i of present) this.dropBlock(i);
    } else {
      // Every change between online types, and from offline, goes through unplugged.
      if (word !== 'unplugged') fail('EBUSY');
      const letter: BlockLetter = value === 'online_movable' ? 'M' : 'N';
      for (const i of indices) this.setBlock(i, letter, this.node(name));
    }
    this.setWord(name, value as StateWord);
  }

  private setWord(name: string, word: StateWord): void {
    writeFile(this.root, `${this.deviceDir(name)}/state`, word);
  }

  /**
   * Online blocks (index -> node): read from the tree once, then kept by every
   * block change this simulator makes, so that a write does not rescan every
   * block (16 devices x 64 blocks: 10 ms a write). The tree is this
   * simulator's to change while it runs (meddle() is how tests change it).
   */
  private onlineBlocks: Map<number, number> | undefined;

  private online(): Map<number, number> {
    if (this.onlineBlocks) return this.onlineBlocks;
    this.onlineBlocks = new Map();
    for (const entry of this.tree.list(MEMORY_DIR)) {
      if (!/^memory\d+$/.test(entry) || this.tree.read(`${MEMORY_DIR}/${entry}/state`) !== 'online') continue;
      const index = Number(entry.slice(6));
      this.onlineBlocks.set(index, this.blockNode(index));
    }
    return this.onlineBlocks;
  }

  private setBlock(index: number, letter: BlockLetter, node: number): void {
    writeBlock(this.root, index, letter, node);
    if (!this.onlineBlocks) return;
    if (letter === 'o') this.onlineBlocks.delete(index);
    else this.onlineBlocks.set(index, node);
  }

  private dropBlock(index: number): void {
    removeBlock(this.root, index);
    this.onlineBlocks?.delete(index);
  }

  /**
   * A node is listed in a memory tier only while it has online memory; a dax
   * node with no performance data joins the default dax tier.
   */
  private syncTiers(): void {
    const online = new Set(this.online().values());
    const tiers = new Map<number, number[]>();
    for (const entry of this.tree.list(TIERS)) {
      const m = /^memory_tier(\d+)$/.exec(entry);
      if (m) tiers.set(Number(m[1]), (parseNodeList(this.tree.read(`${TIERS}/${entry}/nodelist`) ?? '') ?? []).filter((n) => online.has(n)));
    }
    for (const node of online) {
      if (![...tiers.values()].some((nodes) => nodes.includes(node))) tiers.set(DEFAULT_DAX_TIER, [...(tiers.get(DEFAULT_DAX_TIER) ?? []), node]);
    }
    for (const [tier, nodes] of tiers) {
      const file = `${TIERS}/memory_tier${tier}/nodelist`;
      const list = formatNodeList(nodes);
      if (this.tree.read(file) !== list) writeFile(this.root, file, list);
    }
  }

  // --- helpers over the tree ---

  blockLetter(index: number): BlockLetter | undefined {
    const state = this.tree.read(`${MEMORY_DIR}/memory${index}/state`);
    if (state === undefined) return undefined;
    if (state !== 'online') return 'o';
    return this.tree.read(`${MEMORY_DIR}/memory${index}/valid_zones`) === 'Movable' ? 'M' : 'N';
  }

  /** Sets a block behind daxplan's back, as a competing controller would (the state file is left stale, as the kernel leaves it). */
  meddle(index: number, letter: BlockLetter): void {
    this.setBlock(index, letter, this.blockNode(index));
  }

  deviceDir(name: string): string {
    return resolveLink(this.tree, `${DAX_DEVICES}/${name}`) ?? `${DAX_DEVICES}/${name}`;
  }

  private node(name: string): number {
    return Number(this.tree.read(`${this.deviceDir(name)}/target_node`) ?? 0);
  }

  private blockNode(index: number): number {
    const entry = this.tree.list(`${MEMORY_DIR}/memory${index}`).find((e) => /^node\d+$/.test(e));
    return entry ? Number(entry.slice(4)) : 0;
  }

  /** The blocks wholly inside the device's ranges (mappingN, else resource and size), by this simulator's own reading. */
  blockIndices(name: string): number[] {
    const text = this.tree.read(`${MEMORY_DIR}/block_size_bytes`);
    const blockSize = text && /^[0-9a-f]+$/i.test(text) ? BigInt(`0x${text}`) : DEFAULT_BLOCK_SIZE;
    const dir = this.deviceDir(name);
    const ranges: [bigint, bigint][] = this.tree
      .list(dir)
      .filter((e) => /^mapping\d+$/.test(e))
      .map((m) => [BigInt(this.tree.read(`${dir}/${m}/start`) ?? '0'), BigInt(this.tree.read(`${dir}/${m}/end`) ?? '0')]);
    if (ranges.length === 0) {
      const start = BigInt(this.tree.read(`${dir}/resource`) ?? '0');
      ranges.push([start, start + BigInt(this.tree.read(`${dir}/size`) ?? '0') - 1n]);
    }
    const out: number[] = [];
    for (const [start, end] of ranges) for (let i = (start + blockSize - 1n) / blockSize; i < (end + 1n) / blockSize; i++) out.push(Number(i));
    return out;
  }
}
