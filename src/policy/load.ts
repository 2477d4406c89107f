// Finding and reading the policy file. Runs as root from udev and systemd,
// so it only ever parses YAML/JSON and refuses files others could have written.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as os from 'node:os';
import { PolicyError, type Diagnostic } from '../model/errors.js';
import { parsePolicy, type Policy } from './parse.js';

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
  /** Whether the ownership rules for root apply (default: running as root). */
  asRoot?: boolean;
}

/** Locates the policy: --config, then a search from cwd, then /etc/daxplan. */
export function findPolicyFile(options: PolicyOptions): string {
  const cwd = options.cwd ?? process.cwd();
  if (options.config) return path.resolve(cwd, options.config);
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

/**
 * The first non-empty regular file of SEARCH_PLACES in `cwd` and each directory above
 * it (up to the home directory when `cwd` is inside it), then of USER_PLACES
 * in the user's config directory. Only names are looked at: nothing is ever
 * loaded as code, and no file in the working directory changes where to look.
 */
function searchUpwards(cwd: string): string | undefined {
  const home = os.homedir();
  const configHome = process.env.XDG_CONFIG_HOME || path.join(home, '.config');
  const candidates: string[] = [];
  for (let dir = path.resolve(cwd); ; dir = path.dirname(dir)) {
    candidates.push(...SEARCH_PLACES.map((place) => path.join(dir, place)));
    if (dir === home || dir === path.dirname(dir)) break;
  }
  candidates.push(...USER_PLACES.map((place) => path.join(configHome, 'daxplan', place)));
  return candidates.find(nonEmptyFile);
}

function nonEmptyFile(file: string): boolean {
  try {
    // stat, not read: a FIFO planted on the way must not hang the search.
    const stat = fs.statSync(file, { throwIfNoEntry: false });
    return stat !== undefined && stat.isFile() && stat.size > 0;
  } catch {
    // Where we may not look (a sandbox hiding /root): no policy for us there.
    return false;
  }
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
