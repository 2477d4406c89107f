// Temporary sysfs trees for tests: generated from a compact description, or
// copied from a fixture, and removed when the process exits.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { writeHost, type HostSpec } from '../sim/tree.js';
import { SIM_CONFIG, type SimConfig } from '../sim/kernel.js';

const made: string[] = [];
process.on('exit', () => {
  for (const dir of made) fs.rmSync(dir, { recursive: true, force: true });
});

export function tempDir(prefix = 'daxplan-test-'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  made.push(dir);
  return dir;
}

/** A generated host; returns the sysfs root. */
export function host(spec: HostSpec, sim?: SimConfig): string {
  const root = path.join(tempDir(), 'sys');
  writeHost(root, spec);
  fs.writeFileSync(path.join(root, SIM_CONFIG), JSON.stringify(sim ?? {}));
  return root;
}

export const REPO = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
/** The tree Debian's 6.12 kernel wrote (captured under QEMU), bundled as the example host. */
export const REAL_612 = path.resolve(REPO, 'examples/debian-6.12-qemu/host/sys');

/** A writable copy of a fixture tree (symlinks kept). */
export function copyTree(src: string): string {
  const root = path.join(tempDir(), 'sys');
  fs.cpSync(src, root, { recursive: true, verbatimSymlinks: true });
  for (const f of walk(root)) fs.chmodSync(f, fs.statSync(f).isDirectory() ? 0o755 : 0o644);
  return root;
}

function* walk(dir: string): Generator<string> {
  yield dir;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) yield* walk(p);
    else if (!e.isSymbolicLink()) yield p;
  }
}

/** Writes a policy file and returns its path. */
export function policyFile(text: string, name = 'daxplan.yaml'): string {
  const file = path.join(tempDir(), name);
  fs.writeFileSync(file, text);
  return file;
}

/** Every file of a tree and its content (links as their target): equal digests, an untouched tree. */
export function treeDigest(root: string): string {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else out.push(`${path.relative(root, p)}=${e.isSymbolicLink() ? '->' + fs.readlinkSync(p) : fs.readFileSync(p, 'utf8')}`);
    }
  };
  walk(root);
  return out.join('\n');
}
