// The man pages and the bash completion the build generates (scripts/gen-docs.ts)
// say what the built program says: daxplan(8) has every command's usage,
// text and options as its --help prints them, daxplan.yaml(5) every key and
// value of the policy schema, and the completion offers what the commands take.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { REPO } from './support/host.js';
import { missingCommand, unless } from './support/skip.js';

const BIN = path.join(REPO, 'dist/daxplan.cjs');
const MAN8 = path.join(REPO, 'dist/man/daxplan.8');
const MAN5 = path.join(REPO, 'dist/man/daxplan.yaml.5');
const COMPLETION = path.join(REPO, 'dist/completion/daxplan');
const EXAMPLE = path.join(REPO, 'examples/debian-6.12-qemu/host/sys');

/** Words separated by single spaces, typographic quotes and dashes as ASCII: text that wrapped differently compares equal. */
const words = (text: string) => text.replace(/[\u2018\u2019]/g, "'").replace(/[\u2010\u2212]/g, '-').replace(/\s+/g, ' ').trim();

const NO_GROFF = missingCommand('groff');
const renderings = new Map<string, string>();

/** The page as groff renders it, once per page. */
function rendered(page: string): string {
  let text = renderings.get(page);
  if (text === undefined) {
    const r = spawnSync('groff', ['-man', '-Tutf8', '-P-cbou', '-ww', page], { encoding: 'utf8' });
    assert.is(r.error, undefined, `groff: ${r.error}`);
    assert.is(r.stderr, '', `groff warns about ${page}`);
    text = words(r.stdout);
    renderings.set(page, text);
  }
  return text;
}

function cli(...args: string[]): string {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8' });
  assert.is(r.status, 0, r.stderr);
  return r.stdout;
}

const COMMANDS = cli('--help')
  .split('\n')
  .map((l) => /^ {2}([a-z]+) {2,}/.exec(l)?.[1])
  .filter((c): c is string => c !== undefined);

const man = suite('man pages');

unless(man, NO_GROFF)('daxplan(8) has each command of daxplan --help with its usage, text and every option as --help says them', () => {
  const page = rendered(MAN8);
  assert.ok(COMMANDS.length >= 10, COMMANDS.join(' '));
  for (const command of COMMANDS) {
    const help = cli(command, '--help');
    const start = page.indexOf(` ${command} daxplan ${command} `);
    assert.ok(start >= 0, `no section for ${command}`);
    const next = COMMANDS.map((c) => page.indexOf(` ${c} daxplan ${c} `, start + 1)).filter((i) => i > start);
    const section = page.slice(start, Math.min(page.indexOf(' EXIT STATUS '), ...next));
    const [usage, ...rest] = help.split('\n\n');
    assert.ok(section.includes(words(usage.replace(/^Usage: /, ''))), `${command}: usage`);
    const options = rest.pop()!;
    for (const paragraph of rest) assert.ok(section.includes(words(paragraph)), `${command}: "${paragraph.slice(0, 60)}…"`);
    for (const option of options.replace(/^Options:\n/, '').split(/\n(?= {2}\S)/)) assert.ok(section.includes(words(option)), `${command}: option ${words(option)}`);
  }
});

unless(man, NO_GROFF)('daxplan(8) lists the exit codes of daxplan --help and the environment', () => {
  const page = rendered(MAN8);
  const codes = [...cli('--help').matchAll(/\b(\d+) [A-Za-z]/g)].map((m) => m[1]).filter((c) => Number(c) < 100);
  assert.ok(codes.includes('69') && codes.includes('64'), codes.join(' '));
  const status = page.slice(page.indexOf(' EXIT STATUS '), page.indexOf(' ENVIRONMENT '));
  for (const code of new Set(codes)) assert.match(status, new RegExp(` ${code} `));
  assert.match(page, 'NO_COLOR');
});

