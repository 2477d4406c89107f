// The Ansible role (contrib/ansible) run by the real ansible-playbook against
// an inventory of simulated hosts on the local connection: each host a copy
// of a tree a real kernel wrote, with the simulated kernel behind it
// (dist/daxplan-sim.mjs as daxplan_command, --sysfs-root in daxplan_args).
//
//   node --import tsx test/ansible/run.ts      (after npm run build)
//
// Prints `ok ...` / `FAIL ...` per check and ends with `N passed, N failed`
// (`, 1 skipped` when ansible-playbook is not installed: Debian's
// ansible-core, which test/provision.sh installs).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { copyTree, REPO, REAL_612, tempDir, treeDigest } from '../support/host.js';
import { SIM_CONFIG, type SimConfig } from '../sim/kernel.js';

const SITE = path.join(REPO, 'contrib/ansible/site.yml');
const SIM = path.join(REPO, 'dist/daxplan-sim.mjs');
const PROGRAM = path.join(REPO, 'dist/daxplan.cjs');
const POLICY = path.join(REPO, 'examples/debian-6.12-qemu/daxplan.yaml');
const REAL_73 = path.join(REPO, 'test/fixtures/real-7.3/sys');

let passed = 0;
let failed = 0;
function check(name: string, ok: boolean, detail = ''): void {
  if (ok) passed++;
  else failed++;
  console.log(`${ok ? 'ok' : 'FAIL'} ${name}${ok || !detail ? '' : `\n    ${detail.replace(/\n/g, '\n    ')}`}`);
}
function finish(skipped = 0): never {
  console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
  process.exit(failed ? 1 : 0);
}

if (spawnSync('ansible-playbook', ['--version'], { stdio: 'ignore' }).status !== 0) {
  console.log('skip ansible: ansible-playbook is not installed (Debian: apt-get install ansible-core; test/provision.sh installs it)');
  finish(1);
}
for (const built of [SIM, PROGRAM])
  if (!fs.existsSync(built)) {
    check(`${path.relative(REPO, built)} is built`, false, 'run npm run build first');
    finish();
  }

const work = tempDir('daxplan-ansible-');

interface TaskResult {
  changed?: boolean;
  failed?: boolean;
  skipped?: boolean;
  msg?: unknown;
}
interface PlaybookRun {
  rc: number;
  /** Per task name, per host, the task's result. */
  tasks: Map<string, Record<string, TaskResult>>;
  stats: Record<string, { changed: number; failures: number; ok: number }>;
  output: string;
}

/**
 * One ansible-playbook run of site.yml, its results read from the default
 * callback's output (what an operator reads): per task the lines
 * `ok|changed|fatal|skipping: [host]`, with the result's JSON after `=>`,
 * and the PLAY RECAP's counts per host.
 */
function playbook(inventory: string, ...args: string[]): PlaybookRun {
  const r = spawnSync('ansible-playbook', ['-i', inventory, SITE, ...args], {
    encoding: 'utf8',
    maxBuffer: 1 << 26,
    env: {
      ...process.env,
      ANSIBLE_STDOUT_CALLBACK: 'default',
      ANSIBLE_NOCOLOR: '1',
      ANSIBLE_FORCE_COLOR: '0',
      ANSIBLE_RETRY_FILES_ENABLED: '0',
      ANSIBLE_LOCAL_TEMP: path.join(work, 'ansible-local'),
      ANSIBLE_CONFIG: path.join(work, 'ansible.cfg'),
    },
  });
  const output = `${r.stdout}\n${r.stderr}`;
  const tasks = new Map<string, Record<string, TaskResult>>();
  const stats: PlaybookRun['stats'] = {};
  const lines = r.stdout.split('\n');
  let task = '';
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const head = /^(?:TASK|RUNNING HANDLER) \[(?:daxplan : )?(.+?)\] \*+$/.exec(line);
    if (head) task = head[1];
    const recap = /^(\S+)\s+: ok=(\d+)\s+changed=(\d+)\s+unreachable=\d+\s+failed=(\d+)/.exec(line);
    if (recap) stats[recap[1]] = { ok: Number(recap[2]), changed: Number(recap[3]), failures: Number(recap[4]) };
    const result = /^(ok|changed|fatal|skipping): \[([^\]]+)\](?:: FAILED!)?(?: => (.*))?$/.exec(line);
    if (!result) continue;
    let json = result[3];
    // A multi-line result (debug's): up to the closing brace at the start of a line.
    if (json === '{') while (++i < lines.length && (json += '\n' + lines[i]) && lines[i] !== '}');
    // A loop's item lines read `=> (item=...)`: the task's own line follows.
    const detail = json?.startsWith('{') ? (JSON.parse(json) as TaskResult) : {};
    const outcome = { changed: result[1] === 'changed', failed: result[1] === 'fatal', skipped: result[1] === 'skipping' };
    tasks.set(task, { ...tasks.get(task), [result[2]]: { ...detail, ...outcome } });
  }
  if (!Object.keys(stats).length) {
    check(`ansible-playbook ${args.join(' ')} ran to its recap`, false, output.slice(-3000));
    finish();
  }
  return { rc: r.status ?? -1, tasks, stats, output };
}

