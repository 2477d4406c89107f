// Installing daxplan as a system tool: scripts/install.sh (make install) puts
// each part where distributions put it, the units naming the installed
// program; the npm package ships only what runs and pulls in nothing; and
// the program's first lines turn away a Node.js too old for it in one line.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse } from 'acorn';
import { REPO, REAL_612, tempDir } from './support/host.js';

const INSTALL = path.join(REPO, 'scripts/install.sh');
const BIN = path.join(REPO, 'dist/daxplan.cjs');

// The installer's variables, kept out of what a test inherits (npm, for one, exports NODE and a prefix).
const INSTALL_VARS = ['DESTDIR', 'PREFIX', 'BINDIR', 'LIBDIR', 'MANDIR', 'BASHCOMPDIR', 'SYSTEMDUNITDIR', 'UDEVRULESDIR', 'DAXPLAN_NODE'];

function sh(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}, cwd = REPO) {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([k]) => !INSTALL_VARS.includes(k)));
  return spawnSync(cmd, args, { encoding: 'utf8', cwd, env: { ...inherited, ...env } });
}

/** Every file and symlink under root, relative, with its mode (or link target). */
function listing(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else out.push(`${path.relative(root, p)} ${e.isSymbolicLink() ? `-> ${fs.readlinkSync(p)}` : (fs.statSync(p).mode & 0o777).toString(8)}`);
    }
  };
  walk(root);
  return out.sort();
}

const install = suite('scripts/install.sh');

install('DESTDIR and PREFIX=/usr: program, units naming /usr/bin/daxplan, drop-ins, udev rule, man pages, completion', () => {
  const dest = tempDir();
  const r = sh(INSTALL, [], { DESTDIR: dest, PREFIX: '/usr' });
  assert.is(r.status, 0, r.stderr);
  const cache = fs.existsSync(path.join(REPO, 'dist/daxplan.cache')) ? ['usr/lib/daxplan/daxplan.cache 644'] : [];
  assert.equal(
    listing(dest),
    [
      'usr/bin/daxplan -> /usr/lib/daxplan/daxplan.cjs',
      ...cache,
      'usr/lib/daxplan/daxplan.cjs 755',
      'usr/lib/systemd/system/daxplan-apply@.service 644',
      'usr/lib/systemd/system/daxplan-apply@.service.d/10-hardening.conf 644',
      'usr/lib/systemd/system/daxplan-kernel-defaults.service 644',
      'usr/lib/systemd/system/daxplan-memory.target 644',
      'usr/lib/systemd/system/daxplan-watch.service 644',
      'usr/lib/systemd/system/daxplan-watch.service.d/10-hardening.conf 644',
      'usr/lib/systemd/system/daxplan.service 644',
      'usr/lib/systemd/system/daxplan.service.d/10-hardening.conf 644',
      'usr/lib/udev/rules.d/70-daxplan.rules 644',
      'usr/share/bash-completion/completions/daxplan 644',
      'usr/share/man/man5/daxplan.yaml.5 644',
      'usr/share/man/man8/daxplan.8 644',
    ].sort(),
  );
  const units = path.join(dest, 'usr/lib/systemd/system');
  for (const unit of fs.readdirSync(units).filter((u) => u.endsWith('.service'))) {
    const text = fs.readFileSync(path.join(units, unit), 'utf8');
    assert.not.match(text, '@bindir@', unit);
    assert.not.match(text, '/usr/local', unit);
    assert.match(text, /^ExecStart=\/usr\/bin\/daxplan /m, unit);
  }
  assert.match(r.stderr, 'systemctl enable daxplan-kernel-defaults.service daxplan.service');
  const version = sh(process.execPath, [path.join(dest, 'usr/lib/daxplan/daxplan.cjs'), '--version']);
  assert.is(version.stdout.trim(), `daxplan ${JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8')).version}`);
});

install('the default PREFIX is /usr/local; DAXPLAN_NODE= makes daxplan a wrapper that execs that node; uninstall takes it all out', () => {
  const dest = tempDir();
  assert.is(sh('make', ['-s', 'install', `DESTDIR=${dest}`, `DAXPLAN_NODE=${process.execPath}`]).status, 0);
  const wrapper = fs.readFileSync(path.join(dest, 'usr/local/bin/daxplan'), 'utf8');
  assert.is(wrapper, `#!/bin/sh\nexec ${process.execPath} /usr/local/lib/daxplan/daxplan.cjs "$@"\n`);
  assert.match(fs.readFileSync(path.join(dest, 'usr/lib/systemd/system/daxplan.service'), 'utf8'), /^ExecStart=\/usr\/local\/bin\/daxplan apply /m);
  assert.is(sh('make', ['-s', 'uninstall', `DESTDIR=${dest}`]).status, 0);
  assert.equal(listing(dest), []);
});

install('an upgrade from the ES module build removes its daxplan.mjs, and so does uninstall', () => {
  const dest = tempDir();
  const old = path.join(dest, 'usr/local/lib/daxplan/daxplan.mjs');
  fs.mkdirSync(path.dirname(old), { recursive: true });
  fs.writeFileSync(old, '// the ES module build\n');
  assert.is(sh('make', ['-s', 'install', `DESTDIR=${dest}`]).status, 0);
  assert.not.ok(fs.existsSync(old), 'install left the old program behind');
  fs.writeFileSync(old, '// left over\n');
  assert.is(sh('make', ['-s', 'uninstall', `DESTDIR=${dest}`]).status, 0);
  assert.equal(listing(dest), []);
});

