// What a rule's match selects, and when one match takes every device another
// could (the shadowed-rule lint's test, shadow.ts).
import picomatch from 'picomatch';
import { coversCxl, type CxlSelectors } from './cxl.js';

export interface Match extends CxlSelectors {
  uuid?: string[];
  numa_node?: number[];
  tier?: number[];
  device?: string[];
}

/** The keys that are plain lists of values; the CXL selectors are src/policy/cxl.ts's. */
export type MatchKey = 'uuid' | 'numa_node' | 'tier' | 'device';
export const MATCH_KEYS: readonly MatchKey[] = ['uuid', 'numa_node', 'tier', 'device'];
/** One value a match lists. */
export type Value = string | number | bigint;

/**
 * True when every device `later` matches is also matched by `earlier`: each
 * key of `earlier` is also constrained in `later`, to a subset of its values
 * (a device name to one of its globs, a glob to the same glob).
 */
export function covers(earlier: Match, later: Match, globs = new GlobCache()): boolean {
  return coversCxl(earlier, later) && MATCH_KEYS.every((key) => {
    const wide = earlier[key] as Value[] | undefined;
    if (wide === undefined) return true;
    const narrow = later[key] as Value[] | undefined;
    if (narrow === undefined) return false;
    if (key !== 'device') return narrow.every((v) => wide.includes(v));
    return (narrow as string[]).every((glob) => wide.some((w) => w === glob || (!globs.isGlob(glob) && globs.matches(w as string, glob))));
  });
}

/**
 * A test of device names against `glob` (picomatch's syntax). A glob with no
 * glob characters is compared as a string: compiling a glob is most of the
 * planning a small policy takes in the VM guest (npm run bench).
 */
export function globTest(glob: string): (name: string) => boolean {
  return picomatch.scan(glob).isGlob ? picomatch(glob) : (name) => name === glob;
}

/** picomatch's answers, each glob scanned and compiled once. */
export class GlobCache {
  private readonly scanned = new Map<string, boolean>();
  private readonly compiled = new Map<string, (name: string) => boolean>();

  isGlob(glob: string): boolean {
    let is = this.scanned.get(glob);
    if (is === undefined) this.scanned.set(glob, (is = picomatch.scan(glob).isGlob));
    return is;
  }

  matches(glob: string, name: string): boolean {
    let test = this.compiled.get(glob);
    if (!test) this.compiled.set(glob, (test = globTest(glob)));
    return test(name);
  }
}
