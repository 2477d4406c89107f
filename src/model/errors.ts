// One error type per exit code. Only the CLI entry point turns them into
// process exits; everything below it throws or returns values.

export const EXIT = {
  ok: 0,
  runtime: 1,
  changes: 2,
  usage: 64,
  policy: 65,
  /** The host to look at is not there: the sysfs root is missing, not a directory or not a sysfs tree, or --device names no device on it (EX_NOINPUT). */
  noHost: 66,
  lockHeld: 75,
  /** daxplan disable is in force (EX_TEMPFAIL like a held lock: someone else has the host; try later). */
  paused: 75,
  /** The lock file cannot be created or opened by this user (EX_CANTCREAT): said with where it tried and how to choose. */
  cannotCreate: 73,
  /** The Node.js running daxplan is too old (EX_UNAVAILABLE); said by the launcher's first lines, before the program loads. */
  nodeTooOld: 69,
} as const;

export class DaxplanError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

export class UsageError extends DaxplanError {
  constructor(message: string) {
    super(message, EXIT.usage);
  }
}

/** A diagnostic about a policy file, positioned for editors: file:line:col (no position when it is about the whole file: missing, refused). */
export interface Diagnostic {
  file: string;
  line?: number;
  col?: number;
  severity: 'error' | 'warning';
  /** Where in the document, e.g. rules[1].state ("" for the whole file). */
  path: string;
  message: string;
}

export function formatDiagnostic(d: Diagnostic): string {
  const where = d.path ? `${d.path}: ` : '';
  const tag = d.severity === 'warning' ? 'warning: ' : '';
  const at = d.line === undefined ? '' : `:${d.line}:${d.col ?? 1}`;
  // No file: the policy was not found, there is no file to name.
  return `${d.file ? `${d.file}${at}: ` : ''}${tag}${where}${d.message}`;
}

export class PolicyError extends DaxplanError {
  constructor(readonly diagnostics: Diagnostic[]) {
    super(diagnostics.map(formatDiagnostic).join('\n'), EXIT.policy);
  }
}

export class LockHeldError extends DaxplanError {
  constructor(message: string) {
    super(message, EXIT.lockHeld);
  }
}

/** A failure on the host (sysfs, a write, verification) that is not a bug. */
export class HostError extends DaxplanError {
  constructor(message: string) {
    super(message, EXIT.runtime);
  }
}

/** The tree or device a command was pointed at is not there: never planned as an empty host. */
export class NoHostError extends DaxplanError {
  constructor(message: string) {
    super(message, EXIT.noHost);
  }
}
