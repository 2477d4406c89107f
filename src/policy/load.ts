// Finding the policy file. daxplan runs as root from udev and systemd, so as
// root it looks nowhere but --config and /etc/daxplan; cli/policy.ts reads
// what this finds through root's vetting (host/trust.ts) and parses it.
import { existsSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { homedir } from 'node:os';
import { PolicyError, type Diagnostic } from '../model/errors.js';
import type { Policy } from './parse.js';

export const SYSTEM_POLICY = '/etc/daxplan/daxplan.yaml';
export const SEARCH_PLACES = ['daxplan.yaml', 'daxplan.yml', '.daxplan.yaml', '.daxplan.yml', 'daxplan.json', '.config/daxplan.yaml'];
/** Searched last, in the user's config directory ($XDG_CONFIG_HOME/daxplan or ~/.config/daxplan). */
const USER_PLACES = ['config', 'config.json', 'config.yaml', 'config.yml'];

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
  if (options.config) return resolve(cwd, options.config);
  // cosmiconfig only finds the file here: every loader is a marker, never a
  // module loader, so no JS or TS config can run.
  const found = asRoot ? undefined : searchUpwards(cwd);
  if (found) return found;
  if (existsSync(SYSTEM_POLICY)) return SYSTEM_POLICY;
  const looked = asRoot ? `as root daxplan reads only --config FILE or ${SYSTEM_POLICY}` : `looked for ${SEARCH_PLACES.join(', ')} from ${cwd} upwards, then ${SYSTEM_POLICY}`;
  throw new PolicyError([{ file: '', severity: 'error', path: '', message: `no policy found (${looked}); pass --config FILE, or write one with 'daxplan init -o FILE'` }]);
}

/**
 * The first non-empty regular file of SEARCH_PLACES in `cwd` and each directory above
 * it (up to the home directory when `cwd` is inside it), then of USER_PLACES
 * in the user's config directory. Only names are looked at: nothing is ever
 * loaded as code, and no file in the working directory changes where to look.
 */
function searchUpwards(cwd: string): string | undefined {
  const home = homedir();
  const configHome = process.env.XDG_CONFIG_HOME || join(home, '.config');
  const candidates: string[] = [];
  for (let dir = resolve(cwd); ; dir = dirname(dir)) {
    candidates.push(...SEARCH_PLACES.map((place) => join(dir, place)));
    if (dir === home || dir === dirname(dir)) break;
  }
  candidates.push(...USER_PLACES.map((place) => join(configHome, 'daxplan', place)));
  return candidates.find(nonEmptyFile);
}

function nonEmptyFile(file: string): boolean {
  try {
    // stat, not read: a FIFO planted on the way must not hang the search.
    const stat = statSync(file, { throwIfNoEntry: false });
    return stat !== undefined && stat.isFile() && stat.size > 0;
  } catch {
    // Where we may not look (a sandbox hiding /root): no policy for us there.
    return false;
  }
}
