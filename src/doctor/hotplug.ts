// The memory_hotplug parameters that place memory other than the policy
// says: auto-movable (the kernel picks the zone of plain `online` by a
// ratio) and memmap_on_memory (part of each added block holds its own
// struct pages, decided when kmem binds the device).
import type { AutoOnline, KernelFacts } from '../model/device.js';
import { autoMovable, HOTPLUG_PARAMETERS } from '../model/hotplug.js';
import { KERNEL_DEFAULTS_UNIT, sysfsPath, type Finding } from './finding.js';

const param = (name: string) => sysfsPath(`${HOTPLUG_PARAMETERS}/${name}`);

/** `effective`: what auto_online_blocks will be once the policy's settings are written. */
export function hotplugFindings(kernel: KernelFacts, effective: AutoOnline | undefined): Finding[] {
  const hotplug = kernel.hotplug;
  if (hotplug.kind === 'absent') return [];
  const findings: Finding[] = [];
  if (autoMovable(hotplug)) {
    const ratio = hotplug.autoMovableRatio;
    const where =
      ratio === 0
        ? 'always to ZONE_NORMAL (auto_movable_ratio 0: the kernel never picks ZONE_MOVABLE by itself)'
        : `to ZONE_MOVABLE only while ZONE_MOVABLE stays within ${ratio}% of the kernel memory present since boot, else to ZONE_NORMAL${
            hotplug.numaAware ? ", on the host and on the memory's own node: a node with only added memory (a CXL window's, a memory-only node) gets ZONE_NORMAL" : ''
          }`;
    const plainAtBind = effective === 'online';
    findings.push({
      id: 'kernel.online_policy',
      severity: plainAtBind ? 'warning' : 'info',
      evidence: `${param('online_policy')} = auto-movable (auto_movable_ratio ${ratio}, auto_movable_numa_aware ${hotplug.numaAware ? 'Y' : 'N'})`,
      message: `memory onlined with plain "online" (${plainAtBind ? 'auto_online_blocks=online when kmem binds a device, ' : ''}udev rules, daxctl --no-movable, a state file write of online) goes ${where}; daxplan names the zone in every write (online_kernel, online_movable), so its own moves land where the policy says`,
      fix: plainAtBind
        ? `Declare 'kernel: { auto_online_blocks: offline }' in the policy and enable ${KERNEL_DEFAULTS_UNIT}, so new memory waits offline for daxplan to choose its zone.`
        : 'Nothing to do for daxplan; tools that write plain "online" get the kernel\'s choice of zone.',
    });
  }
  if (hotplug.memmapOnMemory === 'on' || hotplug.memmapOnMemory === 'force')
    findings.push({
      id: 'kernel.memmap_on_memory',
      severity: 'info',
      evidence: `${param('memmap_on_memory')} = ${hotplug.memmapOnMemory === 'on' ? 'Y' : 'force'}`,
      message:
        'memory kmem adds carries its own struct pages (about 2 MiB of every 128 MiB block, never given to applications, and not movable), taken when kmem binds the device: ZONE_MOVABLE memory added so costs no kernel memory, so the movable-ratio guard is stricter than it needs to be for it',
      fix: 'It takes effect only at the bind: set memory_hotplug.memmap_on_memory on the kernel command line and, on kernels that have it, the device\'s own memmap_on_memory attribute while it is not bound to kmem.',
    });
  return findings;
}
