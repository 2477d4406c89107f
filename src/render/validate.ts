// validate --format json: the policy's diagnostics for CI annotations (a
// GitHub Actions problem matcher or ::warning file=,line=,col=:: lines).
import type { Diagnostic } from '../model/errors.js';
import type { Policy } from '../policy/parse.js';
import { FORMAT_VERSION } from './json.js';

/** `policy` undefined: it could not be read or parsed (the diagnostics say why). `ok`: validate exits 0. */
export function validateJson(policy: Policy | undefined, diagnostics: Diagnostic[], ok: boolean) {
  return {
    format_version: FORMAT_VERSION,
    kind: 'validate',
    policy: policy?.file ?? null,
    rules: policy ? policy.rules.length : null,
    ok,
    diagnostics: diagnostics.map((d) => ({
      file: d.file,
      line: d.line ?? null,
      column: d.line === undefined ? null : (d.col ?? 1),
      severity: d.severity,
      path: d.path,
      message: d.message,
    })),
    summary: { errors: diagnostics.filter((d) => d.severity === 'error').length, warnings: diagnostics.filter((d) => d.severity === 'warning').length },
  };
}
