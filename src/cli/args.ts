// Argument parsing shared by every command: node's parseArgs plus the checks
// that make flags safe to use as root (device names, formats, numbers).
import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { Sysfs } from '../host/sysfs.js';
import { UsageError } from '../model/errors.js';
import { DEVICE_NAME } from '../host/sysfs.js';

export type OptionSpec = NonNullable<ParseArgsConfig['options']>[string] & { help: string; arg?: string };
export type OptionSpecs = Record<string, OptionSpec>;

export interface Io {
  stdout: { write(s: string): unknown; isTTY?: boolean };
  stderr: { write(s: string): unknown; isTTY?: boolean };
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** How to open the sysfs tree at a root (default: the files under it). Tests stand a simulated kernel in here. */
  openSysfs?(root: string): Sysfs;
}

export interface Command {
  name: string;
  summary: string;
  usage: string;
  options: OptionSpecs;
  positionals?: { min: number; max: number };
  run(values: Values, positionals: string[], io: Io): Promise<number> | number;
}

export type Values = Record<string, string | boolean | string[] | undefined>;

export const HELP: OptionSpecs = { help: { type: 'boolean', short: 'h', help: 'show this help' } };

export function parse(command: Command, argv: string[]): { values: Values; positionals: string[] } {
  const options = Object.fromEntries(
    Object.entries({ ...command.options, ...HELP }).map(([name, { help: _help, arg: _arg, ...spec }]) => [name, spec]),
  );
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError(`${(err as Error).message.replace(/\. To specify.*$/s, '')}\nTry 'daxplan ${command.name} --help'.`);
  }
  const { min, max } = command.positionals ?? { min: 0, max: 0 };
  if (!parsed.values.help && (parsed.positionals.length < min || parsed.positionals.length > max))
    throw new UsageError(`${command.name}: expected ${min === max ? min : `${min} to ${max}`} argument(s), got ${parsed.positionals.length}\nUsage: ${command.usage}`);
  return { values: parsed.values as Values, positionals: parsed.positionals };
}

export function helpText(command: Command): string {
  const rows = Object.entries({ ...command.options, ...HELP }).map(([name, spec]) => {
    const flag = `${spec.short ? `-${spec.short}, ` : '    '}--${name}${spec.type === 'string' ? ` ${spec.arg ?? 'VALUE'}` : ''}`;
    return [flag, spec.help + (spec.multiple ? ' (repeatable)' : '')];
  });
  const width = Math.max(...rows.map(([f]) => f.length));
  return `Usage: ${command.usage}\n\n${command.summary}\n\nOptions:\n${rows.map(([f, h]) => `  ${f.padEnd(width)}  ${h}`).join('\n')}\n`;
}

export function oneOf<T extends string>(value: unknown, allowed: readonly T[], flag: string): T {
  if (typeof value === 'string' && (allowed as readonly string[]).includes(value)) return value as T;
  throw new UsageError(`--${flag} must be one of ${allowed.join(', ')} (got "${String(value)}")`);
}

/** --device values, checked before any of them reaches a path. */
export function deviceNames(value: unknown): string[] | undefined {
  if (value === undefined) return undefined;
  const names = value as string[];
  for (const name of names)
    if (!DEVICE_NAME.test(name)) throw new UsageError(`--device "${name}" is not a dax device name (expected daxR.N, e.g. dax0.0)`);
  return names;
}

export function seconds(value: unknown, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (typeof value !== 'string' || !/^\d+(\.\d+)?$/.test(value) || !Number.isFinite(n))
    throw new UsageError(`--${flag} takes a number of seconds (got "${String(value)}")`);
  return n;
}
