// examples/ci/policy-review.yml's validate step, run as a runner would run it
// (bash, the env block, RUNNER_TEMP) on a repository of policies and snapshots.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';
import { run } from './support/cli.js';
import { REAL_612, REPO, tempDir } from './support/host.js';

interface Workflow {
  env: Record<string, string>;
  jobs: { review: { steps: { name?: string; run?: string }[] } };
}
const WORKFLOW = parse(fs.readFileSync(path.join(REPO, 'examples/ci/policy-review.yml'), 'utf8')) as Workflow;

async function validateStep(policy: string): Promise<{ status: number | null; stdout: string }> {
  const repo = tempDir();
  fs.mkdirSync(path.join(repo, 'policies'));
  fs.mkdirSync(path.join(repo, 'hosts'));
  fs.mkdirSync(path.join(repo, 'tools'));
  fs.copyFileSync(path.join(REPO, 'dist/daxplan.cjs'), path.join(repo, 'tools/daxplan.cjs'));
  fs.writeFileSync(path.join(repo, 'policies/daxplan.yaml'), policy);
  fs.writeFileSync(path.join(repo, 'hosts/qemu-612.json'), (await run(['snapshot', '--sysfs-root', REAL_612, '--hostname', 'qemu-612'])).stdout);
  const step = WORKFLOW.jobs.review.steps.find((s) => s.name === 'Validate the policy')!;
  const r = spawnSync('bash', ['-e', '-c', step.run!], {
    cwd: repo,
    encoding: 'utf8',
    env: { PATH: process.env.PATH, ...WORKFLOW.env, RUNNER_TEMP: tempDir() },
  });
  return { status: r.status, stdout: r.stdout };
}

const ci = suite('examples/ci/policy-review.yml: the validate step');

ci('a policy whose rules match the hosts passes', async () => {
  const r = await validateStep(fs.readFileSync(path.join(REPO, 'examples/debian-6.12-qemu/daxplan.yaml'), 'utf8'));
  assert.is(r.status, 0, r.stdout);
  assert.match(r.stdout, 'policies/daxplan.yaml: 0 errors, 0 warnings');
});

ci('a uuid with a digit wrong fails the job, annotated at the rule', async () => {
  const r = await validateStep('version: 1\nrules:\n  - name: app\n    match: { uuid: f9a22c9a-e8f7-11f1-bd30-73eb7d34bf7e }\n    state: devdax\n');
  assert.is(r.status, 65);
  assert.match(r.stdout, /^::warning file=policies\/daxplan\.yaml,line=3,col=5::rules\[0\]: rule "app" matches no device on qemu-612\.json: no device has uuid f9a22c9a-e8f7-11f1-bd30-73eb7d34bf7e \(qemu-612\.json has f9a22c9a-e8f7-11f1-bd30-73eb7d34bf7f \(dax0\.0\), /m);
});

ci('an invalid policy is annotated with its error', async () => {
  const r = await validateStep('version: 1\nrules:\n  - name: app\n    match: { serail: 1 }\n    state: devdax\n');
  assert.is(r.status, 65);
  assert.match(r.stdout, '::error file=policies/daxplan.yaml,line=4,col=14::rules[0].match.serail: unknown key (did you mean "serial"?)');
});

ci.run();
