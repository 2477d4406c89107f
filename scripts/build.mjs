// Bundles the CLI into one file: one read at start-up instead of hundreds
// of module loads, and an install that is a single file plus node.
// The bundle is CommonJS, carried as a string by dist/daxplan.cjs
// (scripts/launcher.cjs) and compiled as a script, so that it can start from
// V8's code cache (dist/daxplan.cache, optional): `daxplan plan` starts in
// ~1.4-1.5x the time of `node -e 0` instead of ~1.8x (npm run bench).
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { build } from 'esbuild';
import { writeCodeCache } from './code-cache.mjs';

const ENTRY = 'dist/daxplan.cjs';
const CACHE = 'dist/daxplan.cache';

const result = await build({
  entryPoints: ['src/cli.ts'],
  outfile: ENTRY,
  write: false,
  bundle: true,
  platform: 'node',
  target: 'node20',
  // CommonJS, not ESM: it runs as a vm.Script (which takes a code cache).
  format: 'cjs',
  define: { 'import.meta.url': '__daxplan_import_meta_url' },
  minify: true,
  legalComments: 'none',
  logLevel: 'warning',
});

// The program as one function expression; scripts/launcher.cjs calls it with
// (require, import.meta.url, the entry's path).
const bundle = result.outputFiles[0].text.replace(/^#!.*\n/, '');
const program = `(function (require, __daxplan_import_meta_url, __filename) {"use strict";\n${bundle}\n})`;
const header = `daxplan code cache ${crypto.createHash('sha256').update(program).digest('hex').slice(0, 24)}\n`;
const launcher = fs.readFileSync('scripts/launcher.cjs', 'utf8');
fs.mkdirSync(path.dirname(ENTRY), { recursive: true });
fs.rmSync(CACHE, { force: true });
// The oldest Node.js the launcher lets run the program: package.json's engines.
const nodeMin = Number(/^>=\s*(\d+)/.exec(JSON.parse(fs.readFileSync('package.json', 'utf8')).engines.node)?.[1]);
if (!nodeMin) throw new Error('package.json engines.node must read ">=N"');
fs.writeFileSync(
  ENTRY,
  launcher
    .replace('__NODE_MIN__', String(nodeMin))
    .replace('__PROGRAM__', () => JSON.stringify(program))
    .replace('__CACHE_HEADER__', () => JSON.stringify(header)),
);
fs.chmodSync(ENTRY, 0o755);
const cache = await writeCodeCache({ program, header, entry: path.resolve(ENTRY), cacheFile: CACHE });
for (const f of cache.failed) console.warn(`build: warming the code cache: ${f} failed`);

// The same CLI over the simulated kernel (test/sim/cli.ts): for tests that
// spawn a process and for trying apply without root. Not part of an install.
// Self-contained like the program (its packages bundled, required through
// createRequire), so that a copy runs where node_modules cannot be reached:
// tests run it as another user from outside a private clone.
await build({
  entryPoints: ['test/sim/cli.ts'],
  outfile: 'dist/daxplan-sim.mjs',
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  banner: { js: "import { createRequire as __daxplanCreateRequire } from 'node:module'; const require = __daxplanCreateRequire(import.meta.url);" },
  logLevel: 'warning',
});
