// JSON Schema validation of a parsed policy, with messages written for people.
import type { ErrorObject } from 'ajv';
import { validatePolicy } from '../generated/validators.js';

export interface SchemaError {
  /** JSON pointer into the document, e.g. /rules/1/state. */
  instancePath: string;
  message: string;
  /** Set when the error is an unknown key under instancePath. */
  unknownKey?: string;
}

export function validateSchema(data: unknown): SchemaError[] {
  if (validatePolicy(data)) return [];
  const errors = (validatePolicy.errors ?? []).map(describe);
  const seen = new Set<string>();
  return errors.filter((e) => {
    const key = `${e.instancePath}|${e.unknownKey ?? ''}|${e.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function describe(e: ErrorObject): SchemaError {
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'additionalProperties':
      return { instancePath: e.instancePath, message: 'unknown key', unknownKey: String(p.additionalProperty) };
    case 'enum':
      return { instancePath: e.instancePath, message: `must be one of ${(p.allowedValues as unknown[]).join(', ')}` };
    case 'const':
      return { instancePath: e.instancePath, message: `must be ${JSON.stringify(p.allowedValue)}` };
    case 'type':
      return { instancePath: e.instancePath, message: `must be ${String(p.type).split(',').map(typeWord).join(' or ')}` };
    case 'required':
      return { instancePath: e.instancePath, message: `missing required key "${String(p.missingProperty)}"` };
    case 'pattern':
      return { instancePath: e.instancePath, message: `"${String(e.data)}" is not valid here (must match ${String(p.pattern)})` };
    default:
      return { instancePath: e.instancePath, message: e.message ?? 'is invalid' };
  }
}

function typeWord(type: string): string {
  return type === 'array' ? 'a list' : type === 'object' ? 'a mapping' : `a${/^[aeiou]/.test(type) ? 'n' : ''} ${type}`;
}
