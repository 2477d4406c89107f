// Executes one plan step against sysfs. The only module (with the simulated
// kernel behind the same interface) that writes.
import type * as ChildProcess from 'node:child_process';
import { SysfsWriteError, type Sysfs } from '../host/sysfs.js';
import { DAX_DEVICES, MEMORY } from '../host/sysfs.js';
import { ZONE_NAMES, type Driver, type ObservedDevice, type Zone } from '../model/device.js';
import type { Step } from '../plan/plan.js';
import { builtin } from '../lazy.js';

const childProcess = builtin<typeof ChildProcess>('node:child_process');

export class StepError extends Error {
  constructor(
    message: string,
    /** Blocks this step changed and could not put back, if any. */
    readonly unrestored: number[] = [],
  ) {
    super(message);
  }
}

type HotplugMeaning = 'unplug' | 'online' | 'online_movable';

// The words each ABI generation uses for a meaning, v4 first for ZONE_NORMAL
// (where v4's plain `online` means "the kernel's default zone").
const HOTPLUG_WORDS: Record<HotplugMeaning, string[]> = {
  unplug: ['unplugged', 'unplug'],
  online: ['online_kernel', 'online'],
  online_movable: ['online_movable'],
};

const ZONE_WRITE: Record<Zone, string> = { normal: 'online_kernel', movable: 'online_movable' };

export class StepRunner {
  /** The hotplug word that worked for each meaning during this run. */
  private readonly learned = new Map<HotplugMeaning, string>();

  constructor(private readonly sysfs: Sysfs) {}

  run(step: Step, device: ObservedDevice): void {
    switch (step.op) {
      case 'bind':
        return this.bind(device.name, step.driver);
      case 'unbind':
        return this.unbind(device, step.driver);
      case 'hotplug':
        return this.hotplug(device.name, step.value);
      case 'offline_blocks':
        return this.offlineBlocks(device);
      case 'online_blocks':
        return this.onlineBlocks(device, step.zone);
    }
  }

  private driverOf(name: string): string | undefined {
    return this.sysfs.link(`${DAX_DEVICES}/${name}/driver`)?.split('/').pop();
  }

  private bind(name: string, driver: Driver): void {
    const dir = `bus/dax/drivers/${driver}`;
    if (!this.sysfs.exists(dir)) this.loadModule(driver);
    // The dax bus matches by name: new_id names the device (and probes it at
    // once on 6.12, after which bind fails). Judge by where the link points.
    const errors: string[] = [];
    for (const op of ['new_id', 'bind']) {
      if (this.driverOf(name) === driver) return;
      try {
        this.sysfs.write(`${dir}/${op}`, name);
      } catch (err) {
        errors.push(`${op}: ${(err as SysfsWriteError).code ?? (err as Error).message}`);
      }
    }
    if (this.driverOf(name) !== driver) throw new StepError(`binding ${name} to ${driver} failed (${errors.join(', ') || 'driver link unchanged'})`);
  }

  private loadModule(driver: Driver): void {
    const module = driver === 'kmem' ? 'kmem' : 'device_dax';
    if (this.sysfs.root !== '/sys') throw new StepError(`driver ${driver} is not loaded in ${this.sysfs.root}`);
    const result = childProcess().spawnSync('modprobe', [module], { encoding: 'utf8' });
    if (result.status !== 0) throw new StepError(`modprobe ${module} failed: ${(result.stderr || result.error?.message || '').trim()}`);
  }

  private unbind(device: ObservedDevice, driver: Driver): void {
    if (driver === 'kmem') {
      // Unbinding kmem with online blocks leaks the memory until reboot.
      const online = device.blocks.filter((b) => b.state === 'online').map((b) => b.index);
      if (online.length) throw new StepError(`refusing to unbind ${device.name} from kmem: block(s) ${online.join(', ')} are online`);
    }
    if (this.driverOf(device.name) !== driver) return;
    this.sysfs.write(`bus/dax/drivers/${driver}/unbind`, device.name);
  }

