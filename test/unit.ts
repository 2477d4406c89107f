// Runs every test/*.test.ts (not recursively: test/vm and test/contrib hold
// other suites and captured trees) through uvu's runner.
import { readdirSync } from 'node:fs';
import * as path from 'node:path';
import { run } from 'uvu/run';

const dir = path.dirname(new URL(import.meta.url).pathname);
const filter = process.argv[2] ? new RegExp(process.argv[2]) : undefined;
const suites = readdirSync(dir)
  .filter((f) => f.endsWith('.test.ts') && (!filter || filter.test(f)))
  .sort()
  .map((f) => ({ name: f, file: path.join(dir, f) }));
await run(suites);
