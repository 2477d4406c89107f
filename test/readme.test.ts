// The README's examples are held to the tool: every `$ daxplan ...` (or
// `$ node dist/daxplan.cjs ...`) block is run on the bundled trees and must
// print exactly what the README shows; the shell blocks that try daxplan
// run and succeed; every synopsis names only flags the command has, and
// every flag of a command is in its section.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { REPO, tempDir } from './support/host.js';
import { COMMANDS } from '../src/cli/main.js';
import { SHARED } from '../src/cli/args.js';

const README = fs.readFileSync(path.join(REPO, 'README.md'), 'utf8');
const BIN = path.join(REPO, 'dist/daxplan.cjs');

/** Fenced blocks: their info string and lines. */
const blocks = [...README.matchAll(/^```(\w*)\n([\s\S]*?)^```$/gm)].map((m) => ({ lang: m[1], lines: m[2].replace(/\n$/, '').split('\n') }));

/** Words of a command line as a shell splits them (the README's examples quote with '' or "" only). */
function argv(line: string): string[] {
  return [...line.matchAll(/'([^']*)'|"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2] ?? m[3]);
}

function daxplan(args: string[]) {
  return spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', cwd: REPO, env: { PATH: process.env.PATH, NO_COLOR: '1' } });
}

const readme = suite('README: examples agree with the tool');

readme('every "$ daxplan" example prints what the README shows, byte for byte', () => {
  const examples = blocks.filter((b) => /^\$ (daxplan|node dist\/daxplan\.cjs) /.test(b.lines[0]));
  assert.ok(examples.length >= 4, `found ${examples.length}`);
  for (const { lines } of examples) {
    const [command, ...shown] = lines;
    // "2>&1": standard error is shown too (daxplan writes it before its standard output).
    const merged = command.endsWith(' 2>&1');
    const args = argv(command.replace(/^\$ (daxplan|node dist\/daxplan\.cjs) /, '').replace(/ 2>&1$/, ''));
    const r = daxplan(args);
    if (!merged) assert.is(r.stderr, '', command);
    assert.fixture((merged ? r.stderr : '') + r.stdout, shown.join('\n') + '\n', command);
  }
});

readme('the shell blocks that run daxplan without root succeed as written (temporary paths moved aside)', () => {
  const scratch = tempDir();
  const scripts = blocks.filter((b) => b.lang === 'sh' && b.lines.some((l) => /(^|&& )node dist\/daxplan/.test(l)) && !b.lines.some((l) => l.startsWith('sudo ')));
  assert.ok(scripts.length >= 2);
  for (const { lines } of scripts) {
    // `npm ci && npm run build &&` has been done by the test run: the daxplan part alone.
    const script = lines
      .filter((l) => !l.startsWith('#') && l.trim())
      .map((l) => l.replace(/^npm ci && (npm run build && )?/, '').replace(/\/tmp\/host/g, path.join(scratch, 'host')))
      .filter((l) => !l.startsWith('npm '));
    const r = spawnSync('bash', ['-euo', 'pipefail', '-c', script.join('\n')], { encoding: 'utf8', cwd: REPO, env: { PATH: process.env.PATH, NO_COLOR: '1' } });
    assert.is(r.status, 0, `${script.join('\n')}\n${r.stderr}`);
  }
});

readme('every synopsis names only flags its command has, and each command\'s section names every flag it takes', () => {
  const names = COMMANDS.map((c) => c.name);
  for (const { lines } of blocks)
    for (const line of lines) {
      const name = /^daxplan ([a-z]+)\b/.exec(line)?.[1];
      if (!name || !names.includes(name)) continue;
      const command = COMMANDS.find((c) => c.name === name)!;
      const flags = new Set(Object.keys({ ...command.options, ...SHARED }));
      for (const [, flag] of line.matchAll(/--([a-z][a-z-]*)/g)) assert.ok(flags.has(flag), `README: "${line}": ${name} has no --${flag}`);
    }
  for (const command of COMMANDS) {
    const heading = README.search(new RegExp(`^### .*\`daxplan ${command.name}\``, "m"));
    assert.ok(heading >= 0, `README has a section for daxplan ${command.name}`);
    const next = README.indexOf('\n## ', heading + 1);
    const nextSub = README.indexOf('\n### ', heading + 1);
    const section = README.slice(heading, Math.min(...[next, nextSub].filter((i) => i > 0)));
    for (const flag of Object.keys(command.options)) assert.match(section, `--${flag}`, `README's daxplan ${command.name} section names --${flag}`);
  }
});

readme.run();

const fields = suite('schemas, man page and README agree on every field');

/** Every property name a schema file declares, at any depth (NODE stands for a map's keys). */
function propertyNames(schema: unknown, out = new Set<string>()): Set<string> {
  if (Array.isArray(schema)) schema.forEach((s) => propertyNames(s, out));
  else if (schema && typeof schema === 'object')
    for (const [key, value] of Object.entries(schema)) {
      if (key === 'properties') for (const name of Object.keys(value as object)) out.add(name);
      propertyNames(value, out);
    }
  return out;
}

fields('every field of every published output schema is in daxplan(8) and in the README', () => {
  const man = fs.readFileSync(path.join(REPO, 'dist/man/daxplan.8'), 'utf8').replace(/\\-/g, '-');
  const schemas = fs.readdirSync(path.join(REPO, 'schemas')).filter((f) => f.endsWith('.schema.json') && f !== 'daxplan.schema.json');
  for (const file of schemas) {
    if (file !== 'common.schema.json') assert.match(man, `(${file})`, `daxplan(8) lists ${file}`);
    for (const name of propertyNames(JSON.parse(fs.readFileSync(path.join(REPO, 'schemas', file), 'utf8')))) {
      assert.match(man, new RegExp(`[ (]${name}(\\[\\]|[,) ]|$)`, 'm'), `daxplan(8) names ${file}'s ${name}`);
      assert.match(README, new RegExp(`\\b${name}\\b`), `README names ${file}'s ${name}`);
    }
  }
});

fields('the policy\'s safety.movable_ratio_percent is described as the code computes it: host-wide kernel memory, not per node', () => {
  const policy = JSON.parse(fs.readFileSync(path.join(REPO, 'schemas/daxplan.schema.json'), 'utf8'));
  const text = policy.properties.safety.properties.movable_ratio_percent.description as string;
  assert.match(text, 'across all nodes');
  assert.not.match(text, /a node may have/);
  assert.match(fs.readFileSync(path.join(REPO, 'dist/man/daxplan.yaml.5'), 'utf8'), 'across all nodes');
});

fields.run();
