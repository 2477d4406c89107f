// Writes dist/daxplan.cache: V8's compiled code for the program that
// dist/daxplan.cjs carries, taken after running a few typical commands in
// this process, so that it holds the functions a run really calls (V8
// compiles functions lazily; a cache made right after compiling would hold
// little more than the top level). dist/daxplan.cjs uses the cache when its
// header matches and V8 accepts it (same node, same flags); see
// scripts/launcher.cjs for when it is trusted.
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Script } from 'node:vm';

const EXAMPLE = 'examples/debian-6.12-qemu';

/** The commands run to warm the cache: what udev, boot and people run most. */
function warmups(tmp) {
  const policy = path.resolve(EXAMPLE, 'daxplan.yaml');
  const sys = path.resolve(EXAMPLE, 'host/sys');
  const copy = path.join(tmp, 'sys');
  fs.cpSync(sys, copy, { recursive: true, verbatimSymlinks: true });
  const searched = path.join(tmp, 'cwd');
  fs.mkdirSync(searched);
  fs.copyFileSync(policy, path.join(searched, 'daxplan.yaml'));
  return [
    { argv: ['plan', '-c', policy, '--sysfs-root', sys] },
    { argv: ['status', '--sysfs-root', sys] },
    // Root never searches for the policy (only --config or /etc/daxplan/daxplan.yaml): the search is a normal user's path.
    ...(process.geteuid?.() === 0 ? [] : [{ argv: ['plan', '--sysfs-root', sys, '--format', 'json'], cwd: searched }]),
    { argv: ['validate', '-c', policy, '--sysfs-root', sys] },
    { argv: ['apply', '--dry-run', '-c', policy, '--sysfs-root', copy, '--trigger', 'udev'] },
    { argv: ['status', '--sysfs-root', copy, '--format', 'json'] },
    { argv: ['--help'] },
  ];
}

/** Runs the program once per warm-up (output discarded), then writes header + cache to `cacheFile`. */
export async function writeCodeCache({ program, header, entry, cacheFile }) {
  fs.rmSync(cacheFile, { force: true });
  const script = new Script(program, { filename: entry });
  const run = script.runInThisContext();
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'daxplan-code-cache-'));
  const saved = { argv: process.argv, cwd: process.cwd(), out: process.stdout.write, err: process.stderr.write };
  const failed = [];
  try {
    for (const { argv, cwd } of warmups(tmp)) {
      process.argv = [process.execPath, entry, ...argv];
      process.exitCode = undefined;
      process.chdir(cwd ?? saved.cwd);
      process.stdout.write = process.stderr.write = () => true;
      try {
        run(createRequire(entry), pathToFileURL(entry).href, entry);
        // The program sets process.exitCode when its command is done.
        for (let waited = 0; process.exitCode === undefined && waited < 20000; waited += 5) await new Promise((r) => setTimeout(r, 5));
      } finally {
        process.stdout.write = saved.out;
        process.stderr.write = saved.err;
      }
      if (process.exitCode !== 0 && process.exitCode !== 2) failed.push(`${argv.join(' ')} (exit ${process.exitCode})`);
    }
  } finally {
    process.argv = saved.argv;
    process.chdir(saved.cwd);
    process.exitCode = 0;
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  const data = script.createCachedData();
  if (new Script(program, { filename: entry, cachedData: data }).cachedDataRejected) throw new Error('V8 rejects the code cache it just made');
  fs.writeFileSync(cacheFile, Buffer.concat([Buffer.from(header, 'latin1'), data]), { mode: 0o644 });
  return { bytes: data.length, failed };
}
