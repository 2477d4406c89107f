// contrib/kubernetes/daxplan.yaml against the Kubernetes API schemas
// (kubernetes-models: no cluster runs here), the policy in its ConfigMap
// through daxplan validate, and what the DaemonSet must do for daxplan to
// work on a node: privileged, the host's /sys, /run/daxplan and network
// namespace, the watch loop, resource limits.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { DaemonSet } from 'kubernetes-models/apps/v1/DaemonSet';
import type { IDaemonSet } from 'kubernetes-models/apps/v1/DaemonSet';
import type { IConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { run } from './support/cli.js';
import { policyFile, REAL_612, REPO } from './support/host.js';

const FILE = path.join(REPO, 'contrib/kubernetes/daxplan.yaml');
const MODELS: Record<string, { new (data: never): { validate(): void } }> = {
  'v1/Namespace': Namespace,
  'v1/ConfigMap': ConfigMap,
  'apps/v1/DaemonSet': DaemonSet,
};

const parsed = parseAllDocuments(fs.readFileSync(FILE, 'utf8'));
const docs = parsed.map((d) => d.toJS() as { apiVersion: string; kind: string });
const daemonSet = docs.find((d) => d.kind === 'DaemonSet') as IDaemonSet;
const configMap = docs.find((d) => d.kind === 'ConfigMap') as IConfigMap;
const pod = daemonSet.spec!.template.spec!;
const container = pod.containers[0];

const k8s = suite('contrib/kubernetes/daxplan.yaml');

k8s('every document parses and validates against its Kubernetes API schema', () => {
  for (const d of parsed) assert.equal(d.errors, [], 'YAML errors');
  assert.equal(docs.map((d) => `${d.apiVersion}/${d.kind}`), ['v1/Namespace', 'v1/ConfigMap', 'apps/v1/DaemonSet']);
  for (const doc of docs) new MODELS[`${doc.apiVersion}/${doc.kind}`](doc as never).validate();
});

k8s('the validation is real: a wrong type or a missing required field is reported', () => {
  const wrongType = structuredClone(daemonSet) as unknown as { spec: { template: { spec: Record<string, unknown> } } };
  wrongType.spec.template.spec.hostNetwork = 'yes';
  assert.throws(() => new DaemonSet(wrongType as never).validate(), /hostNetwork must be boolean/);
  const noSelector = structuredClone(daemonSet) as unknown as { spec: Record<string, unknown> };
  delete noSelector.spec.selector;
  assert.throws(() => new DaemonSet(noSelector as never).validate(), /selector/);
});

k8s("the pod can do daxplan's job: privileged root, host network (the lock's abstract socket), the host's /sys and /run/daxplan", () => {
  assert.is(pod.hostNetwork, true);
  assert.is(container.securityContext?.privileged, true);
  assert.is(container.securityContext?.runAsUser, 0);
  const mounts = new Map(container.volumeMounts!.map((m) => [m.name, m]));
  const hostPath = (mountPath: string) => {
    const mount = container.volumeMounts!.find((m) => m.mountPath === mountPath);
    assert.ok(mount, `a volume mounted at ${mountPath}`);
    return pod.volumes!.find((v) => v.name === mount!.name)?.hostPath?.path;
  };
  assert.is(hostPath('/host/sys'), '/sys');
  assert.is(hostPath('/run/daxplan'), '/run/daxplan');
  assert.is(hostPath('/host/var/lib/daxplan'), '/var/lib/daxplan');
  assert.is(hostPath('/var/lib/prometheus/node-exporter'), '/var/lib/prometheus/node-exporter');
  assert.is(hostPath('/etc/kubernetes/node-feature-discovery/features.d'), '/etc/kubernetes/node-feature-discovery/features.d');
  // The policy is a regular file (subPath), not the ConfigMap's links, which daxplan refuses as root.
  const policy = mounts.get('policy')!;
  assert.is(policy.subPath, 'daxplan.yaml');
  assert.is(pod.volumes!.find((v) => v.name === 'policy')?.configMap?.name, configMap.metadata!.name);
  assert.ok(container.resources?.limits?.memory && container.resources.limits.cpu && container.resources.requests?.memory, 'requests and limits');
  assert.ok(pod.terminationGracePeriodSeconds! >= 60, 'time for a tick to finish its device');
});

k8s('the container runs the watch loop with flags daxplan takes, the policy where the ConfigMap puts it', async () => {
  const args = container.args!;
  assert.equal(args.slice(0, 4), ['watch', '--schedule', '*/10 * * * *', '--apply']);
  const flag = (name: string) => args[args.indexOf(name) + 1];
  assert.is(flag('--config'), container.volumeMounts!.find((m) => m.name === 'policy')!.mountPath);
  assert.is(flag('--sysfs-root'), '/host/sys');
  assert.ok(flag('--metrics-file').startsWith('/var/lib/prometheus/node-exporter/'));
  // The real CLI takes these flags: a watch pointed at a tree that is not there exits 66, after parsing every flag (64 otherwise).
  const r = await run([...args.map((a) => (a === '/host/sys' ? '/nonexistent-sys' : a))]);
  assert.is(r.code, 66, r.stderr);
});

k8s('the policy in the ConfigMap passes daxplan validate', async () => {
  const text = configMap.data!['daxplan.yaml'];
  const r = await run(['validate', '--strict', '-c', policyFile(text), '--sysfs-root', REAL_612]);
  assert.is(r.code, 0, r.stderr + r.stdout);
  assert.match(r.stdout, '1 rule, valid');
});

k8s.run();
