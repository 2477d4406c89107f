// Devices another driver holds, which daxplan never changes: famfs
// (fsdev_dax: a shared-memory file system may be mounted on the device) and
// drivers daxplan does not know. A policy names `famfs` for the devices it
// expects under famfs, so one found anywhere else is drift to report, and a
// famfs device a rule wants elsewhere is blocked with the reason.
import { FAMFS_DRIVER, heldByOtherDriver, type DesiredState, type ObservedDevice } from '../model/device.js';

export type HeldDecision = { kind: 'unchanged' } | { kind: 'blocked'; reason: string };

/** Undefined when the device is daxplan's to move (neither held by another driver nor expected under famfs). */
export function heldDecision(device: ObservedDevice, to: DesiredState): HeldDecision | undefined {
  if (device.state === 'famfs' && to === 'famfs') return { kind: 'unchanged' };
  if (heldByOtherDriver(device.state)) {
    const held = `${device.name} is bound to ${driverWords(device)}`;
    if (to === 'famfs') return { kind: 'blocked', reason: `the policy expects famfs (${FAMFS_DRIVER}), but ${held}; daxplan never unbinds another driver's device` };
    return {
      kind: 'blocked',
      reason:
        device.state === 'famfs'
          ? `${held}: daxplan never unbinds a device a file system may be mounted on; unmount famfs and unbind it by hand if it should be ${to}`
          : `${held}, a driver daxplan does not manage and never unbinds`,
    };
  }
  if (to === 'famfs')
    return {
      kind: 'blocked',
      reason: `the policy expects famfs (${FAMFS_DRIVER}), but ${device.name} is ${device.state} (driver ${device.driver}): drift reported, not acted on (daxplan never binds ${FAMFS_DRIVER})`,
    };
  return undefined;
}

/** "fsdev_dax (famfs)", or the other driver's name. */
export function driverWords(device: ObservedDevice): string {
  return device.driver === FAMFS_DRIVER ? `${FAMFS_DRIVER} (famfs)` : device.driver;
}
