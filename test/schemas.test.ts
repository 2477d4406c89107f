// Every JSON output is a published contract (schemas/*.schema.json): the real
// outputs of the CLI, in the shapes a user meets, must validate against it,
// so the documentation cannot drift from what daxplan prints.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import { run } from './support/cli.js';
import { host, policyFile, REAL_612, REPO, tempDir } from './support/host.js';

const ajv = new Ajv({ allErrors: true, allowUnionTypes: true, strict: true });
for (const file of fs.readdirSync(path.join(REPO, 'schemas')).filter((f) => f.endsWith('.schema.json')))
  ajv.addSchema(JSON.parse(fs.readFileSync(path.join(REPO, 'schemas', file), 'utf8')));

function schema(name: string): ValidateFunction {
  const validate = ajv.getSchema(`https://daxplan.dev/schemas/${name}.schema.json`);
  if (!validate) throw new Error(`no schema ${name}`);
  return validate;
}

function conforms(name: string, doc: unknown): void {
  const validate = schema(name);
  assert.ok(validate(doc), `${name}: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(doc).slice(0, 400)}`);
}

/** The JSON a command prints, exiting with `code`. */
async function json(argv: string[], code = 0): Promise<unknown> {
  const r = await run(argv);
  assert.is(r.code, code, `${argv.join(' ')}: exit ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

const MOVABLE = 'version: 1\nrules:\n  - name: all\n    match: { device: "*" }\n    state: online_movable\n';
const EXAMPLE = path.join(REPO, 'examples/debian-6.12-qemu');
const INTERLEAVED = path.join(REPO, 'test/fixtures/real-cxl-7.3/interleaved/sys');

const outputs = suite('schemas: real outputs validate against the published schemas');

outputs('plan: the bundled example (per-block, a mixed device, conflicts) and a Linux 7.3 host with a drifted state file', async () => {
  conforms('plan', await json(['plan', '-c', path.join(EXAMPLE, 'daxplan.yaml'), '--sysfs-root', REAL_612, '-f', 'json']));
  const root = host({ stateFile: true, devices: [{ name: 'dax0.0', node: 1, blocks: 2, state: 'online', stateWord: 'online_movable' }, { name: 'dax1.0', node: 1, blocks: 2, state: 'devdax' }] });
  const doc = (await json(['plan', '-c', policyFile(MOVABLE), '--sysfs-root', root, '-f', 'json'])) as { actions: { method: string }[] };
  conforms('plan', doc);
  assert.equal(doc.actions.map((a) => a.method), ['state', 'state']);
});

outputs('status: real 6.12 tree, a 7.3 host and CXL expanders (one interleaved region)', async () => {
  conforms('status', await json(['status', '--sysfs-root', REAL_612, '-f', 'json']));
  conforms('status', await json(['status', '--sysfs-root', path.join(REPO, 'examples/cxl-movable-pmem-app/host/sys'), '-f', 'json']));
  // a real 7.3 capture with the memory_hotplug parameters, in status and snapshot
  const params = ((await json(['status', '--sysfs-root', INTERLEAVED, '-f', 'json'])) as { kernel: { memory_hotplug: unknown } });
  conforms('status', params);
  assert.is((params.kernel.memory_hotplug as { online_policy: string }).online_policy, 'contig-zones');
  conforms('snapshot', await json(['snapshot', '--sysfs-root', INTERLEAVED]));
  const doc = (await json(['status', '--sysfs-root', host({ stateFile: true, devices: [{ name: 'dax0.0', node: 1, blocks: 2, state: 'unplug' }] }), '-f', 'json'])) as {
    devices: { state_file: string; zone: unknown }[];
  };
  conforms('status', doc);
  assert.is(doc.devices[0].state_file, 'unplugged');
  assert.is(doc.devices[0].zone, null, 'no zone is null, not "-"');
});

outputs('apply: success, a refused unplug (EBUSY, rolled back), a dry run', async () => {
  const ok = host({ devices: [{ name: 'dax0.0', node: 1, blocks: 2, state: 'devdax' }] });
  conforms('apply', await json(['apply', '--auto-approve', '-c', policyFile(MOVABLE), '--sysfs-root', ok, '-f', 'json', '--lock-file', path.join(tempDir(), 'lock')]));
  const busy = host({ stateFile: true, devices: [{ name: 'dax0.0', node: 1, blocks: 2, state: 'online' }] }, { stateFile: true, busyBlocks: [33] });
  const failed = (await json(['apply', '--auto-approve', '-c', policyFile(MOVABLE), '--sysfs-root', busy, '-f', 'json', '--lock-file', path.join(tempDir(), 'lock')], 1)) as { outcomes: { restored: boolean }[] };
  conforms('apply', failed);
  assert.is(failed.outcomes[0].restored, true);
  conforms('apply', await json(['apply', '--dry-run', '-c', policyFile(MOVABLE), '--sysfs-root', ok, '-f', 'json']));
  // A debt a bind left on the lock (plan.owed), dropped: it was owed in another boot.
  const lock = path.join(tempDir(), 'lock');
  fs.writeFileSync(lock, JSON.stringify({ pid: 999999999, trigger: 'udev', started: 'then', owed: { device: 'dax0.0', restore: 'online', set: 'online_movable', boot_id: 'b0000000-0000-4000-8000-0000000000ff' } }) + '\n');
  const owed = (await json(['apply', '--dry-run', '-c', policyFile(MOVABLE), '--sysfs-root', ok, '-f', 'json', '--lock-file', lock])) as { plan: { owed: { action: string } } };
  assert.is(owed.plan.owed.action, 'drop');
  conforms('apply', owed);
});

outputs('validate --format json: valid, with warnings (--strict), invalid, missing', async () => {
  const valid = await run(['validate', '-c', path.join(EXAMPLE, 'daxplan.yaml'), '--sysfs-root', REAL_612, '-f', 'json']);
  conforms('validate', JSON.parse(valid.stdout));
  const typo = policyFile('version: 1\nrules:\n  - name: app\n    match: { serial: 0x1234abce }\n    state: devdax\n');
  const strict = await run(['validate', '-c', typo, '--sysfs-root', REAL_612, '-f', 'json', '--strict']);
  assert.is(strict.code, 65);
  const doc = JSON.parse(strict.stdout);
  conforms('validate', doc);
  assert.equal([doc.ok, doc.diagnostics[0].line, doc.diagnostics[0].column, doc.diagnostics[0].severity], [false, 3, 5, 'warning']);
  const invalid = await run(['validate', '-c', policyFile('version: 1\nrules:\n  - name: a\n    match: { serail: 1 }\n    state: online\n'), '-f', 'json']);
  assert.is(invalid.code, 65);
  conforms('validate', JSON.parse(invalid.stdout));
  assert.is(invalid.stderr, '');
  const missing = await run(['validate', '-c', path.join(tempDir(), 'none.yaml'), '-f', 'json']);
  conforms('validate', JSON.parse(missing.stdout));
  assert.is(JSON.parse(missing.stdout).diagnostics[0].line, null);
});

outputs('doctor, snapshot and a saved plan', async () => {
  conforms('doctor', await json(['doctor', '--sysfs-root', REAL_612, '-f', 'json']));
  conforms('snapshot', await json(['snapshot', '--sysfs-root', REAL_612]));
  const root = host({ devices: [{ name: 'dax0.0', node: 1, blocks: 2, state: 'online' }] });
  const out = path.join(tempDir(), 'plan.json');
  assert.is((await run(['plan', '-c', policyFile(MOVABLE), '--sysfs-root', root, '--out', out])).code, 0);
  conforms('saved-plan', JSON.parse(fs.readFileSync(out, 'utf8')));
  // Devices made of CXL regions: their identity carries the region and the memdevs.
  const cxl = path.join(REPO, 'test/fixtures/real-cxl-7.3/default-boot/sys');
  assert.is((await run(['plan', '-c', policyFile(MOVABLE), '--sysfs-root', cxl, '--out', out])).code, 0);
  const saved = JSON.parse(fs.readFileSync(out, 'utf8'));
  assert.is(saved.host.devices[0].identity.cxl.memdevs[0].serial, '0x1234abcd');
  conforms('saved-plan', saved);
});

outputs('diff --format json and status --format daxctl', async () => {
  const far = path.join(tempDir(), 'far.json');
  fs.writeFileSync(far, (await run(['snapshot', '--sysfs-root', REAL_612])).stdout);
  const doc = (await json(['diff', path.join(EXAMPLE, 'daxplan.yaml'), policyFile(MOVABLE), '--state', far, '-f', 'json'])) as { hosts: { changed: boolean }[] };
  conforms('diff', doc);
  assert.is(doc.hosts[0].changed, true);
  conforms('daxctl-list', await json(['status', '--sysfs-root', REAL_612, '-f', 'daxctl']));
  conforms('daxctl-list', await json(['status', '--sysfs-root', host({ devices: [{ name: 'dax0.0', node: 1, blocks: 2, state: 'unbound' }] }), '-f', 'daxctl']));
  assert.not.ok(schema('daxctl-list')([{ chardev: 'dax0.0', size: 1, mode: 'devdax', online_memblocks: 0 }]));
});

outputs('famfs and the hmem fallback: a famfs device blocked in the plan, an unassembled CXL device in status and snapshot', async () => {
  const famfs = path.join(REPO, 'test/fixtures/derived/famfs-7.3/sys');
  const fallback = path.join(REPO, 'test/fixtures/derived/hmem-fallback-cxl-7.3/sys');
  const plan = (await json(['plan', '-c', policyFile(MOVABLE), '--sysfs-root', famfs, '-f', 'json'])) as { devices: { state: string; decision: string }[] };
  conforms('plan', plan);
  assert.ok(plan.devices.some((d) => d.state === 'famfs' && d.decision === 'blocked'));
  for (const root of [famfs, fallback]) conforms('status', await json(['status', '--sysfs-root', root, '-f', 'json']));
  const snapshot = (await json(['snapshot', '--sysfs-root', fallback])) as { devices: { unassembled: unknown }[] };
  conforms('snapshot', snapshot);
  assert.ok(snapshot.devices.some((d) => d.unassembled !== null));
  conforms('doctor', await json(['doctor', '--sysfs-root', famfs, '-c', policyFile(MOVABLE), '-f', 'json']));
});

outputs('plan --state over several snapshots (a fleet plan, a blocked host among them)', async () => {
  const dir = tempDir();
  fs.writeFileSync(path.join(dir, 'a.json'), (await run(['snapshot', '--sysfs-root', REAL_612])).stdout);
  fs.writeFileSync(path.join(dir, 'b.json'), (await run(['snapshot', '--sysfs-root', path.join(REPO, 'examples/cxl-movable-pmem-app/host/sys'), '--hostname', 'cxl'])).stdout);
  const doc = (await json(['plan', '-c', path.join(EXAMPLE, 'daxplan.yaml'), '--state', dir, '-f', 'json'])) as { totals: { blocked: number } };
  conforms('fleet-plan', doc);
  assert.is(doc.totals.blocked, 1);
  assert.not.ok(schema('fleet-plan')({ ...doc, hosts: [] }), 'a fleet plan has at least one host');
});

outputs('a schema is not a rubber stamp: a wrong shape is refused', () => {
  assert.not.ok(schema('status')({ format_version: '2.0', kind: 'status', kernel: {}, devices: [], disabled: null }));
  assert.not.ok(schema('plan')({ format_version: '1.0', kind: 'plan' }));
});

outputs.run();
