// Host-side check of the kernel-defaults scenario: the order
// daxplan-kernel-defaults.service sets up (policy kernel setting first, then
// kmem binding) on a real kernel. Reads what the guest observed, not what it
// meant to do.
import fs from 'node:fs';
import type { ScenarioRun } from '../run.js';

interface Described {
  driver: string;
  blocks: { state: string; zones: string }[];
}

// "dax1.0 driver=kmem [state=offline ]node=2 blocks: 57:offline/Normal,Movable 58:..."
function parseDescribe(line: string): Described {
  const m = /^dax\d+\.\d+ driver=(\S+)(?: state=\S+)? node=\S+ blocks: (.*)$/.exec(line);
  if (!m) throw new Error(`cannot read "${line}"`);
  const blocks = m[2] === 'none' ? [] : m[2].trim().split(/\s+/).map((b) => {
    const [, state, zones] = /^\d+:([^/]+)\/(.*)$/.exec(b) ?? [];
    return { state, zones };
  });
  return { driver: m[1], blocks };
}

function line(run: ScenarioRun, prefix: string): string {
  const found = run.lines.find((l) => l.startsWith(prefix));
  if (!found) throw new Error(`no "${prefix}" line`);
  return found.slice(prefix.length);
}

function findings(run: ScenarioRun, file: string): { id: string; severity: string }[] {
  return (JSON.parse(fs.readFileSync(run.files[file], 'utf8')) as { findings: { id: string; severity: string }[] }).findings;
}

export default function check(run: ScenarioRun): void {
  const boot = line(run, 'AUTO boot ');
  const before = parseDescribe(line(run, 'ORDER before '));
  const after = parseDescribe(line(run, 'ORDER after '));
  if (line(run, 'AUTO kernel-only ') !== 'offline') throw new Error('apply --kernel-only did not leave auto_online_blocks=offline');
  if (parseDescribe(line(run, 'UNTOUCHED ')).driver !== 'device_dax') throw new Error('apply --kernel-only touched dax1.0');

  // Bound before the setting: the kernel's boot default decided.
  const autoOnlined = before.blocks.length > 0 && before.blocks.every((b) => b.state === 'online');
  if (boot === 'offline' ? before.blocks.some((b) => b.state !== 'offline') : !autoOnlined)
    throw new Error(`dax0.0 bound before the kernel-only run does not show the boot default ${boot}: ${JSON.stringify(before.blocks)}`);
  // Bound after it: every block offline, whatever the kernel booted with.
  if (after.driver !== 'kmem' || after.blocks.length === 0 || after.blocks.some((b) => b.state !== 'offline'))
    throw new Error(`dax1.0 bound after the kernel-only run was not left offline: ${JSON.stringify(after.blocks)}`);

  const final = run.lines.filter((l) => l.startsWith('FINAL dax1.0 ')).map((l) => parseDescribe(l.slice(6)))[0];
  if (!final || final.blocks.some((b) => b.state !== 'online' || b.zones !== 'Movable'))
    throw new Error(`dax1.0 did not end in ZONE_MOVABLE: ${JSON.stringify(final?.blocks)}`);

  // doctor saw the drift before, and not after.
  const drift = (file: string) => findings(run, file).some((f) => f.id === 'kernel.auto_online_blocks');
  if (boot !== 'offline' && !drift('doctor-before.json')) throw new Error(`doctor did not report auto_online_blocks=${boot} against the policy`);
  if (drift('doctor-after.json')) throw new Error('doctor still reports auto_online_blocks after apply --kernel-only');
}
