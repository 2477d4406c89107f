// Facts both fleet formats (prometheus, nfd) show, computed once.
import { onlineByZone, type KernelFacts, type ObservedDevice, type ObservedState, type Zone } from '../model/device.js';

// A record, so that a state added to ObservedState fails to compile here until it is listed.
const STATES: Record<ObservedState, null> = { online: null, online_movable: null, offline: null, mixed: null, unplug: null, devdax: null, unbound: null, unknown: null, famfs: null, foreign: null };
/** Every state status can report, in the order the metrics list them. */
export const DEVICE_STATES_SHOWN = Object.keys(STATES) as ObservedState[];

/** Bytes of the device online in each zone (its online blocks × the block size); undefined when the block size is unknown. */
export function onlineBytesByZone(device: ObservedDevice, kernel: KernelFacts): Record<Zone, bigint> | undefined {
  return kernel.blockSize ? onlineByZone(device, kernel.blockSize) : undefined;
}
