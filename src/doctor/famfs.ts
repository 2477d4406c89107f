// Devices another driver holds: famfs (fsdev_dax) and drivers daxplan does
// not know. daxplan never unbinds them; doctor says which they are, whether
// a rule wants them elsewhere, and when a device the policy expects under
// famfs has left it (drift reported, never acted on).
import { FAMFS_DRIVER, heldByOtherDriver, type Observed } from '../model/device.js';
import type { Plan } from '../plan/plan.js';
import { driverWords } from '../plan/held.js';
import { sysfsPath, wantedBy, type Finding } from './finding.js';

export function heldFindings(observed: Observed, plan: Plan | undefined): Finding[] {
  const findings: Finding[] = [];
  for (const device of observed.devices) {
    const { to: wanted, decider } = wantedBy(plan, device.name);
    const evidence = `${sysfsPath(`bus/dax/devices/${device.name}/driver`)} -> ${device.driver}`;
    if (heldByOtherDriver(device.state)) {
      const famfs = device.state === 'famfs';
      const elsewhere = wanted !== undefined && wanted !== 'famfs';
      findings.push({
        id: famfs ? 'device.famfs' : 'device.other-driver',
        severity: elsewhere ? 'warning' : 'info',
        evidence,
        message: `${device.name} is bound to ${driverWords(device)}${famfs ? ': it may hold a mounted famfs file system (shared memory)' : ''}; daxplan never unbinds it${elsewhere ? `, though ${decider} wants ${wanted}` : ''}`,
        fix: elsewhere
          ? famfs
            ? `Give ${device.name} a rule with state: famfs ahead of ${decider}, or unmount famfs and unbind it by hand if it should be ${wanted}.`
            : `Leave ${device.name} out of ${decider} (its driver owns it), or unbind ${device.driver} by hand if it should be ${wanted}.`
          : famfs && wanted !== 'famfs'
            ? `Nothing to do; a rule with state: famfs naming ${device.name} makes daxplan report it if it ever leaves famfs.`
            : 'Nothing to do.',
      });
    } else if (wanted === 'famfs')
      findings.push({
        id: 'device.famfs-drift',
        severity: 'warning',
        evidence,
        message: `${decider} expects ${device.name} under famfs (${FAMFS_DRIVER}), but it is ${device.state} (driver ${device.driver}): it left famfs, and daxplan changes nothing`,
        fix: `Find what rebound ${device.name} (daxctl reconfigure-device, a udev rule, a script) and bring famfs back on it (daxctl reconfigure-device -m famfs ${device.name}), or change the rule.`,
      });
  }
  return findings;
}
