import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parsePolicy } from '../src/policy/parse.js';
import { formatDiagnostic } from '../src/model/errors.js';
import { loadPolicy } from '../src/cli/policy.js';
import { REPO, tempDir } from './support/host.js';
import { AS_NOBODY, NOBODY, runAsNobody } from './support/nobody.js';

function errors(text: string): string[] {
  const result = parsePolicy(text, 'policy.yaml');
  return result.ok ? [] : result.errors.map(formatDiagnostic);
}

function warnings(text: string): string[] {
  const result = parsePolicy(text, 'policy.yaml');
  return result.warnings.map(formatDiagnostic);
}

const lint = suite('policy: validation and lints');

lint('a wrong state names file, line, column, path and the allowed values', () => {
  assert.equal(errors('version: 1\nrules:\n  - name: a\n    match: { numa_node: 2 }\n    state: movable\n'), [
    'policy.yaml:5:12: rules[0].state: must be one of unplug, online, online_movable, devdax, famfs',
  ]);
});

lint('an unknown key points at the key itself', () => {
  assert.equal(errors('version: 1\nrules:\n  - name: a\n    match:\n      numa_nodes: 2\n    state: online\n'), [
    'policy.yaml:5:7: rules[0].match.numa_nodes: unknown key (did you mean "numa_node"?)',
  ]);
  assert.equal(errors('version: 1\nrule: []\nrules: []\n'), ['policy.yaml:2:1: rule: unknown key (did you mean "rules"?)']);
});

lint('types and required keys', () => {
  assert.equal(errors('version: 1\nrules:\n  - name: a\n    match: { numa_node: [1, two] }\n    state: online\n'), [
    'policy.yaml:4:29: rules[0].match.numa_node[1]: must be an integer',
  ]);
  assert.equal(errors('version: 1\nrules:\n  - name: a\n    state: online\n'), ['policy.yaml:3:5: rules[0]: missing required key "match"']);
  assert.equal(errors('version: 2\nrules: []\n'), ['policy.yaml:1:10: version: must be 1']);
  assert.equal(errors('version: 1\nrules:\n  - name: a\n    match: { uuid: not-a-uuid }\n    state: online\n').length, 1);
});

lint('duplicate rule names', () => {
  const text = 'version: 1\nrules:\n  - name: a\n    match: { numa_node: 1 }\n    state: online\n  - name: a\n    match: { numa_node: 2 }\n    state: online\n';
  assert.equal(errors(text), ['policy.yaml:6:11: rules[1].name: duplicate rule name "a" (first used by rules[0])']);
});

lint('an empty match is refused', () => {
  assert.equal(errors('version: 1\nrules:\n  - name: a\n    match: {}\n    state: online\n'), [
    'policy.yaml:4:12: rules[0].match: empty match would take every device; say `device: "*"` if that is meant',
  ]);
});

lint('a rule shadowed by an earlier one is a warning', () => {
  const text = `version: 1
rules:
  - name: far
    match: { numa_node: [1, 2] }
    state: online_movable
  - name: node2
    match: { numa_node: 2, tier: 22 }
    state: online
  - name: dax1
    match: { device: "dax1.0" }
    state: online
  - name: all
    match: { device: "dax*" }
    state: online
  - name: dax1-again
    match: { device: dax1.0 }
    state: unplug
`;
  assert.equal(errors(text), []);
  assert.equal(warnings(text), [
    'policy.yaml:6:5: warning: rules[1]: rule "node2" is shadowed by earlier rule "far" (line 3) and never decides a device',
    'policy.yaml:15:5: warning: rules[4]: rule "dax1-again" is shadowed by earlier rule "dax1" (line 9) and never decides a device',
  ]);
});

lint('a narrower earlier rule does not shadow a wider later one', () => {
  const text = 'version: 1\nrules:\n  - name: a\n    match: { numa_node: 2, tier: 22 }\n    state: online\n  - name: b\n    match: { numa_node: 2 }\n    state: unplug\n';
  assert.equal(warnings(text), []);
});

lint('YAML syntax errors and duplicate keys carry positions', () => {
  assert.match(errors('version: 1\nrules: [\n')[0], /^policy\.yaml:3:1: /);
  assert.match(errors('version: 1\nversion: 1\nrules: []\n')[0], /^policy\.yaml:2:1: key "version" is given twice in one mapping: keep one of them$/);
});

lint('an unquoted * (YAML alias mark) says to quote it, in block and flow style', () => {
  assert.equal(errors('version: 1\nrules:\n  - name: a\n    match:\n      device: *\n    state: online\n'), ['policy.yaml:5:15: an unquoted * starts a YAML alias; quote it: device: "*"']);
  assert.equal(errors('version: 1\nrules:\n  - name: a\n    match: { device: dax*, numa_node: 1 }\n    state: online\n'), []);
  assert.equal(errors('version: 1\nrules:\n  - name: a\n    match: { device: *.0 }\n    state: online\n'), ['policy.yaml:4:22: an unquoted * starts a YAML alias; quote it: device: "*.0"']);
});

lint('an unknown state or key names the likely one', () => {
  assert.equal(errors('version: 1\nrules:\n  - name: a\n    match: { serail: 0x1234abcd }\n    state: onlin\n'), [
    'policy.yaml:4:14: rules[0].match.serail: unknown key (did you mean "serial"?)',
    'policy.yaml:5:12: rules[0].state: must be one of unplug, online, online_movable, devdax, famfs (did you mean "online"?)',
  ]);
});

