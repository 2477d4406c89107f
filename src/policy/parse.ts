// Policy: YAML text -> validated Policy, or diagnostics with file:line:col.
// Pure: reading the file (and checking who may write it) is config.ts's job.
import { isAlias, isMap, LineCounter, parseDocument, visit, type Document, type Node as YamlNode } from 'yaml';
import type { Diagnostic } from '../model/errors.js';
import type { AutoOnline, DesiredState } from '../model/device.js';
import { validateSchema, type SchemaError } from './schema.js';
import { findShadowed, MAX_COMPARISONS } from './shadow.js';
import { MATCH_KEYS, type Match } from './match.js';
import { parseCxlSelectors, selectsByCxlIdentity } from './cxl.js';
import { yamlErrorMessage } from './yaml-errors.js';


export interface Rule {
  name: string;
  match: Match;
  state: DesiredState;
  /** What a device whose CXL region did not assemble does when the rule selects by CXL identity. */
  onUnassembled: OnUnassembled;
  /** Where the rule starts, for plans and warnings: file, line and column. */
  file: string;
  line: number;
  col: number;
}

/** block: the device is blocked by the rule; fall_through: the rule does not match it. */
export type OnUnassembled = 'block' | 'fall_through';

export interface Safety {
  /** safety.movable_ratio_percent; undefined: the kernel's own ratio applies (plan/safety.ts movableLimit). */
  movableRatioPercent: number | undefined;
  onMovableExcess: 'warn' | 'refuse';
}

/** Host-wide kernel settings the policy declares; apply writes them before any device step. */
export interface KernelSettings {
  /** The kernel's default for memory it adds (devices/system/memory/auto_online_blocks). */
  autoOnlineBlocks?: { value: AutoOnline; line: number };
}

export interface Policy {
  file: string;
  rules: Rule[];
  kernel: KernelSettings;
  defaultState: DesiredState | 'unmanaged';
  /** Declared tier -> nodes, for nodes the kernel shows in no tier. */
  tierNodes: Record<number, number[]>;
  safety: Safety;
}

export type PolicyResult =
  | { ok: true; policy: Policy; warnings: Diagnostic[] }
  | { ok: false; errors: Diagnostic[]; warnings: Diagnostic[] };

/** The kernel's default auto-movable ratio (memory_hotplug.auto_movable_ratio). */
export const KERNEL_AUTO_MOVABLE_RATIO = 301;

interface RawPolicy {
  version: 1;
  defaults?: { state?: DesiredState | 'unmanaged' };
  tiers?: Record<string, number[]>;
  safety?: { movable_ratio_percent?: number; on_movable_excess?: 'warn' | 'refuse' };
  kernel?: { auto_online_blocks?: AutoOnline };
  rules: { name: string; match: Record<string, unknown>; state: DesiredState; on_unassembled?: OnUnassembled }[];
}

const MAX_POLICY_BYTES = 1 << 20;

