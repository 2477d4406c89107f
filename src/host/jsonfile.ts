// JSON documents daxplan reads back (saved plans, snapshots) are hostile
// input: they may come from another host, a pull request or a typo. Read
// with a size limit, from a regular file only, check the schema, and name the
// file in every error. A file that is not the document asked for is a usage
// error (exit 64), never a crash.
import * as fs from 'node:fs';
import type { ValidateFunction } from 'ajv';
import { UsageError } from '../model/errors.js';

export interface JsonDocument {
  /** The document's `kind` field, e.g. "snapshot". */
  kind: string;
  /** What it is called in errors, e.g. "daxplan snapshot". */
  what: string;
  /** How to make a good one, e.g. "make one with daxplan snapshot > FILE". */
  hint: string;
  maxBytes: number;
  validate: ValidateFunction;
  /** The format_version major this daxplan reads. */
  major: number;
}

/** Reads and validates a document; throws UsageError naming the file. */
export function readJsonDocument<T>(file: string, doc: JsonDocument): T {
  const data = parseJson(readBounded(file, doc), file, doc);
  if (doc.validate(data)) return data as T;
  const head = (data !== null && typeof data === 'object' ? data : {}) as { kind?: unknown; format_version?: unknown };
  if (typeof head.kind === 'string' && head.kind !== doc.kind && /^[a-z_-]{1,32}$/.test(head.kind))
    throw new UsageError(`${file}: is a daxplan ${head.kind}, not a ${doc.what} (${doc.hint})`);
  if (typeof head.format_version === 'string' && /^\d{1,6}\.\d{1,6}$/.test(head.format_version) && !head.format_version.startsWith(`${doc.major}.`))
    throw new UsageError(`${file}: ${doc.kind} format_version ${head.format_version} is not supported by this daxplan (it reads ${doc.major}.x)`);
  const e = doc.validate.errors?.[0];
  throw new UsageError(`${file}: not a ${doc.what}: ${e?.instancePath || '/'} ${e?.message ?? 'is invalid'} (${doc.hint})`);
}

function readBounded(file: string, doc: JsonDocument): string {
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  } catch (err) {
    throw new UsageError(`cannot read ${doc.kind} file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  try {
    // Checked on the open descriptor: a FIFO or /dev/zero is refused, not read forever.
    const stat = fs.fstatSync(fd);
    if (!stat.isFile()) throw new UsageError(`${file}: not a regular file, not a ${doc.what}`);
    if (stat.size > doc.maxBytes) throw new UsageError(`${file}: larger than ${doc.maxBytes} bytes, not a ${doc.what}`);
    const text = fs.readFileSync(fd, 'utf8');
    if (text.length > doc.maxBytes) throw new UsageError(`${file}: larger than ${doc.maxBytes} bytes, not a ${doc.what}`);
    return text;
  } finally {
    fs.closeSync(fd);
  }
}

function parseJson(text: string, file: string, doc: JsonDocument): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new UsageError(`${file}: not JSON (${(err as Error).message}), not a ${doc.what} (${doc.hint})`);
  }
}