  private hotplug(name: string, meaning: HotplugMeaning): void {
    const file = `${DAX_DEVICES}/${name}/hotplug`;
    if (!this.sysfs.exists(file)) throw new StepError(`${file} is missing (device not bound to kmem, or the kernel has no hotplug attribute)`);
    const learned = this.learned.get(meaning);
    const words = learned ? [learned] : HOTPLUG_WORDS[meaning];
    const tried: string[] = [];
    for (const word of words) {
      try {
        this.sysfs.write(file, word);
        this.learned.set(meaning, word);
        return;
      } catch (err) {
        const code = (err as SysfsWriteError).code;
        tried.push(`${word}: ${code}`);
        if (code !== 'EINVAL') break; // only EINVAL means "not my spelling"
      }
    }
    throw new StepError(`write to ${file} failed (${tried.join(', ')})`);
  }

  /** Offline every block, highest first; on failure re-online those it offlined. */
  private offlineBlocks(device: ObservedDevice): void {
    const done: { index: number; zone: Zone }[] = [];
    for (const index of device.blocks.map((b) => b.index).sort((a, b) => b - a)) {
      const base = `${MEMORY}/memory${index}`;
      if (this.sysfs.read(`${base}/state`) !== 'online') continue;
      const zone: Zone = this.sysfs.read(`${base}/valid_zones`) === ZONE_NAMES.movable ? 'movable' : 'normal';
      try {
        this.sysfs.write(`${base}/state`, 'offline');
        done.push({ index, zone });
      } catch (err) {
        const unrestored = this.undo(done.reverse(), (b) => this.tryWrite(`${MEMORY}/memory${b.index}/state`, ZONE_WRITE[b.zone]));
        throw new StepError(`offlining memory${index} failed: ${describe(err)}${restoredNote(done.length, unrestored)}`, unrestored);
      }
    }
  }

  /** Online every block into `zone`, lowest first; on failure offline those it onlined. */
  private onlineBlocks(device: ObservedDevice, zone: Zone): void {
    const done: { index: number }[] = [];
    for (const index of device.blocks.map((b) => b.index).sort((a, b) => a - b)) {
      const base = `${MEMORY}/memory${index}`;
      if (this.sysfs.read(`${base}/state`) === 'online') {
        const actual = this.sysfs.read(`${base}/valid_zones`);
        if (actual === ZONE_NAMES[zone]) continue;
        const unrestored = this.undo(done.reverse(), (b) => this.tryWrite(`${MEMORY}/memory${b.index}/state`, 'offline'));
        throw new StepError(`memory${index} is online in ${actual}, not ${ZONE_NAMES[zone]}${restoredNote(done.length, unrestored)}`, unrestored);
      }
      try {
        this.sysfs.write(`${base}/state`, ZONE_WRITE[zone]);
        done.push({ index });
      } catch (err) {
        const unrestored = this.undo(done.reverse(), (b) => this.tryWrite(`${MEMORY}/memory${b.index}/state`, 'offline'));
        throw new StepError(`onlining memory${index} into ${ZONE_NAMES[zone]} failed: ${describe(err)}${restoredNote(done.length, unrestored)}`, unrestored);
      }
    }
  }

  private undo<T extends { index: number }>(done: T[], restore: (b: T) => boolean): number[] {
    return done.filter((b) => !restore(b)).map((b) => b.index);
  }

  private tryWrite(file: string, value: string): boolean {
    try {
      this.sysfs.write(file, value);
      return true;
    } catch {
      return false;
    }
  }
}

function describe(err: unknown): string {
  return err instanceof SysfsWriteError ? err.code : (err as Error).message;
}

function restoredNote(changed: number, unrestored: number[]): string {
  if (changed === 0) return '';
  if (unrestored.length === 0) return `; the ${changed} block(s) this step had changed were put back`;
  return `; could not put back block(s) ${unrestored.join(', ')}`;
}
