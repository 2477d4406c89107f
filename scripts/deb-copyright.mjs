// Writes /usr/share/doc/daxplan/copyright (machine-readable format 1.0) for
// the package `make deb` builds: daxplan's own license, and for daxplan.cjs
// the copyright lines and licenses of every package bundled into it (found by
// esbuild from the build's entry point, so the list cannot drift from what
// the program carries).
//   node scripts/deb-copyright.mjs OUTFILE
import * as fs from 'node:fs';
import * as path from 'node:path';
import { build } from 'esbuild';

const out = process.argv[2];
if (!out) throw new Error('usage: node scripts/deb-copyright.mjs OUTFILE');

// SPDX identifiers as Debian's copyright format spells them.
const DEBIAN_NAMES = { MIT: 'Expat', ISC: 'ISC', 'BSD-2-Clause': 'BSD-2-clause', 'BSD-3-Clause': 'BSD-3-clause', 'Apache-2.0': 'Apache-2.0' };

const { metafile } = await build({ entryPoints: ['src/cli.ts'], bundle: true, platform: 'node', format: 'cjs', write: false, metafile: true, outfile: 'daxplan.cjs', logLevel: 'silent' });
const bundled = [...new Set(Object.keys(metafile.inputs).flatMap((file) => /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(file)?.[1] ?? []))].sort();

/** A license text as the body of a License: field (blank lines become " ."). */
const body = (text) =>
  text
    .trim()
    .split('\n')
    .map((line) => (line.trim() === '' ? ' .' : ` ${line.trimEnd()}`))
    .join('\n');

// Each license's text once, from daxplan's own file or the first bundled package under it (the notices differ, the terms do not).
const own = fs.readFileSync('LICENSE', 'utf8');
// "Copyright (c) 2026 the daxplan authors" -> "2026 the daxplan authors".
const notice = /^Copyright (?:\(c\) )?(.+)$/m.exec(own)?.[1];
if (!notice) throw new Error('LICENSE has no copyright line');
const licenses = new Map([['Expat', own.slice(own.indexOf('Permission is hereby granted'))]]);
const holders = [notice];
for (const name of bundled) {
  const dir = path.join('node_modules', name);
  const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
  const licenseFile = fs.readdirSync(dir).find((f) => /^licen[cs]e(\.md|\.txt)?$/i.test(f));
  if (!licenseFile) throw new Error(`${name}: no license file to copy`);
  const text = fs.readFileSync(path.join(dir, licenseFile), 'utf8').replace(/\\([<>])/g, '$1');
  const license = DEBIAN_NAMES[manifest.license];
  if (!license) throw new Error(`${name}: license ${manifest.license} has no Debian name here; add it to DEBIAN_NAMES`);
  const lines = text.split('\n').filter((line) => /^\s*copyright\s/i.test(line) && !/notice/i.test(line));
  if (lines.length === 0) throw new Error(`${name}: no copyright line in ${licenseFile}`);
  holders.push(...lines.map((line) => `${line.trim().replace(/^copyright\s*(\(c\)\s*)?/i, '')} (${name} ${manifest.version})`));
  if (!licenses.has(license)) licenses.set(license, text.slice(text.indexOf(lines.at(-1)) + lines.at(-1).length));
}
const program = ['Files: usr/lib/daxplan/daxplan.cjs', `Comment: bundles ${bundled.join(', ')}`, `Copyright: ${holders.join('\n ')}`, `License: ${[...licenses.keys()].join(' and ')}`].join('\n');

const header = [
  'Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/',
  'Upstream-Name: daxplan',
  'Upstream-Contact: the daxplan authors',
  '',
  'Files: *',
  `Copyright: ${notice}`,
  'License: Expat',
].join('\n');
const texts = [...licenses].map(([key, text]) => `License: ${key}\n${body(text)}`);
fs.writeFileSync(out, [header, program, ...texts].join('\n\n') + '\n');
