// What the VM suite's TIMING lines become (test/vm/timings.json), shared by
// test/vm/run.ts and bench/run.ts.

export interface Timing {
  kernel: string;
  scenario: string;
  tool: string;
  transition: string;
  ms: number;
  note?: string;
  /** When the `npm run test:vm` that measured it started: ratios compare timings of one run only. */
  run: string;
}

/** The transitions the timing scenarios measure, for both daxctl and daxplan. */
export const TRANSITIONS = {
  online: 'devdax -> online (ZONE_NORMAL)',
  online_movable: 'devdax -> online_movable',
  devdax: 'online (ZONE_NORMAL) -> devdax',
  'devdax-from-movable': 'online_movable -> devdax',
} as const;

