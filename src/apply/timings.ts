// `daxplan apply --timings`: where an apply's wall time goes, one stderr line
// per phase as it ends, `timing PHASE MS` (PHASE has no spaces, MS has one
// decimal). Phases: start-up (process start to the command running), policy,
// lock, observe, plan, safety, settings, then per device reread:DEV (each read
// of the device), step:DEV:I/N:OP (one step's writes), verify:DEV, output
// (printing the outcome) and total (process start to the end of the command). README.md lists them too.

export type Timings = (phase: string) => () => void;

/** A clock that prints each phase as it ends. */
export function phaseTimings(print: (line: string) => void): Timings {
  return (phase) => {
    const started = performance.now();
    return () => print(`timing ${phase} ${(performance.now() - started).toFixed(1)}`);
  };
}

/** Runs `work` as one phase of `timings` (or just runs it when there is no clock). */
export function timed<T>(timings: Timings | undefined, phase: string, work: () => T): T {
  if (!timings) return work();
  const end = timings(phase);
  try {
    return work();
  } finally {
    end();
  }
}

/** The time since the process started (performance's time origin). */
export function sinceStart(print: (line: string) => void, phase: string): void {
  print(`timing ${phase} ${performance.now().toFixed(1)}`);
}
