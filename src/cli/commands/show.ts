import { outputStyle } from '../common.js';
import { defineCommand } from '../args.js';
import { readSavedPlan } from '../../host/saved-plan-file.js';
import { checkSealed } from '../../plan/saved.js';
import { savedPlanView } from '../../plan/saved-view.js';
import { savedPlanText } from '../../render/saved.js';
import { EXIT } from '../../model/errors.js';

export const showCommand = defineCommand({
  name: 'show',
  summary:
    'Print a saved plan (plan --out FILE) as plan printed it: its kernel settings and device changes with their rules and steps, the host and boot it was made on, and the policy it records (which apply plans again from), control characters escaped. Reads nothing of this host.',
  details: [
    'A file that is not a saved plan exits 64; one changed after daxplan wrote it (its digest does not match) exits 1, as apply would refuse it. show plans again from the recorded policy on the recorded devices: a recorded action or kernel setting that policy does not make (a file rewritten and sealed again) is listed first and last, each line marked !, and exits 1. What a saved plan does not record is shown as unknown: the block size (steps count blocks, without sizes).',
  ],
  usage: 'daxplan show PLAN_FILE [--no-color]',
  positionals: { min: 1, max: 1 },
  options: {},
  run(values, [file], io) {
    const saved = readSavedPlan(file);
    checkSealed(file, saved);
    const view = savedPlanView(file, saved);
    io.stdout.write(savedPlanText(file, saved, view, outputStyle(values, io)));
    return view.unreproduced.length ? EXIT.runtime : EXIT.ok;
  },
});
