// The snapshots a fleet plan reads: each --state names a snapshot file or a
// directory of them (its *.json files, not its subdirectories). Each file is
// then read as any snapshot is: vetted, bounded, checked against the schema.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '../model/errors.js';

/** The snapshot files `paths` name, directories expanded in name order (numbers by value: host-2 before host-10). */
export function snapshotFiles(paths: readonly string[]): string[] {
  return paths.flatMap((path) => (isDirectory(path) ? jsonFilesIn(path) : [path]));
}

/** Whether `paths` is a fleet (several snapshots, or a directory of them) rather than one snapshot. */
export function isFleet(paths: readonly string[]): boolean {
  return paths.length > 1 || paths.some(isDirectory);
}

function jsonFilesIn(dir: string): string[] {
  const names = readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.json') && !e.name.startsWith('.'))
    .map((e) => e.name)
    .sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  if (names.length === 0) throw new UsageError(`--state ${dir}: no snapshots (*.json) in this directory (make them with daxplan snapshot > HOST.json)`);
  return names.map((name) => join(dir, name));
}

function isDirectory(path: string): boolean {
  return statSync(path, { throwIfNoEntry: false })?.isDirectory() ?? false;
}
