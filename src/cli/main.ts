// Parse arguments, run one command, turn errors into exit codes.
import { helpText, parse, type Command, type Io } from './args.js';
import { DaxplanError, EXIT, UsageError } from '../model/errors.js';
import { planCommand } from './commands/plan.js';
import { status } from './commands/status.js';
import { validate } from './commands/validate.js';
import { applyCommand } from './commands/apply.js';
import { doctorCommand } from './commands/doctor.js';
import { disableCommand, enableCommand } from './commands/pause.js';
import { snapshotCommand } from './commands/snapshot.js';
import { diffCommand } from './commands/diff.js';
import { watchCommand } from './commands/watch.js';
import pkg from '../../package.json' with { type: 'json' };

const COMMANDS: Command[] = [planCommand, applyCommand, status, validate, snapshotCommand, diffCommand, watchCommand, doctorCommand, disableCommand, enableCommand];

function usage(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    'Usage: daxplan COMMAND [OPTIONS]',
    '',
    'Declarative control of CXL and persistent memory behind dax devices.',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary.split('. ')[0].replace(/\.$/, '')}`),
    '',
    "Run 'daxplan COMMAND --help' for a command's options.",
    'Exit codes: 0 ok, 1 runtime error, 2 plan has changes (--detailed-exitcode), 64 usage, 65 invalid policy, 75 lock held or daxplan disabled; doctor: 1 when a finding is an error.',
    '',
  ].join('\n');
}

export async function main(argv: string[], io: Io): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.stdout.write(usage());
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  if (name === '--version' || name === '-V') {
    io.stdout.write(`daxplan ${pkg.version}\n`);
    return EXIT.ok;
  }
  const command = COMMANDS.find((c) => c.name === name);
  try {
    if (!command) throw new UsageError(`unknown command "${name}"\n\n${usage()}`);
    const { values, positionals } = parse(command, rest);
    if (values.help) {
      io.stdout.write(helpText(command));
      return EXIT.ok;
    }
    return await command.run(values, positionals, io);
  } catch (err) {
    if (err instanceof DaxplanError) {
      io.stderr.write(`daxplan: ${err.message}\n`);
      return err.exitCode;
    }
    io.stderr.write(`daxplan: internal error (this is a bug): ${(err as Error).stack ?? String(err)}\n`);
    return EXIT.runtime;
  }
}