fs.writeFileSync(path.join(work, 'ansible.cfg'), '[defaults]\n');

/** A simulated host: a copy of a real kernel's tree with the simulated kernel's config. */
function simHost(fixture: string, sim: SimConfig): string {
  const root = copyTree(fixture);
  fs.writeFileSync(path.join(root, SIM_CONFIG), JSON.stringify(sim));
  return root;
}

/** The first memory block of a device in a tree (for fault injection). */
function firstBlock(root: string, device: string): number {
  const r = spawnSync(process.execPath, [SIM, 'snapshot', '--sysfs-root', root], { encoding: 'utf8' });
  const snapshot = JSON.parse(r.stdout) as { devices: { name: string; blocks: { first: number; count: number }[] }[] };
  const runs = snapshot.devices.find((d) => d.name === device)!.blocks;
  return runs[runs.length - 1].first + runs[runs.length - 1].count - 1;
}

// --- converge: three simulated hosts, one with a device that cannot go offline ---

const hosts = {
  per_block: simHost(REAL_612, {}),
  state_file: simHost(REAL_73, { stateFile: true }),
  busy: simHost(REAL_612, {}),
};
// dax1.0 must go offline to become movable; its highest block (offlined first) refuses with EBUSY.
fs.writeFileSync(path.join(hosts.busy, SIM_CONFIG), JSON.stringify({ busyBlocks: [firstBlock(hosts.busy, 'dax1.0')] } satisfies SimConfig));

const config = (name: string) => path.join(work, name, 'etc/daxplan/daxplan.yaml');
const inventory = path.join(work, 'inventory.yml');
const hostVars = (name: string, root: string) => ({
  ansible_connection: 'local',
  ansible_python_interpreter: '{{ ansible_playbook_python }}',
  ansible_become: false,
  daxplan_policy_file: POLICY,
  daxplan_config: config(name),
  daxplan_install: false,
  daxplan_command: [process.execPath, SIM],
  daxplan_args: ['--sysfs-root', root],
});
fs.writeFileSync(inventory, JSON.stringify({ daxplan: { hosts: Object.fromEntries(Object.entries(hosts).map(([name, root]) => [name, hostVars(name, root)])) } }, null, 2));
const names = Object.keys(hosts);
const digests = () => Object.values(hosts).map(treeDigest).join('\n');

const before = digests();
const dry = playbook(inventory, '--check', '--diff');
check('check mode: the play succeeds on every host', dry.rc === 0 && names.every((h) => dry.stats[h]?.failures === 0), dry.output.slice(-3000));
check('check mode: no host tree is written', digests() === before);
check('check mode: no policy is deployed', names.every((h) => !fs.existsSync(config(h))));
check('check mode: each host reports its plan as changed', names.every((h) => dry.tasks.get('Plan')?.[h]?.changed === true), JSON.stringify(dry.tasks.get('Plan')));
const shown = dry.tasks.get('Show the plan (--diff)') ?? {};
check(
  'check mode --diff: each host shows its plan',
  names.every((h) => JSON.stringify(shown[h]?.msg ?? '').includes('dax1.0  online -> online_movable') && JSON.stringify(shown[h]?.msg).includes('Plan: ')),
  JSON.stringify(shown).slice(0, 2000),
);

