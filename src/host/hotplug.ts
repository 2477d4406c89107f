// Reads the memory_hotplug module's parameters (model/hotplug.ts). A value
// that does not parse becomes a problem and the parameters count as not
// shown, never a guess.
import { clip, type Sysfs } from './sysfs.js';
import { HOTPLUG_PARAMETERS, ONLINE_POLICIES, type HotplugParams, type MemmapOnMemory, type OnlinePolicy } from '../model/hotplug.js';

/** The kernel prints bools as Y/N; memmap_on_memory prints `force` too (6.6+). */
const MEMMAP_WORDS: Record<string, MemmapOnMemory> = { Y: 'on', N: 'off', force: 'force' };
const BOOL_WORDS: Record<string, boolean> = { Y: true, N: false };
/** auto_movable_ratio is an unsigned int; past this it is no ratio the kernel would print. */
const MAX_RATIO = 0xffffffff;

export function observeHotplug(sysfs: Sysfs, read: (rel: string) => string | undefined, problems: string[]): HotplugParams {
  const at = (name: string) => `${HOTPLUG_PARAMETERS}/${name}`;
  const policy = read(at('online_policy'));
  if (policy === undefined) return { kind: 'absent' };
  const bad = (name: string, text: string | undefined, want: string): HotplugParams => {
    problems.push(`${at(name)}: ${text === undefined ? 'missing' : `"${clip(text)}" is not ${want}`}`);
    return { kind: 'absent' };
  };
  if (!(ONLINE_POLICIES as readonly string[]).includes(policy)) return bad('online_policy', policy, ONLINE_POLICIES.join(' or '));
  const ratioText = read(at('auto_movable_ratio'));
  if (ratioText === undefined || !/^\d{1,10}$/.test(ratioText) || Number(ratioText) > MAX_RATIO) return bad('auto_movable_ratio', ratioText, 'a percentage');
  const aware = read(at('auto_movable_numa_aware'));
  if (aware === undefined || !Object.hasOwn(BOOL_WORDS, aware)) return bad('auto_movable_numa_aware', aware, 'Y or N');
  const params = { kind: 'read', onlinePolicy: policy as OnlinePolicy, autoMovableRatio: Number(ratioText), numaAware: BOOL_WORDS[aware] } as const;
  // Absent on kernels built without CONFIG_MHP_MEMMAP_ON_MEMORY.
  if (!sysfs.exists(at('memmap_on_memory'))) return { ...params, memmapOnMemory: 'absent' };
  const memmap = read(at('memmap_on_memory'));
  if (memmap === undefined || !Object.hasOwn(MEMMAP_WORDS, memmap)) return bad('memmap_on_memory', memmap, 'Y, N or force');
  return { ...params, memmapOnMemory: MEMMAP_WORDS[memmap] };
}
