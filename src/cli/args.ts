// Argument parsing shared by every command: node's parseArgs plus the checks
// that make flags safe to use as root (device names, formats, numbers).
import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { Sysfs } from '../host/sysfs.js';
import { UsageError } from '../model/errors.js';
import { DEVICE_NAME } from '../host/sysfs.js';
import { didYouMean } from '../model/suggest.js';

/** A flag: parseArgs' spec plus its help line, the name of its value, and the values it accepts when they are a closed set. */
export type OptionSpec = NonNullable<ParseArgsConfig['options']>[string] & { help: string; arg?: string; choices?: readonly string[] };
export type OptionSpecs = Record<string, OptionSpec>;

/** Someone at a terminal, to be asked a question; undefined when the input ends first. */
export interface Terminal {
  ask(question: string): Promise<string | undefined>;
}

export interface Io {
  stdout: { write(s: string): unknown; isTTY?: boolean; columns?: number };
  stderr: { write(s: string): unknown; isTTY?: boolean };
  /** The operator, when standard input is a terminal (apply asks before it writes); undefined or absent: nobody to ask. Asked only when apply needs approval: finding out loads node:tty. */
  terminal?(): Terminal | undefined;
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** How to open the sysfs tree at a root (default: the files under it). Tests stand a simulated kernel in here. */
  openSysfs?(root: string): Sysfs;
}

/** The value a flag parses to: booleans are flags, repeatable strings lists. */
type ValueOf<S extends OptionSpec> = S['type'] extends 'boolean' ? boolean : S['multiple'] extends true ? string[] : string;

/** A command's parsed options, typed from its flag table (and the shared flags): absent when not given. */
export type ValuesOf<O extends OptionSpecs> = { -readonly [K in keyof O]?: ValueOf<O[K]> } & { help?: boolean; 'no-color'?: boolean };

export interface Command<O extends OptionSpecs = OptionSpecs> {
  name: string;
  summary: string;
  usage: string;
  /** Paragraphs after the summary, in --help and the man page. */
  details?: string[];
  options: O;
  positionals?: { min: number; max: number };
  run(values: ValuesOf<O>, positionals: string[], io: Io): Promise<number> | number;
}

/** A command whose run() takes values typed from its own flag table. */
export function defineCommand<const O extends OptionSpecs>(command: Command<O>): Command<O> {
  return command;
}

/** Options every command takes. */
export const SHARED = {
  help: { type: 'boolean', short: 'h', help: 'show this help' },
  'no-color': { type: 'boolean', help: 'no colour, even on a terminal (as NO_COLOR=1 does)' },
} as const satisfies OptionSpecs;

export function parse<O extends OptionSpecs>(command: Command<O>, argv: string[]): { values: ValuesOf<O>; positionals: string[] } {
  const specs: OptionSpecs = { ...command.options, ...SHARED };
  const options = Object.fromEntries(Object.entries(specs).map(([name, { help: _help, arg: _arg, ...spec }]) => [name, spec]));
  // Not strict: parseArgs' own errors are three lines of its wording; the tokens are checked here instead.
  const parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: false, tokens: true });
  const seeHelp = `see 'daxplan ${command.name} --help'`;
  const shorts = new Set(Object.values(specs).flatMap((s) => (s.short ? [`-${s.short}`] : [])));
  for (const token of parsed.tokens) {
    if (token.kind !== 'option') continue;
    const spec = specs[token.name];
    if (!spec) {
      const known = Object.keys(specs).map((n) => `--${n}`);
      throw new UsageError(`${command.name} has no option ${token.rawName}${didYouMean(token.rawName, known, '') || `: ${seeHelp}`}`);
    }
    const flag = `--${token.name}`;
    if (spec.type === 'boolean' && token.value !== undefined) throw new UsageError(`${flag} takes no value (got "${token.value}"): write ${flag} alone`);
    // "--config --device x": a flag where the value should be is a value forgotten, not a file named "--device".
    const swallowed = !token.inlineValue && token.value !== undefined && (token.value.startsWith('--') || shorts.has(token.value));
    if (spec.type === 'string' && (token.value === undefined || swallowed))
      throw new UsageError(`${flag} needs a value: ${flag} ${spec.arg ?? spec.choices?.join('|') ?? 'VALUE'}${swallowed ? ` (got the option ${token.value}; write ${flag}=${token.value} if that is the value)` : ''}`);
  }
  // An empty value would read as "not given" (--out '' saved nothing, --config '' searched, --root '' meant the working directory).
  for (const [name, value] of Object.entries(parsed.values))
    if (value === '' || (Array.isArray(value) && value.includes(''))) throw new UsageError(`--${name} needs a value, got "": ${seeHelp}`);
  const { min, max } = command.positionals ?? { min: 0, max: 0 };
  if (!parsed.values.help && (parsed.positionals.length < min || parsed.positionals.length > max))
    throw new UsageError(`${command.name}: expected ${min === max ? min : `${min} to ${max}`} argument(s), got ${parsed.positionals.length}: daxplan ${command.usage.replace(/^daxplan /, '')}`);
  // Each token was checked against the flag table above: the values have the types it gives.
  return { values: parsed.values as ValuesOf<O>, positionals: parsed.positionals };
}

