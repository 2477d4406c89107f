// status --format prometheus: node_exporter's textfile-collector format (the
// Prometheus text exposition format), one series per device and per zone,
// never per memory block. Names in base units; the last apply's time as a
// ..._timestamp_seconds gauge.
import { DEVICE_STATES_SHOWN, onlineBytesByZone } from './signal-facts.js';
import { planStanding, type HostSignals } from '../report/signals.js';
import { DEVICE_RESULTS } from '../host/last-apply.js';

type Labels = Record<string, string>;
interface Sample {
  labels?: Labels;
  value: number | bigint;
}

export function prometheusText(signals: HostSignals): string {
  const { observed, policy, lastApply, pause } = signals;
  const out: string[] = [];
  const metric = (name: string, help: string, samples: Sample[]) => {
    out.push(`# HELP ${name} ${help}`, `# TYPE ${name} gauge`);
    for (const s of samples) out.push(`${name}${labelText(s.labels)} ${String(s.value)}`);
  };
  const devices = observed.devices;
  metric(
    'daxplan_device_state',
    'Whether the dax device is in this state (1) or not (0), as read from its memory blocks.',
    devices.flatMap((d) => DEVICE_STATES_SHOWN.map((state) => ({ labels: { device: d.name, state }, value: d.state === state ? 1 : 0 }))),
  );
  metric(
    'daxplan_device_size_bytes',
    'Size of the dax device.',
    devices.map((d) => ({ labels: { device: d.name }, value: d.size })),
  );
  metric(
    'daxplan_device_online_bytes',
    "Memory of the dax device online as system RAM, by zone (normal: ZONE_NORMAL, movable: ZONE_MOVABLE).",
    devices.flatMap((d) => {
      const zones = onlineBytesByZone(d, observed.kernel);
      return zones ? (['normal', 'movable'] as const).map((zone) => ({ labels: { device: d.name, zone }, value: zones[zone] })) : [];
    }),
  );
  metric('daxplan_policy_valid', 'Whether the policy could be loaded (1) or not (0: no drift or blocked series then).', [{ value: policy.kind === 'planned' ? 1 : 0 }]);
  if (policy.kind === 'planned') {
    const entries = policy.plan.entries;
    metric(
      'daxplan_device_drift',
      'Whether the dax device differs from what the policy wants (1: the plan would change it) or not (0).',
      entries.map((e) => ({ labels: { device: e.device.name }, value: e.kind === 'change' ? 1 : 0 })),
    );
    metric(
      'daxplan_device_blocked',
      'Whether the dax device cannot be planned (1: apply leaves it alone and fails) or not (0).',
      entries.map((e) => ({ labels: { device: e.device.name }, value: e.kind === 'blocked' ? 1 : 0 })),
    );
    metric(
      'daxplan_kernel_setting_drift',
      "Whether a kernel setting the policy declares differs from the kernel's (1) or not (0).",
      policy.plan.settings.map((s) => ({ labels: { setting: s.setting }, value: s.kind === 'unchanged' ? 0 : 1 })),
    );
    metric('daxplan_converged', "Whether the host matches the policy: nothing to change, nothing blocked (1) or not (0).", [
      { value: planStanding(policy) === 'converged' ? 1 : 0 },
    ]);
  }
  metric('daxplan_disabled', 'Whether daxplan is disabled for maintenance (daxplan disable): automatic runs change nothing.', [{ value: pause ? 1 : 0 }]);
  if (lastApply) {
    metric('daxplan_last_apply_timestamp_seconds', 'When the last apply (daxplan apply, or a watch tick that applied) ended, in seconds since the epoch.', [
      { value: Date.parse(lastApply.finished) / 1000 },
    ]);
    metric('daxplan_last_apply_duration_seconds', 'How long the last apply took.', [{ value: lastApply.durationSeconds }]);
    metric('daxplan_last_apply_success', 'Whether the last apply succeeded (1: every change applied, or nothing to do) or failed (0).', [
      { value: lastApply.result === 'failed' ? 0 : 1 },
    ]);
    metric(
      'daxplan_last_apply_devices',
      'Devices and kernel settings of the last apply, by outcome.',
      DEVICE_RESULTS.map((result) => ({ labels: { result }, value: lastApply.counts[result] })),
    );
  }
  return out.join('\n') + '\n';
}

function labelText(labels: Labels | undefined): string {
  if (!labels) return '';
  return `{${Object.entries(labels)
    .map(([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"')}"`)
    .join(',')}}`;
}
