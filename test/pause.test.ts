import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { run } from './support/cli.js';
import { policyFile } from './support/host.js';
import { hostRoot } from './support/files.js';
import { PAUSE_FILE, readPause } from '../src/host/pause.js';

const FAR_MOVABLE = 'version: 1\nrules:\n  - name: far\n    match: { numa_node: [1, 2] }\n    state: online_movable\n';
const REASON = 'replacing the CXL card, ticket 1234';

function pausedHost() {
  const { root, sys } = hostRoot({ devices: [{ name: 'dax0.0', node: 1, blocks: 2, state: 'devdax' }] });
  const apply = (...extra: string[]) => run(['apply', '--auto-approve', '--sysfs-root', sys, '--root', root, '-c', policyFile(FAR_MOVABLE), ...extra]);
  const state = async () => /dax0\.0\s+(\S+)/.exec((await run(['status', '--sysfs-root', sys])).stdout)![1];
  return { root, sys, apply, state };
}

const pause = suite('disable / enable: a pause for maintenance');

pause('disable needs a reason and writes the marker with who and when', async () => {
  const { root } = pausedHost();
  const none = await run(['disable', '--root', root]);
  assert.is(none.code, 64);
  assert.match(none.stderr, 'disable needs --reason TEXT');
  assert.is((await run(['disable', '--root', root, '--reason', ' \n '])).code, 64);
  const r = await run(['disable', '--root', root, '--reason', REASON], { SUDO_USER: 'alice' });
  assert.is(r.code, 0);
  assert.match(r.stdout, `daxplan is disabled since `);
  assert.match(r.stdout, ` by alice: ${REASON}.`);
  const marker = JSON.parse(fs.readFileSync(path.join(root, PAUSE_FILE), 'utf8'));
  assert.equal(Object.keys(marker), ['reason', 'by', 'since']);
  assert.is(marker.reason, REASON);
  assert.is(marker.by, 'alice');
  assert.ok(!Number.isNaN(Date.parse(marker.since)));
  // a control character in a reason cannot forge a log line
  await run(['disable', '--root', root, '--reason', 'a\nb\x1b[31m']);
  assert.is(readPause(root)!.reason, 'a b [31m');
});

pause('udev, boot and scheduled runs exit 0, log the reason and change nothing', async () => {
  const { root, apply, state } = pausedHost();
  await run(['disable', '--root', root, '--reason', REASON]);
  for (const trigger of ['udev', 'boot', 'schedule']) {
    const r = await apply('--trigger', trigger);
    assert.is(r.code, 0, trigger);
    assert.match(r.stderr, `daxplan[${trigger}]: daxplan is disabled: ${REASON}`);
    assert.is(r.stdout, '');
  }
  assert.is(await state(), 'devdax');
  // even with a policy that does not parse: the pause is read first
  const { root: root2, sys: sys2 } = hostRoot({ devices: [] });
  await run(['disable', '--root', root2, '--reason', REASON]);
  assert.is((await run(['apply', '--auto-approve', '--trigger', 'udev', '--sysfs-root', sys2, '--root', root2, '-c', policyFile('version: 1\nrules: 7\n')])).code, 0);
});

pause('a manual apply refuses with exit 75 and says how to go on; --force applies, --dry-run plans', async () => {
  const { root, apply, state } = pausedHost();
  await run(['disable', '--root', root, '--reason', REASON]);
  const refused = await apply();
  assert.is(refused.code, 75);
  assert.match(refused.stderr, `daxplan: daxplan is disabled since`);
  assert.match(refused.stderr, `${REASON}. Nothing was changed. Run 'daxplan enable' to resume, or apply --force to apply anyway.`);
  assert.is(await state(), 'devdax');
  const dry = await apply('--dry-run');
  assert.is(dry.code, 0);
  assert.match(dry.stdout, `Paused: daxplan is disabled since`);
  assert.is(await state(), 'devdax');
  const forced = await apply('--force');
  assert.is(forced.code, 0, forced.stderr);
  assert.match(forced.stderr, 'applying anyway (--force)');
  assert.is(await state(), 'online_movable');
});

pause('status, plan and doctor show the pause; JSON has a disabled object', async () => {
  const { root, sys } = pausedHost();
  const policy = policyFile(FAR_MOVABLE);
  const status = () => run(['status', '--sysfs-root', sys, '--root', root, '-f', 'json']);
  assert.is(JSON.parse((await status()).stdout).disabled, null);
  await run(['disable', '--root', root, '--reason', REASON], { USER: 'bob' });
  const disabled = JSON.parse((await status()).stdout).disabled;
  assert.equal([disabled.reason, disabled.by, disabled.file], [REASON, 'bob', path.join(root, PAUSE_FILE)]);
  assert.match((await run(['status', '--sysfs-root', sys, '--root', root])).stdout, `Paused: daxplan is disabled since`);
  const planned = await run(['plan', '--sysfs-root', sys, '--root', root, '-c', policy]);
  assert.match(planned.stdout.split('\n')[1], `Paused: daxplan is disabled since`);
  assert.is(JSON.parse((await run(['plan', '--sysfs-root', sys, '--root', root, '-c', policy, '-f', 'json'])).stdout).disabled.reason, REASON);
  assert.match((await run(['plan', '--sysfs-root', sys, '--root', root, '-c', policy, '-f', 'markdown'])).stdout, '> [!NOTE]\n> Paused: daxplan is disabled');
  const doctor = await run(['doctor', '--sysfs-root', sys, '--root', root, '-c', policy]);
  assert.is(doctor.code, 0);
  assert.match(doctor.stdout, `Paused: daxplan is disabled since`);
  assert.is(JSON.parse((await run(['doctor', '--sysfs-root', sys, '--root', root, '-c', policy, '-f', 'json'])).stdout).disabled.by, 'bob');
});

pause('enable removes the pause and runs change memory again; enabling twice is harmless', async () => {
  const { root, apply, state } = pausedHost();
  await run(['disable', '--root', root, '--reason', REASON]);
  const enabled = await run(['enable', '--root', root]);
  assert.is(enabled.code, 0);
  assert.match(enabled.stdout, `daxplan enabled (it was disabled since`);
  assert.not.ok(fs.existsSync(path.join(root, PAUSE_FILE)));
  assert.match((await run(['enable', '--root', root])).stdout, 'daxplan was not disabled.');
  assert.is((await apply('--trigger', 'udev')).code, 0);
  assert.is(await state(), 'online_movable');
});

pause('an unreadable or hand-written marker still pauses', async () => {
  const { root, apply } = pausedHost();
  fs.mkdirSync(path.join(root, path.dirname(PAUSE_FILE)), { recursive: true });
  fs.writeFileSync(path.join(root, PAUSE_FILE), 'firmware update\n');
  const r = await apply('--trigger', 'boot');
  assert.is(r.code, 0);
  assert.match(r.stderr, 'daxplan is disabled: firmware update');
  assert.is((await apply()).code, 75);
});

pause.run();
