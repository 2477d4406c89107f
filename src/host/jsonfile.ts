// JSON documents daxplan reads back (saved plans, snapshots) are hostile
// input: they may come from another host, a pull request or a typo. Read
// through the vetting in trust.ts (a regular file, a size limit, and as root
// only a file no other user could have written), check the schema, and name
// the file in every error. A file that is not the document asked for is a usage
// error (exit 64), never a crash.
import type { ValidateFunction } from 'ajv';
import { EXIT, UsageError } from '../model/errors.js';
import { readTrusted } from './trust.js';

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
  const data = parseJson(readTrusted(file, { maxBytes: doc.maxBytes, exitCode: EXIT.usage }), file, doc);
  if (doc.validate(data)) return data as T;
  const head = (data !== null && typeof data === 'object' ? data : {}) as { kind?: unknown; format_version?: unknown };
  if (typeof head.kind === 'string' && head.kind !== doc.kind && /^[a-z_-]{1,32}$/.test(head.kind))
    throw new UsageError(`${file}: is a daxplan ${head.kind}, not a ${doc.what} (${doc.hint})`);
  if (typeof head.format_version === 'string' && /^\d{1,6}\.\d{1,6}$/.test(head.format_version) && !head.format_version.startsWith(`${doc.major}.`))
    throw new UsageError(`${file}: ${doc.kind} format_version ${head.format_version} is not supported by this daxplan (it reads ${doc.major}.x; ${doc.hint})`);
  const e = doc.validate.errors?.[0];
  throw new UsageError(`${file}: not a ${doc.what}: ${e?.instancePath || '/'} ${e?.message ?? 'is invalid'} (${doc.hint})`);
}

function parseJson(text: string, file: string, doc: JsonDocument): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new UsageError(`${file}: not JSON (${(err as Error).message}), not a ${doc.what} (${doc.hint})`);
  }
}
