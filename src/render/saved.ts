// daxplan show: a saved plan printed as plan printed it (the same lines for
// its kernel settings and changes), headed by what it was made from and
// followed by the policy it records, which apply plans again from: what a
// reviewer approves is that policy on that host.
import type { SavedPlan } from '../model/saved-plan.js';
import { kernelAfter } from '../plan/plan.js';
import type { SavedView } from '../plan/saved-view.js';
import { entryLines, settingLines } from './text.js';
import { printable } from './words.js';
import type { Style } from './style.js';

const BOUND_TO = { host: 'this host', tree: "the tree's proc/ beside its sys/", snapshot: 'the snapshot' } as const;

export function savedPlanText(file: string, saved: SavedPlan, { plan, others, unreproduced }: SavedView, style: Style): string {
  const { host, policy } = saved;
  const made = [
    `made ${saved.created_at}`,
    `from ${policy.file} (sha256 ${policy.sha256.slice(0, 12)})`,
    `on a host with kernel ${host.kernel_release ?? '?'}, boot ${host.boot_id ?? '?'} (read from ${BOUND_TO[host.source]}), auto_online_blocks=${host.auto_online_blocks ?? 'unknown'}`,
  ];
  const auto = kernelAfter(plan.kernel, plan.settings).autoOnlineBlocks;
  const out = [style.dim(`Saved plan ${file}: ${made.join(', ')}`), ''];
  const forged = unreproduced.length ? [style.remove(style.bold('Its policy does not make this plan of the host it records; daxplan apply refuses it:')), ...unreproduced.map((why) => `  ! ${why}`), ''] : [];
  out.push(...forged);
  for (const setting of plan.settings) out.push(...settingLines(setting, style));
  for (const entry of plan.entries) out.push(...entryLines(entry, auto, undefined, style));
  const left = others ? `; ${others} other device${others === 1 ? '' : 's'} left as ${others === 1 ? 'it is' : 'they are'}` : '';
  out.push('', style.bold(plan.summary.change ? `Plan: ${plan.summary.change} to change${left}.` : `No changes${left}.`));
  out.push('', style.bold(`The policy it was made from (${policy.file}), which apply plans again from:`));
  out.push(...printable(policy.text, true).replace(/\n$/, '').split('\n').map((line) => `  | ${line}`));
  out.push('', `daxplan apply ${file} plans again from this policy and carries the plan out only if it is the same, on the same host and boot.`);
  if (forged.length) out.push('', ...forged.slice(0, -1));
  return out.join('\n') + '\n';
}