export function parsePolicy(text: string, file: string): PolicyResult {
  const lines = new LineCounter();
  const at = (offset: number, path: string, message: string, severity: Diagnostic['severity'] = 'error'): Diagnostic => {
    const pos = lines.linePos(offset);
    return { file, line: pos.line, col: pos.col, severity, path, message };
  };
  if (text.length > MAX_POLICY_BYTES) return fail([at(0, '', `larger than ${MAX_POLICY_BYTES} bytes`)]);

  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: false, strict: true });
  const [syntax] = doc.errors;
  if (syntax) return fail([at(syntax.pos[0], '', yamlErrorMessage(syntax, text, syntax.pos[0]))]);
  const warnings = doc.warnings.map((w) => at(w.pos[0], '', yamlErrorMessage(w, text, w.pos[0]), 'warning'));

  // Aliases could expand to huge documents; a policy never needs them.
  let alias: YamlNode | undefined;
  visit(doc, { Alias: (_key, node) => ((alias = node), visit.BREAK) });
  if (alias) {
    const offset = alias.range?.[0] ?? 0;
    // `device: *.0` is an alias of an anchor no one set: a glob meant as a string.
    const anchored = isAlias(alias) && text.includes(`&${alias.source}`);
    return fail([at(offset, '', anchored ? 'YAML aliases (*name) are not allowed in a policy' : yamlErrorMessage({ code: 'BAD_ALIAS', message: '' }, text, offset))], warnings);
  }
  const data = doc.toJS() as unknown;
  const schemaErrors = validateSchema(data);
  if (schemaErrors.length) return fail(schemaErrors.map((e) => schemaDiagnostic(doc, e, at)), warnings);

  const raw = data as RawPolicy;
  const errors: Diagnostic[] = [];
  const rules: Rule[] = raw.rules.map((r, i) => {
    const under = (p: (string | number)[]) => ['rules', i, 'match', ...p];
    const cxl = parseCxlSelectors(
      r.match,
      (p, message) => errors.push(at(nodeAt(doc, under(p))?.range?.[0] ?? 0, displayPath(under(p)), message)),
      (p) => {
        const range = nodeAt(doc, under(p))?.range;
        return range ? text.slice(range[0], range[1]) : undefined;
      },
    );
    const start = lines.linePos(nodeAt(doc, ['rules', i])?.range?.[0] ?? 0);
    return { name: r.name, match: { ...normaliseMatch(r.match), ...cxl }, state: r.state, onUnassembled: r.on_unassembled ?? 'block', file, line: start.line, col: start.col };
  });
  const seen = new Map<string, number>();
  rules.forEach((rule, i) => {
    const pos = nodeAt(doc, ['rules', i, 'name'])?.range?.[0] ?? 0;
    const first = seen.get(rule.name);
    if (first !== undefined) errors.push(at(pos, `rules[${i}].name`, `duplicate rule name "${rule.name}" (first used by rules[${first}])`));
    else seen.set(rule.name, i);
    if (raw.rules[i].on_unassembled !== undefined && !selectsByCxlIdentity(rule.match))
      errors.push(at(nodeAt(doc, ['rules', i, 'on_unassembled'])?.range?.[0] ?? pos, `rules[${i}].on_unassembled`, 'on_unassembled applies to rules that select by CXL identity; add serial, pci or qos_class'));
    if (Object.keys(rule.match).length === 0) {
      const mpos = nodeAt(doc, ['rules', i, 'match'])?.range?.[0] ?? pos;
      errors.push(at(mpos, `rules[${i}].match`, 'empty match would take every device; say `device: "*"` if that is meant'));
    }
  });
  if (errors.length) return fail(errors, warnings);

  const { shadowedBy, stoppedAt } = findShadowed(rules.map((r) => r.match));
  shadowedBy.forEach((e, i) => {
    if (e === undefined) return;
    const [rule, earlier] = [rules[i], rules[e]];
    const pos = nodeAt(doc, ['rules', i])?.range?.[0] ?? 0;
    warnings.push(at(pos, `rules[${i}]`, `rule "${rule.name}" is shadowed by earlier rule "${earlier.name}" (line ${earlier.line}) and never decides a device`, 'warning'));
  });
  if (stoppedAt !== undefined)
    warnings.push(at(nodeAt(doc, ['rules', stoppedAt])?.range?.[0] ?? 0, `rules[${stoppedAt}]`, `too many overlapping rules to check for shadowing: rules from here on were not checked (${MAX_COMPARISONS} comparisons)`, 'warning'));

  const tierNodes: Record<number, number[]> = {};
  for (const [tier, nodes] of Object.entries(raw.tiers ?? {})) tierNodes[Number(tier)] = nodes;
  const kernel: KernelSettings = {};
  if (raw.kernel?.auto_online_blocks !== undefined)
    kernel.autoOnlineBlocks = { value: raw.kernel.auto_online_blocks, line: lines.linePos(nodeAt(doc, ['kernel', 'auto_online_blocks'])?.range?.[0] ?? 0).line };
  return {
    ok: true,
    warnings,
    policy: {
      file,
      rules,
      kernel,
      defaultState: raw.defaults?.state ?? 'unmanaged',
      tierNodes,
      safety: {
        movableRatioPercent: raw.safety?.movable_ratio_percent,
        onMovableExcess: raw.safety?.on_movable_excess ?? 'warn',
      },
    },
  };
}

function fail(errors: Diagnostic[], warnings: Diagnostic[] = []): PolicyResult {
  return { ok: false, errors, warnings };
}

function normaliseMatch(raw: Record<string, unknown>): Match {
  const match: Match = {};
  for (const key of MATCH_KEYS) {
    const value = raw[key];
    if (value === undefined) continue;
    const list = Array.isArray(value) ? value : [value];
    (match as Record<string, unknown[]>)[key] = key === 'uuid' ? list.map((u) => String(u).toLowerCase()) : list;
  }
  return match;
}

function nodeAt(doc: Document, path: (string | number)[]): YamlNode | undefined {
  return doc.getIn(path, true) as YamlNode | undefined;
}

function schemaDiagnostic(doc: Document, error: SchemaError, at: (o: number, p: string, m: string) => Diagnostic): Diagnostic {
  const segments = error.instancePath
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
  let offset = nodeAt(doc, segments)?.range?.[0];
  let path = displayPath(segments);
  const message = error.message;
  if (error.unknownKey !== undefined) {
    const key = keyNode(doc, segments, error.unknownKey);
    offset = key?.range?.[0] ?? offset;
    path = displayPath([...segments, error.unknownKey]);
  }
  return at(offset ?? 0, path, message);
}

function keyNode(doc: Document, path: (string | number)[], key: string): YamlNode | undefined {
  const parent = path.length ? doc.getIn(path, true) : doc.contents;
  if (!isMap(parent)) return undefined;
  const pair = parent.items.find((p) => (p.key as { value?: unknown } | null)?.value === key);
  return pair?.key as YamlNode | undefined;
}

function displayPath(segments: (string | number)[]): string {
  return segments.map((s, i) => (typeof s === 'number' ? `[${s}]` : i === 0 ? s : `.${s}`)).join('');
}
