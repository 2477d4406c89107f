// The memory_hotplug module's parameters (/sys/module/memory_hotplug/parameters):
// which zone the kernel picks for memory onlined with plain `online`, and
// where the struct pages of added memory live. See the kernel's
// Documentation/admin-guide/mm/memory-hotplug.rst and mm/memory_hotplug.c.

/**
 * `contig-zones`: plain `online` keeps zones contiguous (ZONE_NORMAL for a
 * range no zone spans yet); `auto-movable`: the kernel picks ZONE_MOVABLE
 * while movable memory stays within auto_movable_ratio of the kernel memory
 * present since boot, else ZONE_NORMAL.
 */
export const ONLINE_POLICIES = ['contig-zones', 'auto-movable'] as const;
export type OnlinePolicy = (typeof ONLINE_POLICIES)[number];

/**
 * `on`: the struct pages of memory kmem adds are carved from that memory
 * itself, not from kernel memory; `force`: even where that wastes part of
 * each block; `absent`: a kernel built without CONFIG_MHP_MEMMAP_ON_MEMORY.
 * Read at the moment memory is added: it must be set before kmem binds.
 */
export const MEMMAP_ON_MEMORY = ['off', 'on', 'force', 'absent'] as const;
export type MemmapOnMemory = (typeof MEMMAP_ON_MEMORY)[number];

export type HotplugParams =
  /** No parameters directory: a kernel before 5.15 (plain `online` then always keeps zones contiguous). */
  | { kind: 'absent' }
  | {
      kind: 'read';
      onlinePolicy: OnlinePolicy;
      /** Percent of boot-time kernel memory ZONE_MOVABLE may reach under auto-movable (0: never movable by itself). */
      autoMovableRatio: number;
      /** Whether auto-movable also keeps the ratio on each node, not only over the whole host. */
      numaAware: boolean;
      memmapOnMemory: MemmapOnMemory;
    };

/** The directory the parameters are read from, relative to the sysfs root. */
export const HOTPLUG_PARAMETERS = 'module/memory_hotplug/parameters';

/** "auto-movable (auto_movable_ratio 301%, NUMA-aware), memmap_on_memory off": the parameters in one phrase. */
export function describeHotplug(params: HotplugParams): string {
  if (params.kind === 'absent') return `online policy not shown (no ${HOTPLUG_PARAMETERS}: contig-zones)`;
  const ratio = params.onlinePolicy === 'auto-movable' ? ` (auto_movable_ratio ${params.autoMovableRatio}%${params.numaAware ? ', NUMA-aware' : ''})` : '';
  return `online policy ${params.onlinePolicy}${ratio}, memmap_on_memory ${params.memmapOnMemory}`;
}

/** Whether plain `online` lets the kernel choose the zone by its ratio. */
export function autoMovable(params: HotplugParams): params is Extract<HotplugParams, { kind: 'read' }> & { onlinePolicy: 'auto-movable' } {
  return params.kind === 'read' && params.onlinePolicy === 'auto-movable';
}

/** The parameters as status, plan and snapshot JSON carry them (null: not shown by the kernel). */
export interface HotplugJson {
  online_policy: OnlinePolicy;
  auto_movable_ratio: number;
  auto_movable_numa_aware: boolean;
  memmap_on_memory: MemmapOnMemory;
}

export function hotplugToJson(params: HotplugParams): HotplugJson | null {
  if (params.kind === 'absent') return null;
  return { online_policy: params.onlinePolicy, auto_movable_ratio: params.autoMovableRatio, auto_movable_numa_aware: params.numaAware, memmap_on_memory: params.memmapOnMemory };
}

/** The parameters a JSON document (validated against its schema) carries; absent from documents made before daxplan read them. */
export function hotplugFromJson(json: HotplugJson | null | undefined): HotplugParams {
  if (!json) return { kind: 'absent' };
  return { kind: 'read', onlinePolicy: json.online_policy, autoMovableRatio: json.auto_movable_ratio, numaAware: json.auto_movable_numa_aware, memmapOnMemory: json.memmap_on_memory };
}
