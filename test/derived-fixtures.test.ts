// The derived fixture trees (test/fixtures/derived) are what derive.sh makes
// from the real captures: nobody edits them by hand, and a new capture is
// carried into them by running the script.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { REPO, tempDir } from './support/host.js';

const DERIVED = path.join(REPO, 'test/fixtures/derived');

/** Every entry under `dir`: a file's text, a link's target, a directory's name. */
function listing(dir: string, rel = ''): string[] {
  return fs
    .readdirSync(path.join(dir, rel), { withFileTypes: true })
    .sort((a, b) => (a.name < b.name ? -1 : 1))
    .flatMap((e) => {
      const at = path.join(rel, e.name);
      if (e.isSymbolicLink()) return [`${at} -> ${fs.readlinkSync(path.join(dir, at))}`];
      if (e.isDirectory()) return [`${at}/`, ...listing(dir, at)];
      return [`${at}: ${fs.readFileSync(path.join(dir, at), 'utf8')}`];
    });
}

const derived = suite('derived fixtures');

derived('derive.sh makes exactly the committed trees', () => {
  const out = tempDir();
  const r = spawnSync('sh', [path.join(DERIVED, 'derive.sh'), out], { cwd: REPO, encoding: 'utf8' });
  assert.is(r.status, 0, r.stderr);
  for (const tree of ['famfs-7.3', 'hmem-fallback-cxl-7.3']) assert.equal(listing(path.join(out, tree)), listing(path.join(DERIVED, tree)), tree);
});

derived.run();
