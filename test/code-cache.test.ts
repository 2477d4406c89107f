// dist/daxplan.cjs takes V8's compiled code from daxplan.cache beside it only
// when root or the running user alone can have written it (scripts/launcher.cjs).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { REPO, tempDir } from './support/host.js';
import { AS_NOBODY, NOBODY } from './support/nobody.js';
import { NOT_ROOT, unless } from './support/skip.js';

const DIST = path.join(REPO, 'dist');
const built = fs.existsSync(path.join(DIST, 'daxplan.cjs')) && fs.existsSync(path.join(DIST, 'daxplan.cache'));
const NOT_BUILT = built ? undefined : 'run npm run build';

/** A copy of the built entry and its cache in a fresh directory (mode 0755). */
function install(): string {
  const dir = path.join(tempDir(), 'lib');
  fs.mkdirSync(dir, { mode: 0o755 });
  fs.chmodSync(dir, 0o755);
  fs.chmodSync(path.dirname(dir), 0o755);
  fs.copyFileSync(path.join(DIST, 'daxplan.cjs'), path.join(dir, 'daxplan.cjs'));
  fs.copyFileSync(path.join(DIST, 'daxplan.cache'), path.join(dir, 'daxplan.cache'));
  fs.chmodSync(path.join(dir, 'daxplan.cache'), 0o644);
  return dir;
}

function version(dir: string, as: string[] = []): { cache: string; stdout: string; status: number | null } {
  const argv = [...as, process.execPath, path.join(dir, 'daxplan.cjs'), '--version'];
  const r = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8', env: { ...process.env, DAXPLAN_DEBUG_CODE_CACHE: '1' } });
  return { cache: /code cache (.*)/.exec(r.stderr)?.[1] ?? `no report: ${r.stderr}`, stdout: r.stdout, status: r.status };
}

const cache = suite('code cache');

unless(cache, NOT_BUILT)('a cache only root or this user can write is used', () => {
  const r = version(install());
  assert.is(r.cache, 'used');
  assert.match(r.stdout, /^daxplan \d/);
});

unless(cache, NOT_BUILT)('a group- or world-writable cache, or one in such a directory, is not used; daxplan still runs', () => {
  for (const [target, mode] of [
    ['daxplan.cache', 0o664],
    ['daxplan.cache', 0o646],
    ['.', 0o775],
    ['.', 0o757],
  ] as const) {
    const dir = install();
    fs.chmodSync(path.join(dir, target), mode);
    const r = version(dir);
    assert.is(r.cache, 'not used', `${target} mode ${mode.toString(8)}`);
    assert.is(r.status, 0);
    assert.match(r.stdout, /^daxplan \d/);
  }
});

unless(cache, NOT_BUILT)('a symlinked cache is not used', () => {
  const dir = install();
  fs.renameSync(path.join(dir, 'daxplan.cache'), path.join(dir, 'real.cache'));
  fs.symlinkSync('real.cache', path.join(dir, 'daxplan.cache'));
  assert.is(version(dir).cache, 'not used');
});

unless(cache, NOT_BUILT)("another build's cache is not used; a damaged one is rejected by V8", () => {
  const dir = install();
  const file = path.join(dir, 'daxplan.cache');
  const data = fs.readFileSync(file);
  fs.writeFileSync(file, Buffer.concat([Buffer.from('daxplan code cache 000000000000000000000000\n'), data.subarray(data.indexOf(10) + 1)]));
  assert.is(version(dir).cache, 'not used');
  const header = data.subarray(0, data.indexOf(10) + 1);
  fs.writeFileSync(file, Buffer.concat([header, Buffer.alloc(data.length - header.length, 0x5a)]));
  const r = version(dir);
  assert.is(r.cache, 'rejected by V8');
  assert.is(r.status, 0);
});

unless(cache, NOT_BUILT ?? NOT_ROOT)('as root, a cache owned by another user is not used; that user trusts a root-owned one', () => {
  const dir = install();
  fs.chownSync(path.join(dir, 'daxplan.cache'), NOBODY, NOBODY);
  assert.is(version(dir).cache, 'not used');
  const mine = install();
  assert.is(version(mine, AS_NOBODY).cache, 'used');
});

cache.run();
