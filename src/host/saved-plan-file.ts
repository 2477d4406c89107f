// Reading a saved plan (apply FILE, show FILE) as hostile input: size, type
// and schema here; its seal, its host and its intent are checked by plan/saved.ts.
import { validateSavedPlan } from '../generated/validators.js';
import { checkDeviceList, readJsonDocument } from './jsonfile.js';
import type { SavedPlan } from '../model/saved-plan.js';

const MAX_PLAN_BYTES = 16 << 20;
const WHAT = 'daxplan saved plan';

export function readSavedPlan(file: string): SavedPlan {
  const saved = readJsonDocument<SavedPlan>(file, {
    kind: 'saved-plan',
    what: WHAT,
    hint: 'make one with daxplan plan --out FILE',
    maxBytes: MAX_PLAN_BYTES,
    validate: validateSavedPlan,
    major: 3,
  });
  // A device recorded or acted on twice would be shown twice and checked once.
  checkDeviceList(file, WHAT, saved.host.devices.map((d) => ({ name: d.identity.name, blocks: d.memory.blocks })));
  checkDeviceList(file, WHAT, saved.actions.map((a) => ({ name: a.device, blocks: [] })));
  return saved;
}

