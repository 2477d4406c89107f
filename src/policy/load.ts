// Finding and reading the policy file. Runs as root from udev and systemd,
// so it only ever parses YAML/JSON and refuses files others could have written.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createRequire } from 'node:module';
import type * as Cosmiconfig from 'cosmiconfig';
import { PolicyError, type Diagnostic } from '../model/errors.js';
import { parsePolicy, type Policy } from './parse.js';

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
  /** Whether the ownership rules for root apply (default: running as root). */
  asRoot?: boolean;
}

/** Locates the policy: --config, then a search from cwd, then /etc/daxplan. */
export function findPolicyFile(options: PolicyOptions): string {
  const cwd = options.cwd ?? process.cwd();
  if (options.config) return path.resolve(cwd, options.config);
  // cosmiconfig only finds the file here: every loader is a marker, never a
  // module loader, so no JS or TS config can run.
  const found = searchUpwards(cwd);
  if (found) return found;
  if (fs.existsSync(SYSTEM_POLICY)) return SYSTEM_POLICY;
  throw new PolicyError([
    {
      file: SYSTEM_POLICY,
      line: 1,
      col: 1,
      severity: 'error',
      path: '',
      message: `no policy found (looked for ${SEARCH_PLACES.join(', ')} from ${cwd} upwards, then ${SYSTEM_POLICY}); pass --config FILE`,
    },
  ]);
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

export function loadPolicy(options: PolicyOptions): LoadedPolicy {
  const file = findPolicyFile(options);
  const relative = path.relative(options.cwd ?? process.cwd(), file);
  const display = relative && !relative.startsWith('..') ? relative : file;
  const text = readPolicyText(file, display, options.asRoot ?? process.getuid?.() === 0);
  const result = parsePolicy(text, display);
  if (!result.ok) throw new PolicyError([...result.errors, ...result.warnings]);
  return { policy: result.policy, warnings: result.warnings, text };
}

const MAX_POLICY_BYTES = 1 << 20;

function readPolicyText(file: string, display: string, asRoot: boolean): string {
  const refuse = (message: string): never => {
    throw new PolicyError([{ file: display, line: 1, col: 1, severity: 'error', path: '', message }]);
  };
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ELOOP') return refuse('is a symbolic link; daxplan reads a policy only from a regular file (point --config at the real file)');
    return refuse(`cannot read the policy: ${code}`);
  }
  try {
    // Checked on the open descriptor, so the file cannot be swapped between check and read.
    const stat = fs.fstatSync(fd);
    if (!stat.isFile()) refuse('is not a regular file');
    if (stat.size > MAX_POLICY_BYTES) refuse(`is larger than ${MAX_POLICY_BYTES} bytes`);
    if (asRoot) {
      const othersWrite = (stat.mode & 0o002) !== 0;
      const groupWrite = (stat.mode & 0o020) !== 0 && stat.gid !== 0;
      if (stat.uid !== 0 || othersWrite || groupWrite)
        refuse(
          `refusing a policy that a non-root user can write while running as root (owner uid ${stat.uid}, mode ${(stat.mode & 0o777).toString(8)}); fix with: chown root:root ${file} && chmod go-w ${file}`,
        );
    }
    return fs.readFileSync(fd, 'utf8');
  } finally {
    fs.closeSync(fd);
  }
}
