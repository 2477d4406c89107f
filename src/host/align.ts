// A dax device's `align` attribute (the mapping granularity daxctl list
// shows): read only for status --format daxctl, never by planning.
import { DAX_DEVICES, type Sysfs } from './sysfs.js';

/** Each device's alignment in bytes, for those whose attribute is there and a positive decimal number. */
export function readAlign(sysfs: Sysfs, names: string[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const name of names) {
    let text: string | undefined;
    try {
      text = sysfs.read(`${DAX_DEVICES}/${name}/align`)?.trim();
    } catch {
      continue;
    }
    if (text && /^[1-9]\d{0,15}$/.test(text)) out.set(name, Number(text));
  }
  return out;
}
