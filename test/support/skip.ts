// A test that cannot run here is reported skipped (uvu counts it, test/run.mjs
// sums it), with the reason on the output: never a test that passes without
// having run.
import type { Test } from 'uvu';
import { spawnSync } from 'node:child_process';

/** `test` when `reason` is undefined; otherwise uvu's skip of it, printing why. */
export function unless<T>(test: Test<T>, reason: string | undefined): Test<T>['skip'] {
  if (reason === undefined) return test;
  return (name, handler) => {
    console.log(`  (skipped: ${reason}) ${name}`);
    test.skip(name, handler);
  };
}

/** Why `command` cannot be run here (it is not installed), or undefined. */
export function missingCommand(command: string): string | undefined {
  return spawnSync(command, ['--version'], { stdio: 'ignore' }).error ? `no ${command} here` : undefined;
}

/** Why a test that changes owners cannot run here (not root), or undefined. */
export const NOT_ROOT = process.geteuid?.() === 0 ? undefined : 'changing owners takes root';
