// Finding the policy file. daxplan runs as root from udev and systemd, so as
// root it looks nowhere but --config and /etc/daxplan; cli/policy.ts reads
// what this finds through root's vetting (host/trust.ts) and parses it.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createRequire } from 'node:module';
import type * as Cosmiconfig from 'cosmiconfig';
import { PolicyError, type Diagnostic } from '../model/errors.js';
import type { Policy } from './parse.js';

export const SYSTEM_POLICY = '/etc/daxplan/daxplan.yaml';
export const SEARCH_PLACES = ['daxplan.yaml', 'daxplan.yml', '.daxplan.yaml', '.daxplan.yml', 'daxplan.json', '.config/daxplan.yaml'];

export interface LoadedPolicy {
  policy: Policy;
  warnings: Diagnostic[];
  /** The file's text, as parsed (daxplan watch hashes it to tell a policy change). */
  text: string;
}

export interface PolicyOptions {
  /** --config FILE; when absent the file is searched for. */
  config?: string;
  cwd?: string;
  /** Whether the rules for root apply: no search, ownership vetted (default: running as root). */
  asRoot?: boolean;
}

/**
 * Locates the policy: --config, else (not as root) a search upwards from cwd
 * and the user's config directory, else /etc/daxplan. Root never searches: a
 * working directory, HOME or XDG_CONFIG_HOME may belong to anyone.
 */
export function findPolicyFile(options: PolicyOptions & { asRoot: boolean }): string {
  const { asRoot } = options;
  const cwd = options.cwd ?? process.cwd();
  if (options.config) return path.resolve(cwd, options.config);
  // cosmiconfig only finds the file here: every loader is a marker, never a
  // module loader, so no JS or TS config can run.
  const found = asRoot ? undefined : searchUpwards(cwd);
  if (found) return found;
  if (fs.existsSync(SYSTEM_POLICY)) return SYSTEM_POLICY;
  const looked = asRoot ? `as root daxplan reads only --config FILE or ${SYSTEM_POLICY}` : `looked for ${SEARCH_PLACES.join(', ')} from ${cwd} upwards, then ${SYSTEM_POLICY}`;
  throw new PolicyError([{ file: SYSTEM_POLICY, line: 1, col: 1, severity: 'error', path: '', message: `no policy found (${looked}); pass --config FILE` }]);
}

function searchUpwards(cwd: string): string | undefined {
  try {
    return cosmiconfig().cosmiconfigSync('daxplan', {
      searchPlaces: SEARCH_PLACES,
      searchStrategy: 'global',
      loaders: { '.yaml': marker, '.yml': marker, '.json': marker, noExt: marker },
      cache: false,
    }).search(cwd)?.filepath;
  } catch (err) {
    // A directory we may not read (a sandbox hiding /root, say) holds no policy for us.
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EACCES' || code === 'EPERM') return undefined;
    throw err;
  }
}

/**
 * cosmiconfig, loaded only when the policy is searched for: with the js-yaml,
 * fs/promises and crypto it loads it costs ~10 ms, which --config runs skip.
 * In the bundle (CommonJS) esbuild's require() loads its bundled copy on this
 * first call; under tsx (ESM) there is no require() and node resolves it.
 */
function cosmiconfig(): typeof Cosmiconfig {
  return typeof require === 'function' ? require('cosmiconfig') : createRequire(import.meta.url)('cosmiconfig');
}

function marker(): { found: true } {
  return { found: true };
}
