// Reading a saved plan (apply FILE, show FILE) as hostile input: size, type
// and schema here; its seal, its host and its intent are checked by plan/saved.ts.
import { validateSavedPlan } from '../generated/validators.js';
import { readJsonDocument } from './jsonfile.js';
import type { SavedPlan } from '../model/saved-plan.js';

const MAX_PLAN_BYTES = 16 << 20;

export function readSavedPlan(file: string): SavedPlan {
  return readJsonDocument<SavedPlan>(file, {
    kind: 'saved-plan',
    what: 'daxplan saved plan',
    hint: 'make one with daxplan plan --out FILE',
    maxBytes: MAX_PLAN_BYTES,
    validate: validateSavedPlan,
    major: 3,
  });
}

