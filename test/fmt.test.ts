// daxplan fmt: a policy in canonical form, meaning unchanged, comments kept.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { run } from './support/cli.js';
import { policyFile, REPO } from './support/host.js';
import { parsePolicy, type Policy } from '../src/policy/parse.js';
import { formatPolicy } from '../src/policy/format.js';

const MESSY = `# yaml-language-server: $schema=../schemas/daxplan.schema.json
rules:   # first match wins
    - state: online_movable
      match: {device: 'dax1.*',   numa_node: [2,3], pci: 0000:0d:00.0, serial: 18446744073709551614}   # the expander
      name: far
    # node 3 stays
    - {name: keep, match: {address: [{end: "0x27fffffff", start: '0x1c0000000'}]}, state: devdax}
version: 1
defaults: {state: unmanaged}
safety:
   on_movable_excess: refuse
   movable_ratio_percent: 200
`;

const CANONICAL = `# yaml-language-server: $schema=../schemas/daxplan.schema.json
version: 1
defaults:
  state: unmanaged
safety:
  movable_ratio_percent: 200
  on_movable_excess: refuse
rules:
  # first match wins
  - name: far
    match:
      numa_node: [2, 3]
      device: "dax1.*"
      serial: 18446744073709551614
      pci: "0000:0d:00.0"
      # the expander
    state: online_movable
  # node 3 stays
  - name: keep
    match:
      address:
        - {start: "0x1c0000000", end: "0x27fffffff"}
    state: devdax
`;

/** What a policy means: everything but where its rules are written. */
function meaning(text: string): Omit<Policy, 'rules'> & { rules: unknown[] } {
  const result = parsePolicy(text, 'p.yaml');
  if (!result.ok) throw new Error(result.errors.map((e) => e.message).join('; '));
  const { rules, ...rest } = result.policy;
  return { ...rest, rules: rules.map(({ line: _line, col: _col, ...r }) => r) };
}

const fmt = suite('fmt: canonical form');

fmt('key order, quoting, indentation; comments kept; the meaning unchanged, 64-bit serials exact', () => {
  const out = formatPolicy(MESSY);
  assert.fixture(out, CANONICAL);
  assert.equal(meaning(out), meaning(MESSY));
  assert.is(formatPolicy(out), out, 'idempotent');
});

fmt('every bundled example is canonical, and formatting keeps its meaning', () => {
  for (const dir of fs.readdirSync(path.join(REPO, 'examples'))) {
    const file = path.join(REPO, 'examples', dir, 'daxplan.yaml');
    if (!fs.existsSync(file)) continue;
    const text = fs.readFileSync(file, 'utf8');
    assert.is(formatPolicy(text), text, dir);
    assert.equal(meaning(formatPolicy(text)), meaning(text));
  }
});

fmt('--check: a diff and exit 1 when not canonical, writing nothing; 0 when canonical', async () => {
  const file = policyFile(MESSY);
  const r = await run(['fmt', '--check', file]);
  assert.is(r.code, 1);
  assert.match(r.stdout, `+++ ${file} (daxplan fmt)`);
  assert.match(r.stdout, '+  - name: far');
  assert.is(r.stderr, `daxplan: 1 of 1 policy is not in canonical form: run 'daxplan fmt --write ${file}'\n`);
  assert.is(fs.readFileSync(file, 'utf8'), MESSY);
  assert.equal(await run(['fmt', '--check', policyFile(CANONICAL)]), { code: 0, stdout: '', stderr: '' });
});

fmt('prints without --write; rewrites in place only with --write (-w)', async () => {
  const file = policyFile(MESSY);
  assert.equal(await run(['fmt', file]), { code: 0, stdout: CANONICAL, stderr: '' });
  assert.is(fs.readFileSync(file, 'utf8'), MESSY);
  assert.equal(await run(['fmt', '-w', file]), { code: 0, stdout: `${file}: rewritten in canonical form\n`, stderr: '' });
  assert.is(fs.readFileSync(file, 'utf8'), CANONICAL);
});

fmt('an invalid policy is not formatted (exit 65 with the diagnostic), nor a JSON one (64)', async () => {
  const file = policyFile('version: 1\nrules:\n  - name: a\n    match: { serail: 1 }\n    state: online\n');
  const r = await run(['fmt', '-w', file]);
  assert.is(r.code, 65);
  assert.match(r.stderr, 'rules[0].match.serail: unknown key (did you mean "serial"?)');
  assert.match(fs.readFileSync(file, 'utf8'), 'serail');
  assert.is((await run(['fmt', '--check', '--write', file])).code, 64);
  const json = policyFile('{"version": 1, "rules": []}\n', 'daxplan.json');
  const refused = await run(['fmt', '-w', json]);
  assert.equal([refused.code, refused.stderr], [64, `daxplan: ${json}: fmt writes YAML, and this policy is JSON: keep it as it is, or rename it .yaml first\n`]);
  assert.is(fs.readFileSync(json, 'utf8'), '{"version": 1, "rules": []}\n');
});

fmt.run();
