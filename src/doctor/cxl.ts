// The ZONE_NORMAL trap for CXL memory present at boot: the kernel onlines it
// as auto_online_blocks (memhp_default_state= on the command line) says the
// moment kmem binds the region's dax device, before daxplan runs, and memory
// in ZONE_NORMAL is often refused when taken offline again (EBUSY: kernel
// allocations landed in it), so a policy's online_movable or unplug cannot
// be reached until the next boot.
import { join } from 'node:path';
import { zoneNamed, type Observed, type ObservedDevice } from '../model/device.js';
import type { Plan } from '../plan/plan.js';
import { lastParam, parseCmdline } from './cmdline.js';
import { KERNEL_DEFAULTS_UNIT, sysfsPath, wantedBy, type Finding } from './finding.js';
import { MEMORY } from '../host/sysfs.js';
import { autoMovable, type HotplugParams } from '../model/hotplug.js';
import { hex, hexRange } from '../model/units.js';

const FIX =
  `Boot with memhp_default_state=offline on the kernel command line (it holds before any driver loads, the initramfs's too), ` +
  `or declare 'kernel: { auto_online_blocks: offline }' in the policy and enable ${KERNEL_DEFAULTS_UNIT} (make install installs it) ` +
  `(enough when the CXL drivers load after it, not from the initramfs); then reboot, so the memory arrives offline and daxplan places it.`;

/** The host's files, when read: its root and /proc/cmdline. */
interface HostFiles {
  root: string;
  cmdline: string | undefined;
}

export function cxlFindings(observed: Observed, plan: Plan | undefined, host: HostFiles | undefined): Finding[] {
  const cxl = observed.devices.filter((d) => d.source === 'cxl');
  if (cxl.length === 0) return [];
  const trapped = cxl.filter((d) => normalBlocks(d) > 0 && wantsZoneNormal(plan, d) === false);
  if (trapped.length) return trapped.map(trappedFinding);
  const boot = bootDefault(observed, host);
  if (boot.value !== 'online' && boot.value !== 'online_kernel') return [];
  return [
    {
      id: 'cxl.zone-normal',
      severity: 'info',
      evidence: boot.evidence,
      message: `CXL memory present at boot (${cxl.map((d) => d.name).join(', ')}) is onlined into ${bootZone(boot.value, observed.kernel.hotplug)} the moment kmem binds it, before daxplan runs; memory in ZONE_NORMAL is often refused when taken offline again`,
      fix: FIX,
    },
  ];
}

/** The zone the boot default puts CXL memory in: under auto-movable, plain online follows the kernel's ratio (mm/memory_hotplug.c auto_movable_zone_for_pfn). */
function bootZone(value: string, hotplug: HotplugParams): string {
  if (value !== 'online' || !autoMovable(hotplug)) return `ZONE_NORMAL (${value})`;
  if (hotplug.numaAware || hotplug.autoMovableRatio === 0)
    return 'ZONE_NORMAL (online, under auto-movable with auto_movable_numa_aware: a node without boot-time kernel memory, as a CXL window\'s own node is, gets no ZONE_MOVABLE)';
  return `ZONE_MOVABLE or ZONE_NORMAL (online, under auto-movable: ZONE_MOVABLE while the host's stays within ${hotplug.autoMovableRatio}% of its boot-time kernel memory)`;
}

function trappedFinding(d: ObservedDevice): Finding {
  const serials = d.cxl?.memdevs.map((m) => `${m.name} serial ${hex(m.serial)}`).join(', ');
  return {
    id: 'cxl.zone-normal',
    severity: 'warning',
    evidence: `${sysfsPath(`bus/dax/devices/${d.name}`)}: ${normalBlocks(d)} of ${d.blocks.length} blocks in ZONE_NORMAL`,
    message: `${d.name} (CXL ${d.cxl?.region ?? 'region'}${serials ? `, ${serials}` : ''}) was onlined into ZONE_NORMAL as the kernel's default said, before daxplan ran; memory in ZONE_NORMAL is often refused when taken offline again (EBUSY), so moving it elsewhere may fail until the next boot`,
    fix: FIX,
  };
}

function normalBlocks(d: ObservedDevice): number {
  return d.blocks.filter((b) => b.state === 'online' && zoneNamed(b.zone) === 'normal').length;
}

/** Whether the policy wants the device in ZONE_NORMAL; undefined when it leaves it alone. Without a policy: false. */
function wantsZoneNormal(plan: Plan | undefined, d: ObservedDevice): boolean | undefined {
  if (!plan) return false;
  const desired = wantedBy(plan, d.name).to;
  return desired === undefined ? undefined : desired === 'online';
}

/** What the kernel does with memory present at boot: memhp_default_state= when given, else what auto_online_blocks reads. */
function bootDefault(observed: Observed, host: HostFiles | undefined): { value: string | undefined; evidence: string } {
  const param = host?.cmdline === undefined ? undefined : lastParam(parseCmdline(host.cmdline), 'memhp_default_state');
  if (param) return { value: param.value, evidence: `${join(host!.root, 'proc/cmdline')}: ${param.text}` };
  const value = observed.kernel.autoOnlineBlocks;
  return { value, evidence: `${sysfsPath(`${MEMORY}/auto_online_blocks`)} = ${value}` };
}

/** The hmem fallback: CXL memory whose region did not assemble, now a dax device with no CXL identity. */
export function unassembledFindings(observed: Observed): Finding[] {
  return observed.devices.flatMap((d) => {
    const w = d.unassembled;
    if (!w) return [];
    return [
      {
        id: 'cxl.unassembled',
        severity: 'warning' as const,
        evidence: `${sysfsPath(`bus/dax/devices/${d.name}`)} (${d.source} device, no CXL region) in ${sysfsPath(`bus/cxl/devices/${w.decoder}`)} (${hexRange(w.start, w.end)})`,
        message: `${d.name} is CXL memory whose region did not assemble: the kernel made the window's memory a plain ${d.source} dax device, with no serial, PCI address or QoS class; rules selecting it by those block it (on_unassembled: block) or pass it on (fall_through)`,
        fix: "Find why the region failed ('cxl list -RD', the kernel log: a missing or late memdev, a decoder the firmware committed differently), assemble it ('cxl create-region'), then re-plan; until then select the device by address if a rule must decide it.",
      },
    ];
  });
}
