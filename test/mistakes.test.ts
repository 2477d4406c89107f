// The first hour's mistakes (issue 22): each is answered by one line, in
// daxplan's words, that names the fix. No library wording, no usage dump, no
// stack trace, no invented position.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { run } from './support/cli.js';
import { policyFile, REAL_612, REPO, tempDir } from './support/host.js';

const CXL = path.join(REPO, 'test/fixtures/real-cxl-7.3/default-boot/sys');
const EXAMPLE = path.join(REPO, 'examples/debian-6.12-qemu/daxplan.yaml');
const rule = (match: string, state = 'online_movable') => policyFile(`version: 1\nrules:\n  - name: a\n    match: ${match}\n    state: ${state}\n`);

/** The one line a mistake is answered with (exit code checked). */
async function oneLine(argv: string[], code: number): Promise<string> {
  const r = await run(argv);
  assert.is(r.code, code, r.stderr);
  const lines = r.stderr.trimEnd().split('\n');
  assert.is(lines.length, 1, `one line, got:\n${r.stderr}`);
  return lines[0];
}

const mistakes = suite('mistakes: one line naming the fix');

mistakes('a misspelt command: plna', async () => {
  assert.is(await oneLine(['plna'], 64), `daxplan: unknown command "plna" (did you mean "plan"?); see 'daxplan --help'`);
});

mistakes('a misspelt key: serail', async () => {
  const file = rule('{ serail: 0x1234abcd }');
  assert.is(await oneLine(['validate', '-c', file], 65), `daxplan: ${file}:4:14: rules[0].match.serail: unknown key (did you mean "serial"?)`);
});

mistakes('a misspelt state: onlin', async () => {
  const file = rule('{ numa_node: 1 }', 'onlin');
  assert.is(await oneLine(['validate', '-c', file], 65), `daxplan: ${file}:5:12: rules[0].state: must be one of unplug, online, online_movable, devdax, famfs (did you mean "online"?)`);
});

mistakes('an unquoted *: device: *', async () => {
  const file = rule('{ device: * }');
  assert.is(await oneLine(['validate', '-c', file], 65), `daxplan: ${file}:4:22: an unquoted * starts a YAML alias; quote it: device: "*"`);
});

mistakes('a cron step of 0: */0', async () => {
  assert.is(
    await oneLine(['watch', '--schedule', '*/0 * * * *', '-c', EXAMPLE, '--sysfs-root', REAL_612], 64),
    'daxplan: --schedule "*/0 * * * *" is not a cron expression: a step of 0 in the minute field never advances; write */1 or a larger step',
  );
});

mistakes('a negative lock timeout: --lock-timeout -5', async () => {
  assert.is(await oneLine(['apply', '--dry-run', '--lock-timeout', '-5', '-c', EXAMPLE, '--sysfs-root', REAL_612], 64), 'daxplan: --lock-timeout takes a number of seconds, 0 or more (got "-5")');
});

mistakes('a flag where a value should be, and a misspelt flag', async () => {
  assert.is(await oneLine(['plan', '-c', '--device', 'dax0.0'], 64), 'daxplan: --config needs a value: --config FILE (got the option --device; write --config=--device if that is the value)');
  assert.is(await oneLine(['status', '--sysfs-rot', REAL_612], 64), 'daxplan: status has no option --sysfs-rot (did you mean --sysfs-root?)');
});

mistakes('a policy that is not there: no invented :1:1', async () => {
  const missing = path.join(tempDir(), 'daxplan.yaml');
  assert.is(await oneLine(['plan', '-c', missing, '--sysfs-root', REAL_612], 65), `daxplan: ${missing}: no such file: give --config the policy's path, or write one with 'daxplan init -o ${missing}'`);
});

mistakes('no policy anywhere: no file is named that does not exist, and init is offered', async () => {
  const empty = tempDir();
  const r = await run(['plan', '--sysfs-root', REAL_612], {}, empty);
  assert.is(r.code, 65);
  assert.match(r.stderr, /^daxplan: no policy found \(.*\); pass --config FILE, or write one with 'daxplan init -o FILE'\n$/);
});

mistakes('a serial with one digit wrong, above a catch-all: names the key and what the host has', async () => {
  const file = policyFile('version: 1\nrules:\n  - name: app\n    match: { serial: 0x1234abce }\n    state: devdax\n  - name: rest\n    match: { device: "*" }\n    state: online_movable\n');
  const r = await run(['plan', '-c', file, '--sysfs-root', CXL]);
  assert.match(
    r.stdout,
    `\nWarning: ${file}:3:5: rules[0]: rule "app" matches no device on ${CXL}: no device has serial 0x1234abce (${CXL} has 0x1234abcd (dax0.0), 0x5678ef01 (dax1.0)); a device it means falls through to the rules below it\n`,
  );
  assert.is((await run(['plan', '-c', file, '--sysfs-root', CXL, '--strict'])).code, 65);
});

mistakes('--no-color on every command', async () => {
  for (const argv of [['status', '--sysfs-root', REAL_612], ['validate', '-c', EXAMPLE, '--sysfs-root', REAL_612], ['snapshot', '--sysfs-root', REAL_612], ['plan', '-c', EXAMPLE, '--sysfs-root', REAL_612]])
    assert.is.not((await run([...argv, '--no-color'])).code, 64, argv[0]);
});

mistakes('apply --help lists --lock-file in its usage and options', async () => {
  const help = (await run(['apply', '--help'])).stdout;
  assert.match(help.split('\n\n')[0], '[--lock-file FILE]');
  assert.match(help, /^ {6}--lock-file FILE/m);
});

mistakes('daxplan plan | true: a closed pipe ends quietly, with the plan\'s own exit status', async () => {
  const child = spawn(process.execPath, [path.join(REPO, 'dist/daxplan.cjs'), 'plan', '-c', EXAMPLE, '--sysfs-root', REAL_612], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.destroy();
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  assert.is(stderr, '');
  assert.is(code, 0);
});

mistakes('a file that is not JSON given as a snapshot or a saved plan: named, without the parser\'s wording', async () => {
  const bad = path.join(tempDir(), 'host.json');
  fs.writeFileSync(bad, '{"devices": }\n');
  assert.is(await oneLine(['plan', '-c', EXAMPLE, '--state', bad], 64), `daxplan: ${bad}: not valid JSON, so not a daxplan snapshot (make one with daxplan snapshot > FILE)`);
  assert.is(await oneLine(['show', bad], 64), `daxplan: ${bad}: not valid JSON, so not a daxplan saved plan (make one with daxplan plan --out FILE)`);
});

mistakes('watch without --schedule', async () => {
  assert.is(await oneLine(['watch', '-c', EXAMPLE, '--sysfs-root', REAL_612], 64), 'daxplan: watch needs --schedule CRON, e.g. --schedule "*/10 * * * *" (minute hour day month weekday)');
});

mistakes.run();
