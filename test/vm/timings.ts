// The TIMING lines of the VM suite's timing scenarios (daxctl-timing,
// daxplan-timing), as test/vm/run.ts collects them into test/vm/timings.json,
// and the transitions both tools are timed on, for run.ts's summary and
// bench/run.ts. No side effects: safe to import.
export interface Timing {
  kernel: string;
  scenario: string;
  tool: string;
  transition: string;
  ms: number;
  note?: string;
  /** When the `npm run test:vm` that measured it started: the bench compares timings of one run only. */
  run?: string;
}

// The same transition for both tools. daxctl's "devdax" is its offline-memory
// plus reconfigure-device -m devdax (from ZONE_MOVABLE); daxplan's is one apply.
export const TRANSITIONS = [
  { transition: 'online_movable', label: 'devdax -> ZONE_MOVABLE', daxctl: ['online_movable'] },
  { transition: 'online', label: 'devdax -> ZONE_NORMAL', daxctl: ['online'] },
  { transition: 'devdax', label: 'ZONE_MOVABLE -> devdax', daxctl: ['offline-memory', 'devdax'] },
] as const;

export function medianOf(all: Timing[], kernel: string, tool: string, transition: string): { ms: number; runs: number } | undefined {
  const ms = all
    .filter((t) => t.kernel === kernel && t.tool === tool && t.transition === transition && t.note !== 'refused')
    .map((t) => t.ms)
    .sort((a, b) => a - b);
  return ms.length ? { ms: ms[Math.floor(ms.length / 2)], runs: ms.length } : undefined;
}

