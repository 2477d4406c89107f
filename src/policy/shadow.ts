// The shadowed-rule lint: the earliest earlier rule, if any, that matches
// every device a rule could match, so that the rule never decides one.
// Comparing every pair is quadratic (5000 rules: 12.5M comparisons, minutes
// with device globs). Instead earlier rules are grouped by the keys they
// constrain and indexed by value, and a rule is compared only with the rules
// of each group that list its values for the group's most selective key; and
// the whole lint stops, saying so, after a bounded number of comparisons, so
// that no policy makes validation slow.
import { covers, GlobCache, MATCH_KEYS, type Match, type MatchKey, type Value } from './match.js';

/**
 * Keys a covering rule must list every value of (a subset test), so that
 * rules can be found by value: the plain keys and the CXL lists. Address
 * windows (containment) and the memdevs quantifier are left to covers().
 */
type IndexedKey = MatchKey | 'serial' | 'pci' | 'qos_class';
const INDEXED: readonly IndexedKey[] = [...MATCH_KEYS, 'serial', 'pci', 'qos_class'];

/** Comparisons (rule against rule, glob against name) the lint may make in all. */
export const MAX_COMPARISONS = 200_000;

export interface Shadowing {
  /** For each rule checked, the index of the earliest earlier rule that shadows it. */
  shadowedBy: (number | undefined)[];
  /** Index of the first rule not checked when the budget ran out. */
  stoppedAt?: number;
}

/** Earlier rules constraining exactly `keys` (of INDEXED): key -> value -> rule indices, their wildcard device globs, all of them. */
interface Group {
  keys: IndexedKey[];
  byValue: Map<IndexedKey, Map<Value, number[]>>;
  wildcards: Map<string, number[]>;
  members: number[];
}

/** The lint over the rules' matches, in policy order. */
export function findShadowed(matches: readonly Match[], budget = MAX_COMPARISONS): Shadowing {
  const globs = new GlobCache();
  const groups = new Map<string, Group>();
  const shadowedBy: (number | undefined)[] = [];
  let spent = 0;
  for (const [i, match] of matches.entries()) {
    const candidates = new Set<number>();
    // Only rules whose keys are all constrained here can cover this one.
    for (const group of groups.values()) {
      if (!group.keys.every((k) => match[k])) continue;
      const lists = group.keys.map((key) => {
        const { list, cost } = holders(group, key, match[key] as Value[], globs);
        spent += cost;
        return list;
      });
      for (const c of lists.reduce((a, b) => (b.length < a.length ? b : a), group.members)) candidates.add(c);
    }
    spent += candidates.size;
    if (spent > budget) return { shadowedBy, stoppedAt: i };
    shadowedBy.push([...candidates].sort((a, b) => a - b).find((c) => covers(matches[c], match, globs)));
    enter(groups, match, i, globs);
  }
  return { shadowedBy };
}

/**
 * The group's rules that may cover `values` on `key` (a superset of those
 * that do), and the glob matches it took to find them. A rule covers only if
 * it lists every value of ours, so the rules listing any one value hold them
 * all; a device glob of ours is covered only by the same glob, a plain name
 * also by a wildcard that matches it.
 */
function holders(group: Group, key: IndexedKey, values: Value[], globs: GlobCache): { list: number[]; cost: number } {
  const byValue = group.byValue.get(key)!;
  const of = (v: Value) => byValue.get(v) ?? [];
  if (key !== 'device') return { list: values.map(of).reduce((a, b) => (b.length < a.length ? b : a)), cost: 0 };
  const glob = (values as string[]).find((v) => globs.isGlob(v));
  if (glob !== undefined) return { list: of(glob), cost: 0 };
  const name = values[0] as string;
  const list = [...of(name)];
  for (const [wildcard, rulesWithIt] of group.wildcards) if (globs.matches(wildcard, name)) list.push(...rulesWithIt);
  return { list, cost: group.wildcards.size };
}

function enter(groups: Map<string, Group>, match: Match, i: number, globs: GlobCache): void {
  const keys = INDEXED.filter((k) => match[k]);
  const signature = keys.join(' ');
  let group = groups.get(signature);
  if (!group) groups.set(signature, (group = { keys, byValue: new Map(keys.map((k) => [k, new Map()])), wildcards: new Map(), members: [] }));
  group.members.push(i);
  for (const key of keys)
    for (const value of match[key] as Value[]) {
      append(group.byValue.get(key)!, value, i);
      if (key === 'device' && globs.isGlob(value as string)) append(group.wildcards, value as string, i);
    }
}

function append<K>(map: Map<K, number[]>, key: K, i: number): void {
  const list = map.get(key);
  if (list) list.push(i);
  else map.set(key, [i]);
}
