// Executes one plan step against sysfs: with kernel.ts and owed.ts, the only code that writes.
import { DAX_DEVICES, DAX_DRIVERS, isRealSysfs, MEMORY, SysfsWriteError, type Sysfs } from '../host/sysfs.js';
import { type Driver, ONLINE_WORD, type ObservedDevice, type StateWrite, ZONE_NAMES, type Zone } from '../model/device.js';
import type { Arrival, Step } from '../model/steps.js';
import { builtin } from '../model/builtin.js';
import { withAutoOnline, type Debts } from './owed.js';

export class StepError extends Error {}

export class StepRunner {
  constructor(
    private readonly sysfs: Sysfs,
    /** Where a bind's override of auto_online_blocks is owed (apply/owed.ts); tests that drive steps alone keep none. */
    private readonly debts?: Debts,
  ) {}

  run(step: Step, device: ObservedDevice): void {
    switch (step.op) {
      case 'bind':
        return step.driver === 'kmem' ? this.bindKmem(device.name, step.arrive) : this.bind(device.name, step.driver);
      case 'unbind':
        return this.unbind(device, step.driver);
      case 'state':
        return this.writeState(device.name, step.write);
      case 'offline_blocks':
        return this.offlineBlocks(device);
      case 'online_blocks':
        return this.onlineBlocks(device, step.zone);
    }
  }

  private driverOf(name: string): string | undefined {
    return this.sysfs.link(`${DAX_DEVICES}/${name}/driver`)?.split('/').pop();
  }

  /**
   * Binds kmem with auto_online_blocks set to how the memory is to arrive,
   * for the moment of the bind only: memory the kernel puts in ZONE_NORMAL is
   * often refused when taken offline again (apply/owed.ts).
   */
  private bindKmem(name: string, arrive: Arrival): void {
    try {
      withAutoOnline(this.sysfs, this.debts, name, arrive, () => this.bind(name, 'kmem'));
    } catch (err) {
      throw err instanceof StepError ? err : new StepError(describe(err));
    }
  }

  private bind(name: string, driver: Driver): void {
    const dir = `${DAX_DRIVERS}/${driver}`;
    if (!this.sysfs.exists(dir)) this.loadModule(driver);
    // The dax bus matches by name: new_id names the device (and probes it at
    // once on 6.12, after which bind fails). Judge by where the link points.
    const errors: string[] = [];
    for (const op of ['new_id', 'bind']) {
      if (this.driverOf(name) === driver) return;
      try {
        this.sysfs.write(`${dir}/${op}`, name);
      } catch (err) {
        errors.push(`${op}: ${describe(err)}`);
      }
    }
    if (this.driverOf(name) !== driver) throw new StepError(`binding ${name} to ${driver} failed (${errors.join(', ') || 'driver link unchanged'})`);
  }

  private loadModule(driver: Driver): void {
    const module = driver === 'kmem' ? 'kmem' : 'device_dax';
    if (!isRealSysfs(this.sysfs.root)) throw new StepError(`driver ${driver} is not loaded in ${this.sysfs.root}`);
    const result = builtin('node:child_process').spawnSync('modprobe', [module], { encoding: 'utf8' });
    if (result.status !== 0) throw new StepError(`modprobe ${module} failed: ${(result.stderr || result.error?.message || '').trim()}`);
  }

  private unbind(device: ObservedDevice, driver: Driver): void {
    const kmem = driver === 'kmem';
    // Without the state file nothing stops another writer onlining a block between daxplan's read and
    // the unbind: the blocks are read again at the last moment, and after.
    const onlineNow = () => device.blocks.filter((b) => this.sysfs.read(`${MEMORY}/memory${b.index}/state`) === 'online').map((b) => b.index);
    if (kmem) {
      // Unbinding kmem with online blocks leaks the memory until reboot; a block not read might be online.
      if (device.problems.length) throw new StepError(`refusing to unbind ${device.name} from kmem: its blocks could not all be read (${device.problems.join('; ')})`);
      const readOnline = device.blocks.filter((b) => b.state === 'online').map((b) => b.index);
      if (readOnline.length) throw new StepError(`refusing to unbind ${device.name} from kmem: block(s) ${readOnline.join(', ')} are online`);
      const back = onlineNow();
      if (back.length) throw new StepError(`refusing to unbind ${device.name} from kmem: block(s) ${back.join(', ')} are online (another agent onlined them after daxplan read them offline)`);
    }
    if (this.driverOf(device.name) !== driver) return;
    this.sysfs.write(`${DAX_DRIVERS}/${driver}/unbind`, device.name);
    const kept = kmem ? onlineNow() : [];
    if (kept.length)
      throw new StepError(`another agent onlined block(s) ${kept.join(', ')} in the instant before kmem was unbound: the kernel keeps them in the system until reboot`);
  }

  /** One write moves the whole device; writing the word it already reads is a no-op the kernel accepts. */
  private writeState(name: string, word: StateWrite): void {
    const file = `${DAX_DEVICES}/${name}/state`;
    if (!this.sysfs.exists(file)) throw new StepError(`${file} is missing (the device is not bound to kmem, or the kernel predates the state file)`);
    try {
      this.sysfs.write(file, word);
    } catch (err) {
      const code = describe(err);
      const why = code === 'EBUSY' && word === 'unplugged' ? ' (the kernel could not take the memory offline: unmovable pages, usually in ZONE_NORMAL)' : '';
      throw new StepError(`writing ${word} to ${file} failed: ${code}${why}`);
    }
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
        if (this.sysfs.read(`${base}/state`) === 'offline') continue; // offlined by another hand in between: where it was going
        const unrestored = this.undo(done.reverse(), (b) => this.tryWrite(`${MEMORY}/memory${b.index}/state`, ONLINE_WORD[b.zone]));
        throw new StepError(`offlining memory${index} failed: ${describe(err)}${restoredNote(done.length, unrestored)}`);
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
        throw new StepError(`memory${index} is online in ${actual ?? 'a zone it does not show'}, not ${ZONE_NAMES[zone]}${restoredNote(done.length, unrestored)}`);
      }
      try {
        this.sysfs.write(`${base}/state`, ONLINE_WORD[zone]);
        done.push({ index });
      } catch (err) {
        if (this.sysfs.read(`${base}/state`) === 'online' && this.sysfs.read(`${base}/valid_zones`) === ZONE_NAMES[zone]) continue; // onlined there by another hand in between
        const unrestored = this.undo(done.reverse(), (b) => this.tryWrite(`${MEMORY}/memory${b.index}/state`, 'offline'));
        throw new StepError(`onlining memory${index} into ${ZONE_NAMES[zone]} failed: ${describe(err)}${restoredNote(done.length, unrestored)}`);
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
