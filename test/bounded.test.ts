// Bounded work: validation stays near linear in the number of rules, and a
// cron range cannot make daxplan allocate by the size of a number it was given.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { parsePolicy, type Rule } from '../src/policy/parse.js';
import { findShadowed, MAX_COMPARISONS } from '../src/policy/shadow.js';
import { covers } from '../src/policy/match.js';
import { host, policyFile, REPO } from './support/host.js';
import { fakeHost } from './support/observed.js';
import { plan } from '../src/plan/plan.js';
import { random } from './support/random.js';
import picomatch from 'picomatch';

function policy(rules: string[]): string {
  return `version: 1\nrules:\n${rules.map((match, i) => `  - name: r${i}\n    match: ${match}\n    state: online\n`).join('')}`;
}

// Work is counted, never timed: a busy machine must not fail a unit test
// (speed targets are npm run bench's).

/** How many globs `work` compiles: globTest scans each glob before compiling it (src/policy/match.ts). */
function globsCompiled<T>(work: () => T): { value: T; compiled: number } {
  const mutable = picomatch as { scan: typeof picomatch.scan };
  const scan = picomatch.scan;
  let compiled = 0;
  mutable.scan = ((...args: Parameters<typeof scan>) => {
    compiled++;
    return scan(...args);
  }) as typeof scan;
  try {
    return { value: work(), compiled };
  } finally {
    mutable.scan = scan;
  }
}

const lint = suite('bounded: the shadowed-rule lint');

lint('5000 rules naming devices are linted in a few comparisons per rule, not every pair, and a shadowed one is still found', () => {
  const rules = Array.from({ length: 5000 }, (_, i) => `{ device: "dax${i}.0" }`);
  rules.push('{ device: "dax4999.0", numa_node: 3 }');
  const result = parsePolicy(policy(rules), 'p.yaml');
  assert.ok(result.ok);
  // Before the index: every pair compared (12.5M comparisons, 2 minutes); now the lint finishes within 3 per rule.
  assert.is(findShadowed(result.policy.rules.map((r) => r.match), 3 * rules.length).stoppedAt, undefined);
  assert.equal(
    result.warnings.map((w) => w.message),
    ['rule "r5000" is shadowed by earlier rule "r4999" (line 15000) and never decides a device'],
  );
});

lint('the indexed lint finds exactly what comparing every pair finds (seeded)', () => {
  const rng = random(Number(process.env.DAXPLAN_SEED ?? 12));
  const pick = <T>(items: T[]): T[] => items.filter(() => rng.chance(0.4)).slice(0, 3);
  for (let round = 0; round < 40; round++) {
    const rules: Rule[] = Array.from({ length: 60 }, (_, i) => {
      const match: Rule['match'] = {};
      if (rng.chance(0.5)) match.numa_node = pick([0, 1, 2, 3]);
      if (rng.chance(0.3)) match.tier = pick([4, 22]);
      if (rng.chance(0.5)) match.device = pick(['dax0.0', 'dax1.0', 'dax1.*', 'dax*', 'dax[01].0', 'dax2.1']);
      if (rng.chance(0.2)) match.serial = pick([1n, 2n, 3n]);
      if (rng.chance(0.2)) match.pci = pick(['0000:0d:00.0', '0000:0e:00.0']);
      if (rng.chance(0.2)) match.qos_class = pick([0, 1]);
      if (rng.chance(0.2)) match.address = pick([{ start: 0n, end: 0xffffn }, { start: 0x1000n, end: 0x1fffn }, { start: 0x8000n, end: 0x8fffn }]);
      if ((match.serial || match.pci) && rng.chance(0.5)) match.memdevs = rng.chance(0.5) ? 'any' : 'all';
      for (const key of Object.keys(match) as (keyof Rule['match'])[]) if (Array.isArray(match[key]) && (match[key] as unknown[]).length === 0) delete match[key];
      if (match.memdevs && !match.serial && !match.pci) delete match.memdevs;
      if (Object.keys(match).length === 0) match.device = ['dax*'];
      return { name: `r${i}`, match, state: 'online', onUnassembled: 'block', file: 'p.yaml', line: i, col: 3 };
    });
    const pairwise = rules.map((rule, i) => rules.slice(0, i).findIndex((e) => covers(e.match, rule.match)));
    assert.equal(
      findShadowed(rules.map((r) => r.match)).shadowedBy,
      pairwise.map((e) => (e < 0 ? undefined : e)),
      `round ${round} (seed ${rng.seed})`,
    );
  }
});

lint('a policy built to defeat the index stops the lint with a warning once its comparisons are spent', () => {
  const wildcards = Array.from({ length: 2500 }, (_, i) => `{ device: "dax${i}.[1-9]" }`);
  const names = Array.from({ length: 2500 }, (_, i) => `{ device: "dax${i + 2500}.0" }`);
  const result = parsePolicy(policy([...wildcards, ...names]), 'p.yaml');
  assert.ok(result.ok);
  assert.match(result.warnings.at(-1)!.message, `too many overlapping rules to check for shadowing: rules from here on were not checked (${MAX_COMPARISONS} comparisons)`);
});

lint.run();

const planning = suite('bounded: planning');

planning('256 devices against 5000 rules naming devices compile each rule\'s glob once, not once per device and rule', () => {
  const rules = Array.from({ length: 5000 }, (_, i) => `{ device: "dax${i + 1000}.*" }`);
  rules.push('{ device: "dax*" }');
  const parsed = parsePolicy(policy(rules), 'p.yaml');
  assert.ok(parsed.ok);
  const observed = fakeHost({ devices: Array.from({ length: 256 }, (_, i) => ({ name: `dax${i}.0`, node: 1, blocks: 1, state: 'devdax' })) });
  // Before: 1.3M glob compilations (about 6 s); now each rule's globs are compiled once.
  const { value: result, compiled } = globsCompiled(() => plan(parsed.policy, observed));
  assert.is(result.summary.change, 256);
  assert.ok(compiled > 0 && compiled <= rules.length, `${compiled} globs compiled for ${rules.length} rules`);
});

planning.run();

const cron = suite('bounded: cron schedules');

cron('a huge range, list or step exits 64 naming the value, without allocating by its size', () => {
  const root = host({ devices: [] });
  const config = policyFile('version: 1\nrules: []\n');
  for (const [schedule, named] of [
    ['0-999999999 * * * *', '999999999 in the minute field is out of range (0-59)'],
    ['1,2,3 0-1000000 * * *', '1000000 in the hour field is out of range (0-23)'],
    ['0 0 1-99999999 * * *', '99999999 in the hour field'],
    ['* * * 0-4000000000 *', '4000000000 in the month field'],
  ]) {
    const r = spawnSync(process.execPath, ['--max-old-space-size=200', path.join(REPO, 'dist/daxplan.cjs'), 'watch', '--schedule', schedule, '-c', config, '--sysfs-root', root], {
      encoding: 'utf8',
      timeout: 20_000,
    });
    assert.is(r.status, 64, `${schedule}: ${r.stderr}`);
    assert.match(r.stderr, `--schedule "${schedule}" is not a cron expression: ${named}`);
  }
});

cron.run();
