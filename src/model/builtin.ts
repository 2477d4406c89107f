// Node built-ins that most runs never use, loaded at their first use instead
// of at start-up: in the emulated VM guest of the test suite, where a bare
// `node -e 0` takes about 300 ms, loading node:crypto takes about 60 ms more
// and node:child_process about 65 ms (npm run bench, README Performance);
// node:net, which only apply's lock needs, about 45 ms.
// Only the modules named here can be loaded this way.
import { createRequire } from 'node:module';

interface LazyBuiltins {
  'node:crypto': typeof import('node:crypto');
  'node:child_process': typeof import('node:child_process');
  'node:net': typeof import('node:net');
  'node:readline': typeof import('node:readline');
  'node:tty': typeof import('node:tty');
  'node:zlib': typeof import('node:zlib');
}

const load = createRequire(import.meta.url);

export function builtin<Name extends keyof LazyBuiltins>(name: Name): LazyBuiltins[Name] {
  return load(name) as LazyBuiltins[Name];
}
