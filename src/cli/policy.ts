// Loading the policy: found by policy/load.ts, read through root's vetting
// (host/trust.ts), parsed by policy/parse.ts. Here, above both, because the
// policy stage reads no files of its own.
import { relative } from 'node:path';
import { findPolicyFile, type LoadedPolicy, type PolicyOptions } from '../policy/load.js';
import { parsePolicy } from '../policy/parse.js';
import { readTrusted, RefusedFileError, runningAsRoot } from '../host/trust.js';
import { EXIT, PolicyError } from '../model/errors.js';

const MAX_POLICY_BYTES = 1 << 20;

/** Where the policy is, for whoever runs this (root never searches). */
export function locatePolicy(options: PolicyOptions): string {
  return findPolicyFile({ ...options, asRoot: options.asRoot ?? runningAsRoot() });
}

export function loadPolicy(options: PolicyOptions): LoadedPolicy {
  const file = locatePolicy(options);
  const fromCwd = relative(options.cwd ?? process.cwd(), file);
  const display = fromCwd && !fromCwd.startsWith('..') ? fromCwd : file;
  let text: string;
  try {
    text = readTrusted(file, { maxBytes: MAX_POLICY_BYTES, asRoot: options.asRoot, exitCode: EXIT.policy });
  } catch (err) {
    if (!(err instanceof RefusedFileError)) throw err;
    const message = err.reason === 'does not exist' ? `no such file: give --config the policy's path, or write one with 'daxplan init -o ${display}'` : err.reason;
    throw new PolicyError([{ file: display, severity: 'error', path: '', message }]);
  }
  const result = parsePolicy(text, display);
  if (!result.ok) throw new PolicyError([...result.errors, ...result.warnings]);
  return { policy: result.policy, warnings: result.warnings, text };
}