unless(man, NO_GROFF)('daxplan.yaml(5) documents every key and value of the policy schema, the search order and an example', () => {
  const page = rendered(MAN5);
  const schema = JSON.parse(fs.readFileSync(path.join(REPO, 'schemas/daxplan.schema.json'), 'utf8'));
  const keys = ['version', 'defaults.state', 'tiers', 'safety.movable_ratio_percent', 'safety.on_movable_excess', 'kernel.auto_online_blocks', 'rules', 'rules[].name', 'rules[].match.uuid', 'rules[].match.numa_node', 'rules[].match.tier', 'rules[].match.device', 'rules[].state'];
  for (const key of keys) assert.match(page, ` ${key} (`);
  const values = [...schema.properties.defaults.properties.state.enum, ...schema.properties.kernel.properties.auto_online_blocks.enum, ...schema.properties.safety.properties.on_movable_excess.enum];
  for (const value of values) assert.match(page, value);
  assert.match(page, 'daxplan.yml, .daxplan.yaml');
  assert.match(page, '/etc/daxplan/daxplan.yaml');
  assert.match(page, 'state: online_movable');
});

man('the README\'s example plan is what daxplan prints for it, byte for byte', () => {
  const readme = fs.readFileSync(path.join(REPO, 'README.md'), 'utf8');
  const command = 'node dist/daxplan.cjs plan -c examples/debian-6.12-qemu/daxplan.yaml --sysfs-root examples/debian-6.12-qemu/host/sys';
  const start = readme.indexOf(`$ ${command}\n`) + command.length + 3;
  assert.ok(start > command.length + 2, 'the example is in README.md');
  const shown = readme.slice(start, readme.indexOf('```', start));
  const r = spawnSync(process.execPath, command.split(' ').slice(1), { encoding: 'utf8', cwd: REPO, env: { ...process.env, NO_COLOR: '1' } });
  assert.is(r.status, 0, r.stderr);
  assert.fixture(r.stdout, shown);
});

man.run();

const complete = suite('bash completion');

/** What completing the last word of `line` offers. */
function completions(...line: string[]): string[] {
  const script = `source ${JSON.stringify(COMPLETION)}; COMP_WORDS=("$@"); COMP_CWORD=$((\${#COMP_WORDS[@]} - 1)); _daxplan; printf '%s\\n' "\${COMPREPLY[@]}"`;
  const r = spawnSync('bash', ['-c', script, 'bash', ...line], { encoding: 'utf8', cwd: REPO });
  assert.is(r.status, 0, r.stderr);
  return r.stdout.split('\n').filter(Boolean);
}

complete('commands, then each command\'s own flags', () => {
  assert.equal(completions('daxplan', ''), [...COMMANDS, '--help', '--version']);
  assert.equal(completions('daxplan', 'di'), ['diff', 'disable']);
  assert.equal(completions('daxplan', 'apply', '--auto'), ['--auto-approve']);
  assert.equal(completions('daxplan', 'status', '--auto'), []);
  assert.ok(completions('daxplan', 'plan', '--').includes('--detailed-exitcode'));
});

complete('--format and --trigger offer their values; file and directory flags complete paths', () => {
  assert.equal(completions('daxplan', 'plan', '--format', ''), ['text', 'json', 'markdown']);
  assert.equal(completions('daxplan', 'status', '-f', ''), ['text', 'json', 'daxctl']);
  assert.equal(completions('daxplan', 'apply', '--trigger', ''), ['manual', 'udev', 'boot', 'schedule']);
  assert.equal(completions('daxplan', 'plan', '-c', 'examples/debian-6.12-qemu/daxp'), ['examples/debian-6.12-qemu/daxplan.yaml']);
  assert.equal(completions('daxplan', 'plan', '--sysfs-root', 'examples/debian-6.12-q'), ['examples/debian-6.12-qemu']);
  assert.equal(completions('daxplan', 'watch', '--schedule', ''), []);
});

complete('--device offers the devices under the --sysfs-root given (default /sys), only names shaped daxR.N', () => {
  assert.equal(completions('daxplan', 'status', '--sysfs-root', EXAMPLE, '--device', ''), ['dax0.0', 'dax1.0', 'dax2.0', 'dax3.0']);
  assert.equal(completions('daxplan', 'apply', '--sysfs-root', EXAMPLE, '--device', 'dax2'), ['dax2.0']);
  const root = fs.mkdtempSync(path.join(REPO, 'dist', 'completion-test-'));
  try {
    fs.mkdirSync(path.join(root, 'bus/dax/devices'), { recursive: true });
    for (const name of ['dax5.0', '$(touch pwned)', 'dax1.0;x']) fs.mkdirSync(path.join(root, 'bus/dax/devices', name));
    assert.equal(completions('daxplan', 'plan', '--sysfs-root', root, '--device', ''), ['dax5.0']);
    assert.not.ok(fs.existsSync(path.join(REPO, 'pwned')));
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

complete.run();
