// Facts about the host beyond its dax devices, shared by the readers that
// gather them and the planner that weighs them.

/** Online memory by kind: ZONE_MOVABLE, and everything the kernel can use for its own data. */
export interface MemoryTotals {
  kernel: bigint;
  movable: bigint;
}

/** What /proc says about this boot: a saved plan is bound to it. */
export interface ProcFacts {
  bootId: string | null;
  kernelRelease: string | null;
}
