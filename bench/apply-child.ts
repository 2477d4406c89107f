// One apply measurement, run by bench/run.ts in a process of its own (so its
// peak RSS is its own): Applier over a SimulatedKernel on a copy of a tree,
// with the kernel's write() timed apart from daxplan's own work.
// argv: TEMPLATE_TREE WORK_DIR RUNS POLICY_FILE; prints one JSON line.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { observe } from '../src/host/observe.js';
import { parsePolicy } from '../src/policy/parse.js';
import { changes, plan } from '../src/plan/plan.js';
import { Applier } from '../src/apply/engine.js';
import { SimulatedKernel } from '../test/sim/kernel.js';

const [template, work, runsText, policyFile] = process.argv.slice(2);
const parsed = parsePolicy(fs.readFileSync(policyFile, 'utf8'), policyFile);
if (!parsed.ok) throw new Error(`bench policy does not parse: ${JSON.stringify(parsed.errors)}`);
const policy = parsed.policy;

interface Run {
  totalMs: number;
  kernelMs: number;
  steps: number;
  writes: number;
  blockWrites: number;
  applied: number;
  devices: number;
}

const runs: Run[] = [];
for (let r = 0; r < Number(runsText); r++) {
  const root = path.join(work, `run${r}`);
  fs.rmSync(root, { recursive: true, force: true });
  fs.cpSync(template, root, { recursive: true, verbatimSymlinks: true });
  const kernel = SimulatedKernel.fromTree(root);
  let kernelMs = 0;
  let writes = 0;
  let blockWrites = 0;
  const write = kernel.write.bind(kernel);
  kernel.write = (rel: string, value: string) => {
    const t = performance.now();
    try {
      write(rel, value);
    } finally {
      kernelMs += performance.now() - t;
      writes++;
      if (/\/memory\d+\/state$/.test(rel)) blockWrites++;
    }
  };
  const started = performance.now();
  const observed = observe(kernel);
  const result = plan(policy, observed);
  const applier = new Applier(kernel, observed.kernel);
  const outcomes = changes(result).map((change) => applier.apply(change));
  const totalMs = performance.now() - started;
  const steps = outcomes.reduce((n, o) => n + o.stepsDone, 0);
  runs.push({ totalMs, kernelMs, steps, writes, blockWrites, applied: outcomes.filter((o) => o.result === 'applied').length, devices: outcomes.length });
  fs.rmSync(root, { recursive: true, force: true });
}
process.stdout.write(JSON.stringify({ runs }) + '\n');