const first = playbook(inventory);
check('a run deploys the policy on every host', names.every((h) => fs.existsSync(config(h)) && fs.readFileSync(config(h), 'utf8') === fs.readFileSync(POLICY, 'utf8')));
check('a run converges the healthy hosts (Apply changed)', ['per_block', 'state_file'].every((h) => first.tasks.get('Apply')?.[h]?.changed === true && first.stats[h].failures === 0), first.output.slice(-3000));
const busyFail = first.tasks.get('Fail when apply failed')?.busy;
check(
  "the host whose device fails is reported failed, with daxplan's message",
  first.stats.busy?.failures === 1 && busyFail?.failed === true && /exited 1: .*dax1\.0.*FAILED/.test(String(busyFail.msg)),
  JSON.stringify(busyFail),
);
check('ansible-playbook exits 2 when a host failed', first.rc === 2, `rc ${first.rc}`);
const verify = (root: string) => spawnSync(process.execPath, [SIM, 'plan', '-c', POLICY, '--sysfs-root', root, '--detailed-exitcode'], { encoding: 'utf8' });
check('the healthy hosts match the policy afterwards (plan exits 0)', [hosts.per_block, hosts.state_file].every((root) => verify(root).status === 0));

const second = playbook(inventory);
check('a second run changes nothing (changed=0)', names.every((h) => second.stats[h]?.changed === 0), JSON.stringify(second.stats));
check('a second run: the healthy hosts succeed, the failing one fails again', second.stats.per_block.failures === 0 && second.stats.state_file.failures === 0 && second.stats.busy.failures === 1);

// --- validate: a policy that does not validate never replaces the deployed one ---

const bad = path.join(work, 'bad.yaml');
fs.writeFileSync(bad, 'version: 1\nrules:\n  - name: sideways\n    match: { device: "dax*" }\n    state: sideways\n');
const refused = playbook(inventory, '--limit', 'per_block', '-e', JSON.stringify({ daxplan_policy_file: bad }));
const deploy = refused.tasks.get('Deploy the policy')?.per_block;
check('an invalid policy fails the deploy task (daxplan validate, exit 65)', deploy?.failed === true && /failed to validate/.test(String(deploy.msg)), JSON.stringify(deploy));
check('an invalid policy leaves the deployed one in place, and nothing is applied', fs.readFileSync(config('per_block'), 'utf8') === fs.readFileSync(POLICY, 'utf8') && !refused.tasks.get('Apply')?.per_block);

// --- install: the single-file program, under a prefix of the test's own ---

const prefix = path.join(work, 'prefix');
const plain = copyTree(REAL_612);
const installInventory = path.join(work, 'install.yml');
fs.writeFileSync(
  installInventory,
  JSON.stringify({
    daxplan: {
      hosts: {
        fresh: {
          ...hostVars('fresh', plain),
          daxplan_install: true,
          daxplan_program: PROGRAM,
          daxplan_prefix: prefix,
          daxplan_command: path.join(prefix, 'bin/daxplan'),
        },
      },
    },
  }),
);
const freshDry = playbook(installInventory, '--check', '--diff');
check(
  'check mode on a host without daxplan: nothing installed, the plan made by the program the play would install',
  !fs.existsSync(prefix) && freshDry.tasks.get('Plan')?.fresh?.changed === true && JSON.stringify(freshDry.tasks.get('Show the plan (--diff)')?.fresh?.msg).includes('Plan: 3 to change'),
  freshDry.output.slice(-3000),
);
const installed = playbook(installInventory, '--tags', 'daxplan_install,daxplan_policy');
const bin = path.join(prefix, 'bin/daxplan');
check(
  'install: the program in PREFIX/lib/daxplan, PREFIX/bin/daxplan linked to it, the policy validated by it',
  installed.rc === 0 && fs.readFileSync(path.join(prefix, 'lib/daxplan/daxplan.cjs')).equals(fs.readFileSync(PROGRAM)) && fs.readlinkSync(bin) === path.join(prefix, 'lib/daxplan/daxplan.cjs') && fs.existsSync(config('fresh')),
  installed.output.slice(-3000),
);
const version = spawnSync(bin, ['--version'], { encoding: 'utf8' });
check('install: the installed daxplan runs', version.status === 0 && /\d+\.\d+\.\d+/.test(version.stdout), version.stderr);
const again = playbook(installInventory, '--tags', 'daxplan_install,daxplan_policy');
check('install: a second run changes nothing', again.rc === 0 && again.stats.fresh?.changed === 0, JSON.stringify(again.stats));

finish();
