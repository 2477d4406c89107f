// The kernel steps a plan is made of: what a saved plan records and apply runs.
import type { Driver, ObservedState, StateWrite, Zone } from './device.js';

/** How a device's memory is moved: the kernel's whole-device `state` file (Linux 7.3+), or each memory block. */
export type Method = 'state' | 'per-block';

/** What auto_online_blocks is set to for the moment kmem binds a device, and so how its memory arrives. */
export type Arrival = 'offline' | 'online_kernel' | 'online_movable';

export type Step =
  | { op: 'bind'; driver: 'device_dax' }
  | { op: 'bind'; driver: 'kmem'; arrive: Arrival }
  | { op: 'unbind'; driver: Driver }
  | { op: 'state'; write: StateWrite }
  | { op: 'offline_blocks' }
  | { op: 'online_blocks'; zone: Zone };

/** A step and the state the device is in once it has run. */
export interface PlannedStep {
  step: Step;
  expect: ObservedState;
}


/** A step as the JSON outputs and saved plans carry it: the step's fields and what it leaves the device in. */
export type StepJson = Step & { expect: ObservedState };

export function stepJson(planned: PlannedStep): StepJson {
  return { ...planned.step, expect: planned.expect };
}
