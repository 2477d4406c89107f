// How the contrib units retry: a udev instance waits out any daxplan run
// holding the lock in one run, and does not try again when the lock is still
// held after that (a stuck or squatted lock would only spin it into its start
// limit). Durations are read by systemd's own parser (systemd-analyze timespan).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { REPO } from './support/host.js';
import { missingCommand, unless } from './support/skip.js';
import { EXIT } from '../src/model/errors.js';

const SYSTEMD = path.join(REPO, 'contrib/systemd');

/** The values of `key` in a unit file, each setting split on spaces. */
function values(unit: string, key: string): string[] {
  const text = fs.readFileSync(path.join(SYSTEMD, unit), 'utf8');
  return [...text.matchAll(new RegExp(`^${key}=(.*)$`, 'gm'))].flatMap((m) => m[1].trim().split(/\s+/));
}

/** A systemd time span in seconds, as systemd parses it. */
function seconds(span: string): number {
  const r = spawnSync('systemd-analyze', ['timespan', span], { encoding: 'utf8' });
  assert.is(r.status, 0, r.stderr);
  return Number(/μs: (\d+)/.exec(r.stdout)![1]) / 1e6;
}

function lockTimeout(unit: string): number {
  const exec = values(unit, 'ExecStart');
  return Number(exec[exec.indexOf('--lock-timeout') + 1]);
}

const udev = suite('units: daxplan-apply@.service on a held lock');

udev('a lock still held after the wait (exit 75) is not retried; a transient failure (exit 1) is', () => {
  assert.equal(values('daxplan-apply@.service', 'Restart'), ['on-failure']);
  const prevented = values('daxplan-apply@.service', 'RestartPreventExitStatus').map(Number);
  for (const code of [EXIT.lockHeld, EXIT.cannotCreate]) assert.ok(prevented.includes(code), `RestartPreventExitStatus=${prevented.join(' ')} lacks ${code}`);
  assert.not.ok(prevented.includes(EXIT.runtime));
});

udev('daxplan-watch.service does not restart on what every restart meets again: a usage error, an old Node.js, a lock file it may not create (exit 73 at start)', () => {
  const prevented = values('daxplan-watch.service', 'RestartPreventExitStatus').map(Number);
  for (const code of [EXIT.usage, EXIT.cannotCreate]) assert.ok(prevented.includes(code), `RestartPreventExitStatus=${prevented.join(' ')} lacks ${code}`);
  assert.not.ok(prevented.includes(EXIT.runtime));
});

unless(udev, missingCommand('systemd-analyze'))('the wait outlasts every other boot unit that takes the lock, and the unit outlasts its wait', () => {
  const wait = lockTimeout('daxplan-apply@.service');
  for (const other of ['daxplan.service', 'daxplan-kernel-defaults.service']) {
    const longest = seconds(values(other, 'TimeoutStartSec')[0]);
    assert.ok(wait >= longest, `--lock-timeout ${wait} is shorter than ${other}'s TimeoutStartSec (${longest}s)`);
  }
  assert.ok(seconds(values('daxplan-apply@.service', 'TimeoutStartSec')[0]) >= wait + 15 * 60, 'the wait and 15 minutes to run');
});

udev.run();
