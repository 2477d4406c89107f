// JSON Schema validation of a parsed policy, with messages written for people.
import type { ErrorObject } from 'ajv';
import { policyKeys, validatePolicy } from '../generated/validators.js';
import { didYouMean } from '../model/suggest.js';

export interface SchemaError {
  /** JSON pointer into the document, e.g. /rules/1/state. */
  instancePath: string;
  message: string;
  /** Set when the error is an unknown key under instancePath. */
  unknownKey?: string;
}

export function validateSchema(data: unknown): SchemaError[] {
  if (validatePolicy(data)) return [];
  const errors = (validatePolicy.errors ?? []).map((e) => describe(e, data));
  const seen = new Set<string>();
  return errors.filter((e) => {
    const key = `${e.instancePath}|${e.unknownKey ?? ''}|${e.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function describe(e: ErrorObject, data: unknown): SchemaError {
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'additionalProperties': {
      const key = String(p.additionalProperty);
      const keys = keysAt(e.instancePath);
      const hint = didYouMean(key, keys) || (keys.length ? ` (known here: ${keys.join(', ')})` : '');
      return { instancePath: e.instancePath, message: `unknown key${hint}`, unknownKey: key };
    }
    case 'enum': {
      const allowed = (p.allowedValues as unknown[]).map(String);
      return { instancePath: e.instancePath, message: `must be one of ${allowed.join(', ')}${didYouMean(String(valueAt(data, e.instancePath)), allowed)}` };
    }
    case 'const':
      return { instancePath: e.instancePath, message: `must be ${JSON.stringify(p.allowedValue)}` };
    case 'type':
      return { instancePath: e.instancePath, message: `must be ${String(p.type).split(',').map(typeWord).join(' or ')}` };
    case 'required':
      return { instancePath: e.instancePath, message: `missing required key "${String(p.missingProperty)}"` };
    case 'pattern':
      return { instancePath: e.instancePath, message: `"${String(valueAt(data, e.instancePath))}" is not valid here (must match ${String(p.pattern)})` };
    default:
      return { instancePath: e.instancePath, message: e.message ?? 'is invalid' };
  }
}

/** The keys the mapping at a JSON pointer takes (list items are "*" in policyKeys' paths). */
function keysAt(pointer: string): string[] {
  const path = pointer
    .split('/')
    .slice(1)
    .map((s) => (/^\d+$/.test(s) ? '*' : s))
    .join('/');
  return policyKeys[path] ?? [];
}

/** The value a JSON pointer (RFC 6901) names in `data`. */
function valueAt(data: unknown, pointer: string): unknown {
  return pointer
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce<unknown>((value, key) => (value as Record<string, unknown> | undefined)?.[key], data);
}

function typeWord(type: string): string {
  return type === 'array' ? 'a list' : type === 'object' ? 'a mapping' : `a${/^[aeiou]/.test(type) ? 'n' : ''} ${type}`;
}
