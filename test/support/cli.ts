// Runs the CLI in-process (fast) with captured output.
import { main } from '../../src/cli/main.js';
import { openSimulatedOrDir } from '../sim/kernel.js';

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

export async function run(argv: string[], env: NodeJS.ProcessEnv = {}, cwd = process.cwd()): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, {
    stdout: { write: (s: string) => (stdout += s), isTTY: false },
    stderr: { write: (s: string) => (stderr += s), isTTY: false },
    env,
    cwd,
    openSysfs: openSimulatedOrDir,
  });
  return { code, stdout, stderr };
}
