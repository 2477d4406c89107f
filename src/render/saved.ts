// daxplan show: a saved plan printed as plan printed it (the same lines for
// its kernel settings and changes), headed by what it was made from.
import type { SavedPlan } from '../model/saved-plan.js';
import { kernelAfter } from '../plan/plan.js';
import type { SavedView } from '../plan/saved-view.js';
import { entryLines, settingLines } from './text.js';
import type { Style } from './style.js';

export function savedPlanText(file: string, saved: SavedPlan, { plan, others }: SavedView, style: Style): string {
  const { host, policy } = saved;
  const made = [
    `made ${saved.created_at}`,
    policy ? `from ${policy.file} (sha256 ${policy.sha256.slice(0, 12)})` : undefined,
    `on a host with kernel ${host.kernel_release ?? '?'}, boot ${host.boot_id ?? '?'}, auto_online_blocks=${host.auto_online_blocks ?? 'unknown'}`,
  ].filter(Boolean);
  const auto = kernelAfter(plan.kernel, plan.settings).autoOnlineBlocks;
  const out = [style.dim(`Saved plan ${file}: ${made.join(', ')}`), ''];
  for (const setting of plan.settings) out.push(...settingLines(setting, style));
  for (const entry of plan.entries) out.push(...entryLines(entry, auto, undefined, style));
  const left = others ? `; ${others} other device${others === 1 ? '' : 's'} left as ${others === 1 ? 'it is' : 'they are'}` : '';
  out.push('', style.bold(plan.summary.change ? `Plan: ${plan.summary.change} to change${left}.` : `No changes${left}.`));
  out.push(`daxplan apply ${file} carries it out, and refuses it if the host changed since.`);
  return out.join('\n') + '\n';
}