lint('aliases are refused (no billion laughs)', () => {
  assert.equal(errors('version: 1\nrules: &a []\nx: *a\n'), ['policy.yaml:3:4: YAML aliases (*name) are not allowed in a policy']);
});

lint.run();

const files = suite('policy: files');

files('every bundled example is a valid policy without warnings', () => {
  const examples = fs.readdirSync(path.join(REPO, 'examples'), { withFileTypes: true }).filter((e) => e.isDirectory() && fs.existsSync(path.join(REPO, 'examples', e.name, 'daxplan.yaml')));
  assert.ok(examples.length >= 3, 'at least three examples');
  for (const e of examples) {
    const loaded = loadPolicy({ config: path.join(REPO, 'examples', e.name, 'daxplan.yaml'), asRoot: false });
    assert.equal(loaded.warnings, [], e.name);
  }
});

files('as root, a policy a non-root user can write is refused with the fix', () => {
  const dir = tempDir();
  const file = path.join(dir, 'daxplan.yaml');
  fs.writeFileSync(file, 'version: 1\nrules: []\n');
  fs.chmodSync(file, 0o666);
  assert.throws(() => loadPolicy({ config: file, asRoot: true }), /non-root user can write.*chmod go-w/);
});

// Changing a file's owner takes root: elsewhere this reports skipped.
(process.getuid?.() === 0 ? files : files.skip)('as root, a policy another user owns is refused; one root owns is read', () => {
  const file = path.join(tempDir(), 'daxplan.yaml');
  fs.writeFileSync(file, 'version: 1\nrules: []\n');
  fs.chownSync(file, 1000, 1000);
  assert.throws(() => loadPolicy({ config: file, asRoot: true }), /owner uid 1000/);
  fs.chownSync(file, 0, 0);
  assert.is(loadPolicy({ config: file, asRoot: true }).policy.rules.length, 0);
});

files('a policy behind a symlink is refused', () => {
  const dir = tempDir();
  fs.writeFileSync(path.join(dir, 'real.yaml'), 'version: 1\nrules: []\n');
  fs.symlinkSync('real.yaml', path.join(dir, 'daxplan.yaml'));
  assert.throws(() => loadPolicy({ config: path.join(dir, 'daxplan.yaml'), asRoot: false }), /symbolic link/);
});

files('discovery finds daxplan.yaml upwards from the working directory and never loads JS', () => {
  const dir = tempDir();
  fs.mkdirSync(path.join(dir, 'a/b'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'daxplan.config.js'), 'throw new Error("executed")');
  fs.writeFileSync(path.join(dir, '.daxplanrc.js'), 'throw new Error("executed")');
  fs.writeFileSync(path.join(dir, 'daxplan.yaml'), 'version: 1\nrules:\n  - name: x\n    match: { numa_node: 1 }\n    state: online\n');
  const loaded = loadPolicy({ cwd: path.join(dir, 'a/b'), asRoot: false });
  assert.is(loaded.policy.rules[0].name, 'x');
  assert.is(loaded.policy.file, path.join(dir, 'daxplan.yaml'));
});

files('the search only looks for names: a config file of another tool in the working directory is never run; an empty candidate is passed over', () => {
  const dir = tempDir();
  fs.mkdirSync(path.join(dir, '.config'));
  const ran = path.join(dir, 'ran');
  fs.writeFileSync(path.join(dir, '.config/config.cjs'), `require('fs').writeFileSync(${JSON.stringify(ran)}, 'x'); module.exports = {};`);
  fs.writeFileSync(path.join(dir, 'daxplan.yml'), '');
  fs.writeFileSync(path.join(dir, '.daxplan.yaml'), 'version: 1\nrules: []\n');
  // Root never searches (only --config or /etc/daxplan): the search is a normal user's, who owns the directory.
  if (AS_NOBODY.length) for (const f of ['', '.config', '.config/config.cjs', 'daxplan.yml', '.daxplan.yaml']) fs.chownSync(path.join(dir, f), NOBODY, NOBODY);
  const tmpMode = fs.statSync(path.dirname(dir)).mode;
  const r = runAsNobody(['validate'], { cwd: dir, env: { ...process.env, HOME: dir } });
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stdout + r.stderr, '.daxplan.yaml');
  assert.not.ok(fs.existsSync(ran), 'a file in the working directory was run');
  assert.is(fs.statSync(path.dirname(dir)).mode, tmpMode, 'the temp directory itself is left as it was (a chmod 0755 of /tmp locks every other user out)');
});

files.run();

const sandbox = suite('policy: search in a sandbox');

sandbox('a home directory the search may not read is passed over, not a crash', () => {
  const locked = tempDir();
  fs.mkdirSync(path.join(locked, '.config'));
  fs.chmodSync(locked, 0o700);
  const cwd = tempDir();
  fs.chmodSync(cwd, 0o755);
  const r = runAsNobody(['validate'], { cwd, env: { ...process.env, HOME: locked, XDG_CONFIG_HOME: path.join(locked, '.config') } });
  assert.not.match(r.stderr, 'internal error');
  assert.match(r.stderr, 'no policy found');
  assert.is(r.status, 65);
});

sandbox.run();
