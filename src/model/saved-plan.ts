// The saved plan document (plan --out FILE): recorded intent, a public
// format (schemas/saved-plan.schema.json).
import type { AutoOnline, DesiredState, ObservedState, StateWord } from './device.js';
import type { Method, StepJson } from './steps.js';

/** What a plan was made from: enough to tell, before the first write, that the host is no longer the one the plan was made for. */
export interface Fingerprint {
  boot_id: string | null;
  kernel_release: string | null;
  auto_online_blocks: string | null;
  devices: { name: string; uuid: string | null; state: ObservedState; state_file: StateWord | null; target_node: number | null; size: string; blocks: string }[];
  digest: string;
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

export interface SavedPlan {
  format_version: string;
  kind: 'saved-plan';
  created_at: string;
  policy: { file: string; sha256: string } | null;
  host: Fingerprint;
  kernel_settings: SavedSetting[];
  actions: SavedAction[];
  digest: string;
}

