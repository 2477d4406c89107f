// How much memory a change really moves, per step and in all: offlining a
// mixed device touches only its online blocks, onlining only its offline
// ones, and a block already where the change puts it does not move. Sizes in
// plans and outcomes come from here, never from the device's size.
import { zoneNamed, zoneOf, type ObservedDevice } from '../model/device.js';
import type { Change, PlannedStep } from './plan.js';

/** For each step, the memory blocks it writes (or that the kernel onlines with it, for a kmem bind under auto_online_blocks). */
export function blocksPerStep(steps: PlannedStep[], device: ObservedDevice): number[] {
  let present = device.blocks.length;
  let online = device.blocks.filter((b) => b.state === 'online').length;
  return steps.map(({ step, expect }) => {
    let moved = 0;
    switch (step.op) {
      case 'bind':
        if (step.driver === 'kmem') {
          present = device.blockSpan;
          online = zoneOf(expect) ? present : 0;
          moved = online;
        }
        break;
      case 'unbind':
        if (step.driver === 'kmem') present = online = 0;
        break;
      case 'hotplug':
        moved = step.value === 'unplug' ? online : device.blockSpan;
        present = online = step.value === 'unplug' ? 0 : device.blockSpan;
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