install('refuses relative or odd directories, and a DAXPLAN_NODE that is not a plain absolute path, before writing anything', () => {
  const dest = tempDir();
  const odd = [{ PREFIX: 'usr' }, { BINDIR: '/usr/bin;rm' }, { DAXPLAN_NODE: 'node' }, { SYSTEMDUNITDIR: '/lib/systemd/sys tem' }];
  // The wrapper execs DAXPLAN_NODE as root: a command in it would run at every start.
  const injected = [{ DAXPLAN_NODE: '/usr/bin/node; touch /tmp/pwned' }, { DAXPLAN_NODE: '/usr/bin/node $(id)' }, { DAXPLAN_NODE: '/usr/bin/node\nid' }, { DAXPLAN_NODE: '/opt/my node/bin/node' }];
  for (const env of [...odd, ...injected]) {
    const r = sh(INSTALL, [], { DESTDIR: dest, ...env });
    assert.is(r.status, 1, JSON.stringify(env));
    assert.match(r.stderr, 'install.sh: ');
  }
  assert.equal(fs.readdirSync(dest), []);
});

install.run();

const pkg = suite('npm package');

/** One real `npm pack` for both tests (npm costs seconds a run): its JSON lists the files, its tarball is installed. */
let packed: { tarball: string; files: string[] } | undefined;
function pack(): { tarball: string; files: string[] } {
  if (!packed) {
    const dir = tempDir();
    const r = sh('npm', ['pack', '--json', '--pack-destination', dir, '--ignore-scripts']);
    assert.is(r.status, 0, r.stderr);
    const info = JSON.parse(r.stdout)[0] as { filename: string; files: { path: string }[] };
    packed = { tarball: path.join(dir, info.filename), files: info.files.map((f) => f.path).sort() };
  }
  return packed;
}

pkg('npm pack ships the program, its cache, the man pages, the completion and the license; no runtime dependencies', () => {
  const cache = fs.existsSync(path.join(REPO, 'dist/daxplan.cache')) ? ['dist/daxplan.cache'] : [];
  assert.equal(pack().files, ['LICENSE', 'README.md', 'dist/completion/daxplan', ...cache, 'dist/daxplan.cjs', 'dist/man/daxplan.8', 'dist/man/daxplan.yaml.5', 'package.json'].sort());
  const manifest = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8'));
  assert.is(manifest.dependencies, undefined, 'everything the program uses is bundled');
});

pkg('npm install -g of the packed tarball into a fresh prefix: daxplan runs, from its code cache, with its man page', () => {
  const prefix = path.join(tempDir(), 'prefix');
  const installed = sh('npm', ['install', '-g', '--prefix', prefix, '--offline', '--no-audit', '--no-fund', '--ignore-scripts', pack().tarball]);
  assert.is(installed.status, 0, installed.stderr);
  assert.equal(fs.readdirSync(path.join(prefix, 'lib/node_modules')), ['daxplan']);
  assert.not.ok(fs.existsSync(path.join(prefix, 'lib/node_modules/daxplan/node_modules')), 'no dependency was installed');
  const status = sh(path.join(prefix, 'bin/daxplan'), ['status', '--sysfs-root', REAL_612], { DAXPLAN_DEBUG_CODE_CACHE: '1' });
  assert.is(status.status, 0, status.stderr);
  assert.match(status.stdout, /^dax0\.0\s+online_movable/m);
  if (fs.existsSync(path.join(REPO, 'dist/daxplan.cache'))) assert.match(status.stderr, 'code cache used');
  assert.ok(fs.existsSync(path.join(prefix, 'share/man/man8/daxplan.8')));
});

pkg.run();

const node = suite('Node.js version');

node('on a Node.js older than 20: one line naming both versions, exit 69, nothing else runs', () => {
  const old = 'data:text/javascript,Object.defineProperty(process.versions,"node",{value:"18.19.1"});Object.defineProperty(process,"version",{value:"v18.19.1"})';
  const r = spawnSync(process.execPath, ['--import', old, BIN, 'plan', '--sysfs-root', REAL_612], { encoding: 'utf8' });
  assert.is(r.status, 69);
  assert.is(r.stdout, '');
  assert.is(r.stderr, `daxplan: needs Node.js 20 or newer; ${process.execPath} is v18.19.1\n`);
});

/** Syntax Node.js 12 cannot parse: anything past ES2020 (a parse error), and ES2020's ?. and ?? (Node.js 14). */
function tooNew(source: string): string | undefined {
  let ast: unknown;
  try {
    ast = parse(source, { ecmaVersion: 2020, sourceType: 'module' });
  } catch (err) {
    return (err as Error).message;
  }
  const found: string[] = [];
  const walk = (node: unknown): void => {
    if (!node || typeof node !== 'object') return;
    const n = node as { type?: string; operator?: string };
    if (n.type === 'ChainExpression') found.push('?.');
    if (n.operator === '??') found.push('??');
    for (const child of Object.values(node)) walk(child);
  };
  walk(ast);
  return found[0];
}

node('the launcher is syntax Node.js 12 parses, so Node.js 12 to 19 reach that line instead of a syntax error', () => {
  assert.is(tooNew(fs.readFileSync(BIN, 'utf8').replace(/^#!.*\n/, '')), undefined);
  assert.is(tooNew('const a = b?.c;'), '?.');
  assert.is(tooNew('const a = b ?? c;'), '??');
  assert.ok(tooNew('class A { x = 1 }'));
});

node.run();