/** Width --help wraps to: the terminal's, else 80 columns. */
export function helpWidth(stdout: Io['stdout']): number {
  return stdout.isTTY && stdout.columns ? Math.max(40, stdout.columns) : 80;
}

/** The flag column of --help and the man page: "-f, --format text|json". */
export function flagSynopsis(name: string, spec: OptionSpec): string {
  const value = spec.type === 'string' ? ` ${spec.arg ?? spec.choices?.join('|') ?? 'VALUE'}` : '';
  return `${spec.short ? `-${spec.short}, ` : ''}--${name}${value}`;
}

export function optionHelp(spec: OptionSpec): string {
  return spec.help + (spec.multiple ? ' (repeatable)' : '');
}

export function commandOptions(command: Command): [string, OptionSpec][] {
  return Object.entries({ ...command.options, ...SHARED });
}

export function helpText(command: Command, width = 80): string {
  const rows = commandOptions(command).map(([name, spec]) => [(spec.short ? '' : '    ') + flagSynopsis(name, spec), optionHelp(spec)]);
  // Help starts in one column; a flag too wide for it, or a terminal too narrow for the column, puts help on the lines below.
  const column = Math.min(Math.max(...rows.map(([f]) => f.length)), 30) + 4;
  const indent = width - column >= 40 ? column : 8;
  const options = rows.flatMap(([f, h]) => {
    if (f.length > indent - 4) return [`  ${f}`, ...wrap(h, width - indent).map((l) => ' '.repeat(indent) + l)];
    const [first, ...rest] = wrap(h, width - indent);
    return [`  ${f.padEnd(indent - 4)}  ${first}`, ...rest.map((l) => ' '.repeat(indent) + l)];
  });
  const paragraphs = [command.summary, ...(command.details ?? [])].map((p) => wrap(p, width).join('\n'));
  return `Usage: ${wrapUsage(command.usage, width)}\n\n${paragraphs.join('\n\n')}\n\nOptions:\n${options.join('\n')}\n`;
}

/** Words of `text` in lines of at most `width` columns (a longer word gets a line of its own). */
export function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  return lines.length || line ? [...lines, line] : [''];
}

/** A usage line wrapped between its [options], continuation lines under the command's first argument. */
function wrapUsage(usage: string, width: number): string {
  const parts = usage.match(/\[[^\]]*\]|\S+/g) ?? [];
  const indent = ' '.repeat('Usage: '.length + parts.slice(0, 2).join(' ').length + 1);
  const lines: string[] = [];
  let line = '';
  for (const part of parts) {
    const limit = width - (lines.length ? 0 : 'Usage: '.length);
    if (line.trim() && line.length + 1 + part.length > limit) {
      lines.push(line);
      line = indent + part;
    } else line = line ? `${line} ${part}` : part;
  }
  return [...lines, line].join('\n');
}

export function oneOf<T extends string>(value: string, allowed: readonly T[], flag: string): T {
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new UsageError(`--${flag} must be one of ${allowed.join(', ')} (got "${value}")${didYouMean(value, allowed)}`);
}

/** --device values, checked before any of them reaches a path. */
export function deviceNames(names: string[] | undefined): string[] | undefined {
  if (names === undefined) return undefined;
  for (const name of names)
    if (!DEVICE_NAME.test(name)) throw new UsageError(`--device "${name}" is not a dax device name (expected daxR.N, e.g. dax0.0)`);
  return names;
}

export function seconds(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^\d+(\.\d+)?$/.test(value) || !Number.isFinite(n))
    throw new UsageError(`--${flag} takes a number of seconds, 0 or more (got "${value}")`);
  return n;
}
