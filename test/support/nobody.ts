// Running the built program as another user. A clone may sit in a directory
// only root can enter (root's 0700 home, any mktemp -d), so that user gets a
// copy of dist/daxplan.cjs (or dist/daxplan-sim.mjs) in a directory it can reach.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { REPO, tempDir } from './host.js';

export const NOBODY = 65534;
const asRoot = process.geteuid?.() === 0;
/** The command prefix that drops to nobody, as root; nothing otherwise (the test runs as an ordinary user already). */
export const AS_NOBODY = asRoot ? ['setpriv', `--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups'] : [];

type Built = 'daxplan.cjs' | 'daxplan-sim.mjs';
const copies = new Map<Built, string>();
let dir: string | undefined;

/** A file of dist/ (self-contained, both) copied once per test process into a directory of mode 0755 under the temp directory. */
export function reachable(built: Built): string {
  let copy = copies.get(built);
  if (!copy) {
    dir ??= tempDir('daxplan-bin-');
    fs.chmodSync(dir, 0o755);
    copy = path.join(dir, built);
    fs.copyFileSync(path.join(REPO, 'dist', built), copy);
    fs.chmodSync(copy, 0o755);
    copies.set(built, copy);
  }
  return copy;
}

/** Runs the built daxplan (or the simulator) as nobody (as root), or as this user. */
export function runAsNobody(args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv; timeout?: number }, built: Built = 'daxplan.cjs') {
  const argv = [...AS_NOBODY, process.execPath, reachable(built), ...args];
  return spawnSync(argv[0], argv.slice(1), { encoding: 'utf8', ...options });
}
