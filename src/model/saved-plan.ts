// The saved plan document (plan --out FILE): recorded intent and the
// conditions it was made under, a public format (schemas/saved-plan.schema.json).
import type { AutoOnline, DesiredState, ObservedState } from './device.js';
import type { IdentityJson, MemoryJson } from './identity.js';
import type { ProcFacts } from './host-facts.js';
import type { HotplugJson } from './hotplug.js';
import type { Method, StepJson } from './steps.js';

/** Where the boot id and kernel release a plan is bound to were read: this machine's /proc, a tree's proc/ beside its sys/, or a snapshot. */
export type BindingSource = 'host' | 'tree' | 'snapshot';

/** The host a plan was made on: its boot, its kernel default and each device looked at, as it was and where its memory was. */
export interface SavedHost {
  source: BindingSource;
  boot_id: string | null;
  kernel_release: string | null;
  auto_online_blocks: AutoOnline | null;
  /** NUMA node -> memory tier, as the kernel showed them (3.1; show plans again with them, absent in 3.0 files). */
  node_tiers?: Record<string, number>;
  /** The memory_hotplug parameters (3.1, as snapshots carry them; null: the kernel shows none; absent in 3.0 files): show plans again with them. */
  memory_hotplug?: HotplugJson | null;
  devices: { identity: IdentityJson; memory: MemoryJson }[];
}

export interface SavedRule {
  name: string;
  file: string;
  line: number | null;
}

export interface SavedAction {
  device: string;
  from: ObservedState;
  to: DesiredState;
  method: Method;
  steps: StepJson[];
  rule: SavedRule;
  reason: string;
}

export interface SavedSetting {
  setting: 'auto_online_blocks';
  from: AutoOnline | null;
  to: AutoOnline;
  rule: SavedRule;
}

/** What a plan does: the part apply makes again from the recorded policy and must find the same. */
export interface SavedIntent {
  kernel_settings: SavedSetting[];
  actions: SavedAction[];
}

export interface SavedPlan extends SavedIntent {
  format_version: string;
  kind: 'saved-plan';
  created_at: string;
  /** The policy it was made from, whole: apply plans again from it, show prints it. */
  policy: { file: string; sha256: string; text: string };
  host: SavedHost;
  digest: string;
}

/** The boot a plan is bound to and where it was read. */
export type Binding = ProcFacts & { source: BindingSource };
