// Bundles the CLI into one file: one read at start-up instead of hundreds
// of module loads, and an install that is a single file plus node.
import { build } from 'esbuild';

await build({
  entryPoints: ['src/cli.ts'],
  outfile: 'dist/daxplan.mjs',
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  minify: true,
  legalComments: 'none',
  // cosmiconfig can load TypeScript configs; daxplan never lets it, so the
  // compiler is left out of the bundle.
  external: ['typescript'],
  banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
  logLevel: 'warning',
});
