// Parse arguments, run one command, turn errors into exit codes.
import { helpText, helpWidth, parse, wrap, type Command, type Io } from './args.js';
import { EXIT_STATUS } from './manual.js';
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
import { showCommand } from './commands/show.js';
import { initCommand } from './commands/init.js';
import { fmtCommand } from './commands/fmt.js';
import { didYouMean } from '../model/suggest.js';
import pkg from '../../package.json' with { type: 'json' };

export const COMMANDS: Command[] = [initCommand, planCommand, applyCommand, showCommand, status, validate, fmtCommand, snapshotCommand, diffCommand, watchCommand, doctorCommand, disableCommand, enableCommand];

function usage(width: number): string {
  const column = Math.max(...COMMANDS.map((c) => c.name.length)) + 4;
  return [
    'Usage: daxplan COMMAND [OPTIONS]',
    '',
    ...wrap('Declarative control of CXL and persistent memory behind dax devices.', width),
    '',
    'Commands:',
    ...COMMANDS.flatMap((c) => {
      const [first, ...rest] = wrap(c.summary.split('. ')[0].replace(/\.$/, ''), width - column);
      return [`  ${c.name.padEnd(column - 2)}${first}`, ...rest.map((l) => ' '.repeat(column) + l)];
    }),
    '',
    ...wrap("Run 'daxplan COMMAND --help' for a command's options, 'man daxplan' for all of it.", width),
    ...wrap(`Exit codes: ${EXIT_STATUS.map((e) => `${e.code} ${e.short}`).join(', ')}; doctor: 1 when a finding is an error.`, width),
    '',
  ].join('\n');
}

export async function main(argv: string[], io: Io): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.stdout.write(usage(helpWidth(io.stdout)));
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  if (name === '--version' || name === '-V') {
    io.stdout.write(`daxplan ${pkg.version}\n`);
    return EXIT.ok;
  }
  const command = COMMANDS.find((c) => c.name === name);
  try {
    if (!command) {
      const names = COMMANDS.map((c) => c.name);
      throw new UsageError(`unknown command "${name}"${didYouMean(name, names) || ` (commands: ${names.join(', ')})`}; see 'daxplan --help'`);
    }
    const { values, positionals } = parse(command, rest);
    if (values.help) {
      io.stdout.write(helpText(command, helpWidth(io.stdout)));
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
