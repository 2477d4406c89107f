import { createTwoFilesPatch } from 'diff';
import { CONFIG } from '../common.js';
import { UsageError, EXIT } from '../../model/errors.js';
import { defineCommand } from '../args.js';
import { loadPolicy, locatePolicy } from '../policy.js';
import { formatPolicy } from '../../policy/format.js';
import { writeTrusted } from '../../host/trust.js';

export const fmtCommand = defineCommand({
  name: 'fmt',
  summary:
    'Rewrite a policy in canonical form, comments kept. Keys in the schema order, two-space indentation, lists of values in flow style, globs and PCI addresses double-quoted, numbers as written. Prints the result, or with --check says whether the file is canonical, or with --write rewrites it.',
  details: [
    'The policy must be valid (errors exit 65, as validate says them). --check prints a unified diff of what fmt would change and exits 1 when a file is not canonical, for reviews and CI; --write rewrites only files that change and names them. Without FILE, the policy is found as every command finds it.',
  ],
  usage: 'daxplan fmt [FILE...] [--config FILE] [--check | --write]',
  positionals: { min: 0, max: 64 },
  options: {
    ...CONFIG,
    check: { type: 'boolean', help: 'print what would change as a unified diff and exit 1 when a file is not in canonical form; write nothing' },
    write: { type: 'boolean', short: 'w', help: 'rewrite each file that is not in canonical form, in place' },
  },
  run(values, positionals, io) {
    if (values.check && values.write) throw new UsageError('--check and --write exclude each other: --check writes nothing');
    if (positionals.length && values.config) throw new UsageError('name the policy once: as FILE or with --config');
    const files = positionals.length ? positionals : [locatePolicy({ config: values.config, cwd: io.cwd })];
    if (files.length > 1 && !values.check && !values.write) throw new UsageError('several files: pass --check or --write (printing them would run them together)');
    let differ = 0;
    // Rewritten as YAML, a JSON policy would no longer be what its name says.
    const json = files.find((f) => f.endsWith('.json'));
    if (json) throw new UsageError(`${json}: fmt writes YAML, and this policy is JSON: keep it as it is, or rename it .yaml first`);
    for (const file of files) {
      const { text } = loadPolicy({ config: file, cwd: io.cwd });
      const canonical = formatPolicy(text);
      if (!values.check && !values.write) io.stdout.write(canonical);
      else if (canonical !== text) {
        differ++;
        if (values.write) {
          writeTrusted(file, canonical, { exitCode: EXIT.runtime });
          io.stdout.write(`${file}: rewritten in canonical form\n`);
        } else io.stdout.write(createTwoFilesPatch(file, `${file} (daxplan fmt)`, text, canonical, undefined, undefined, { context: 2 }));
      }
    }
    if (values.check && differ) io.stderr.write(`daxplan: ${differ} of ${files.length} polic${files.length === 1 ? 'y is' : 'ies are'} not in canonical form: run 'daxplan fmt --write ${files.join(' ')}'\n`);
    return values.check && differ ? EXIT.runtime : EXIT.ok;
  },
});
