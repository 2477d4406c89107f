// What a plan was made from: enough to tell, before the first write, that the
// host is no longer the one the plan was made for.
import { blockSignature, type Observed } from '../model/device.js';
import type { ProcFacts } from '../model/host-facts.js';
import type { Fingerprint } from '../model/saved-plan.js';
import { sha256Hex } from '../model/digest.js';

export function fingerprint(observed: Observed, proc: ProcFacts): Fingerprint {
  const body = {
    boot_id: proc.bootId,
    kernel_release: proc.kernelRelease,
    auto_online_blocks: observed.kernel.autoOnlineBlocks ?? null,
    devices: observed.devices.map((d) => ({
      name: d.name,
      uuid: d.uuid ?? null,
      state: d.state,
      state_file: d.stateFile ?? null,
      target_node: d.targetNode ?? null,
      size: String(d.size),
      blocks: blockSignature(d),
    })),
  };
  return { ...body, digest: sha256Hex(JSON.stringify(body)) };
}

/** Differences that make a saved plan stale, in words; empty when it is fresh. */
export function staleness(saved: Fingerprint, now: Fingerprint): string[] {
  if (saved.digest === now.digest) return [];
  const out: string[] = [];
  const known = (v: string | null) => v ?? 'unknown';
  if (saved.boot_id !== now.boot_id) out.push(`the host rebooted (boot id ${known(saved.boot_id)} -> ${known(now.boot_id)})`);
  if (saved.kernel_release !== now.kernel_release) out.push(`kernel ${known(saved.kernel_release)} -> ${known(now.kernel_release)}`);
  if (saved.auto_online_blocks !== now.auto_online_blocks) out.push(`auto_online_blocks ${known(saved.auto_online_blocks)} -> ${known(now.auto_online_blocks)}`);
  const nowByName = new Map(now.devices.map((d) => [d.name, d]));
  for (const old of saved.devices) {
    const cur = nowByName.get(old.name);
    if (!cur) out.push(`${old.name} is gone`);
    else if (cur.uuid !== old.uuid || cur.size !== old.size || cur.target_node !== old.target_node) out.push(`${old.name} is another device now`);
    else if (cur.state !== old.state) out.push(`${old.name} was ${old.state}, is now ${cur.state}`);
    else if (cur.state_file !== old.state_file) out.push(`${old.name}'s state file read ${old.state_file}, now ${cur.state_file}`);
    else if (cur.blocks !== old.blocks) out.push(`${old.name}'s memory blocks changed`);
    nowByName.delete(old.name);
  }
  for (const name of nowByName.keys()) out.push(`${name} appeared`);
  return out.length ? out : ['the host differs from when the plan was made'];
}
