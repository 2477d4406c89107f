// How much memory a change really moves, per step and in all: offlining a
// mixed device touches only its online blocks, onlining only its offline
// ones, and a block already where the change puts it does not move. Sizes in
// plans and outcomes come from here, never from the device's size.
import { zoneNamed, zoneOf, type ObservedDevice } from '../model/device.js';
import type { PlannedStep } from '../model/steps.js';
import type { Change } from './plan.js';

/** For each step, the memory blocks it moves into or out of the system, or between zones. */
export function blocksPerStep(steps: PlannedStep[], device: ObservedDevice): number[] {
  let present = device.blocks.length;
  let online = device.blocks.filter((b) => b.state === 'online').length;
  return steps.map(({ step }) => {
    let moved = 0;
    switch (step.op) {
      case 'bind':
        if (step.driver === 'kmem') {
          present = device.blockSpan;
          online = step.arrive === 'offline' ? 0 : present;
          moved = online;
        }
        break;
      case 'unbind':
        if (step.driver === 'kmem') present = online = 0;
        break;
      case 'state':
        moved = step.write === 'unplugged' ? online : device.blockSpan;
        present = online = step.write === 'unplugged' ? 0 : device.blockSpan;
        break;
      case 'offline_blocks':
        moved = online;
        online = 0;
        break;
      case 'online_blocks':
        moved = present - online;
        online = present;
        break;
    }
    return moved;
  });
}

/** Blocks whose place the change alters: into the system, out of it, or into the other zone. */
export function blocksMoved(change: Change): number {
  const after = zoneOf(change.to);
  const { blocks, blockSpan } = change.device;
  let moved = 0;
  for (const block of blocks) {
    const before = block.state === 'online' ? (zoneNamed(block.zone) ?? block.zone) : undefined;
    if (before !== after) moved++;
  }
  return after ? moved + Math.max(0, blockSpan - blocks.length) : moved;
}
