// JSON documents daxplan reads back (saved plans, snapshots) are hostile
// input: they may come from another host, a pull request or a typo. Read
// through the vetting in trust.ts (a regular file, a size limit, and as root
// only a file no other user could have written), check the schema, and name
// the file in every error. A file that is not the document asked for is a usage
// error (exit 64), never a crash.
import type { ValidateFunction } from 'ajv';
import { EXIT, UsageError } from '../model/errors.js';
import { readTrusted } from './trust.js';
import type { BlockRun } from '../model/identity.js';

/** Memory blocks a document may hold in all (its schema bounds each run, not their sum). */
const MAX_BLOCKS = 1 << 20;

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
  return parseJsonDocument<T>(readTrusted(file, { maxBytes: doc.maxBytes, exitCode: EXIT.usage }), file, doc);
}

/** Validates a document's text as readJsonDocument does a file's (its size too); throws UsageError naming `file`. */
export function parseJsonDocument<T>(text: string, file: string, doc: JsonDocument): T {
  if (Buffer.byteLength(text) > doc.maxBytes) throw new UsageError(`${file}: is larger than ${doc.maxBytes} bytes, not a ${doc.what} (${doc.hint})`);
  const data = parseJson(text, file, doc);
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
  } catch {
    // V8's message quotes the text it could not parse, over lines: the file is named instead.
    throw new UsageError(`${file}: not valid JSON, so not a ${doc.what} (${doc.hint})`);
  }
}

/**
 * What a schema cannot say about the devices a document lists: each name
 * once, and no more memory blocks in all than a host has (runs expand into
 * one object per block). Throws UsageError naming the file.
 */
export function checkDeviceList(file: string, what: string, devices: readonly { name: string; blocks: readonly BlockRun[] }[]): void {
  const names = new Set<string>();
  let blocks = 0;
  for (const d of devices) {
    if (names.has(d.name)) throw new UsageError(`${file}: device ${d.name} appears twice; not a ${what}`);
    names.add(d.name);
    for (const run of d.blocks) blocks += run.count;
  }
  if (blocks > MAX_BLOCKS) throw new UsageError(`${file}: more than ${MAX_BLOCKS} memory blocks; not a ${what}`);
}
