// Runs the CLI in-process (fast) with captured output.
import { main } from '../../src/cli/main.js';
import type { Io } from '../../src/cli/args.js';
import { openSimulatedOrDir } from '../sim/kernel.js';

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** `io` stands in for the rest of the process: a terminal to ask, a TTY stdout of some width. */
export async function run(argv: string[], env: NodeJS.ProcessEnv = {}, cwd = process.cwd(), io: Partial<Io> = {}): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, {
    ...io,
    stdout: { isTTY: false, ...io.stdout, write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s), isTTY: false },
    env,
    cwd,
    openSysfs: openSimulatedOrDir,
  });
  return { code, stdout, stderr };
}
