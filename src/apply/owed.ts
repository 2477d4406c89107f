// What a bind owes auto_online_blocks. kmem onlines a device's memory at
// probe per that default, so a bind sets it to how the memory is to arrive
// and puts the old value back. Between the two the old value is owed: the
// debt (the value to put back, the value the bind set, the boot) is on the
// lock record before the first write, and stays there when a run dies or
// cannot put it back. Whoever holds the lock next pays it by compare-and-swap:
// only in the same boot and only while the kernel still reads the value the
// bind set; otherwise someone (an administrator, a reboot) has set it since,
// and the debt is dropped with a log line, nothing written.
import { MEMORY, SysfsWriteError, type Sysfs } from '../host/sysfs.js';
import { isAutoOnline, type AutoOnline } from '../model/device.js';
import { debtOutlook, type Debt } from '../host/lock-record.js';
import { applySetting, type SettingOutcome } from './kernel.js';

const FILE = `${MEMORY}/auto_online_blocks`;

/** Where a debt is kept: the lock record (apply/lock.ts). */
export interface Ledger {
  readonly owed: Debt | undefined;
  owe(debt: Debt | undefined): void;
}

/** The ledger of a run: the lock's, in the boot it runs in. */
export interface Debts {
  ledger: Ledger;
  bootId: string | null;
}

/**
 * Runs `bind` with auto_online_blocks set to `arrive`, owing the value it
 * read until it is back. Throws (after putting it back, or leaving it owed)
 * what `bind` threw, or that it could not be put back.
 */
export function withAutoOnline(sysfs: Sysfs, debts: Debts | undefined, device: string, arrive: AutoOnline, bind: () => void): void {
  const before = sysfs.read(FILE);
  if (before === undefined) throw new Error(`${FILE} is missing: this kernel cannot add memory`);
  if (!isAutoOnline(before)) throw new Error(`${FILE} reads "${before}", not a value daxplan could put back after the bind`);
  if (before === arrive) return bind();
  // An older debt still unpaid is the value to put back: the one read here was left by it.
  const debt: Debt = { device, restore: before, set: arrive, boot_id: debts?.bootId ?? null };
  const older = debts?.ledger.owed;
  if (!older) debts?.ledger.owe(debt);
  let failure: unknown;
  try {
    sysfs.write(FILE, arrive);
  } catch (err) {
    failure = new Error(`binding ${device} to kmem with ${FILE}=${arrive} failed: ${err instanceof SysfsWriteError ? err.code : (err as Error).message}`);
  }
  try {
    if (failure === undefined) bind();
  } catch (err) {
    failure = err;
  }
  const back = applySetting(sysfs, 'auto_online_blocks', before);
  if (back.result === 'applied' && !older) debts?.ledger.owe(undefined);
  if (back.result === 'failed') {
    const why = failure === undefined ? '' : ` (${(failure as Error).message})`;
    throw new Error(`could not put ${FILE} back to ${before} after binding ${device}: ${back.message}${why}`);
  }
  if (failure !== undefined) throw failure;
}

/**
 * Pays the debt on the ledger, if any, by compare-and-swap: the write's
 * outcome, or undefined when there was none to pay or it was dropped (`log`
 * says why). A failed write stays owed.
 */
export function payDebt(sysfs: Sysfs, debts: Debts, log: (line: string) => void): SettingOutcome | undefined {
  const debt = debts.ledger.owed;
  if (!debt) return undefined;
  const drop = (why: string) => {
    log(`auto_online_blocks owed since binding ${debt.device} (${debt.restore} before, ${debt.set} set): ${why}; dropping the debt (nothing written)`);
    debts.ledger.owe(undefined);
    return undefined;
  };
  const outlook = debtOutlook(debt, debts.bootId, sysfs.read(FILE));
  if (outlook.action === 'drop') return drop(outlook.why);
  const outcome = applySetting(sysfs, 'auto_online_blocks', debt.restore);
  log(`auto_online_blocks: putting back ${debt.restore}, owed since binding ${debt.device}: ${outcome.result}${outcome.message ? `: ${outcome.message}` : ''}`);
  if (outcome.result === 'applied') debts.ledger.owe(undefined);
  return { ...outcome, message: outcome.message ?? `owed by the bind of ${debt.device}, which could not put it back` };
}
