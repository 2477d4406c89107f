// status --format daxctl: the devices as `daxctl list` prints them (the same
// field names and rules for when a field is there), so scripts written for
// daxctl keep working.
import { blockKind, FAMFS_DRIVER, onlineBlockCount, type ObservedDevice } from '../model/device.js';

export function daxctlList(devices: ObservedDevice[], align: Map<string, number>) {
  return devices.map((d) => {
    const ram = d.driver === 'kmem';
    const online = d.blocks.filter((b) => b.state === 'online');
    return {
      chardev: d.name,
      size: Number(d.size),
      ...(d.targetNode !== undefined && d.targetNode >= 0 ? { target_node: d.targetNode } : {}),
      ...(align.has(d.name) ? { align: align.get(d.name) } : {}),
      mode: modeOf(d),
      // daxctl: movable only when every online block is in ZONE_MOVABLE (none online: not movable).
      ...(ram && d.state !== 'unknown' ? { online_memblocks: onlineBlockCount(d), total_memblocks: d.blocks.length, movable: online.length > 0 && online.every((b) => blockKind(b) === 'Movable') } : {}),
      ...(d.driver === 'none' ? { state: 'disabled' } : {}),
    };
  });
}

/** daxctl v85's words: famfs for fsdev_dax, unknown for a driver it does not know; a device with no driver reads devdax as in earlier daxctl. */
function modeOf(d: ObservedDevice): string {
  if (d.driver === 'kmem') return 'system-ram';
  if (d.driver === FAMFS_DRIVER) return 'famfs';
  return d.driver === 'device_dax' || d.driver === 'none' ? 'devdax' : 'unknown';
}
