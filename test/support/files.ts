// A host's files other than sysfs (/etc, /usr/lib, /proc/cmdline ...) for
// tests: the generated sysfs tree lives in ROOT/sys, these in ROOT.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { host } from './host.js';
import type { HostSpec } from '../sim/tree.js';

/** A generated host; returns its root (sysfs is ROOT/sys). */
export function hostRoot(spec: HostSpec): { root: string; sys: string } {
  const sys = host(spec);
  return { root: path.dirname(sys), sys };
}

/** Writes files (root-relative path -> content) under root. */
export function writeFiles(root: string, files: Record<string, string>): void {
  for (const [rel, content] of Object.entries(files)) {
    const abs = path.join(root, rel);
    fs.mkdirSync(path.dirname(abs), { recursive: true });
    fs.writeFileSync(abs, content);
  }
}
