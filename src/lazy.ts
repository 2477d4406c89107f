// Node built-ins loaded on first use instead of at start-up. daxplan runs at
// device arrival and at boot; crypto and child_process cost ~3 ms each to
// load, and a plan or status needs neither.
import { createRequire } from 'node:module';

const load = createRequire(import.meta.url);

/** `node:NAME`, loaded on the first call. */
export function builtin<T>(name: `node:${string}`): () => T {
  let loaded: T | undefined;
  return () => (loaded ??= load(name) as T);
}
