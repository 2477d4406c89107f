// The kernel command line, as the kernel splits it: words separated by
// spaces, a double-quoted value may hold spaces, and `-` and `_` are the
// same character in a parameter's name.

export interface Param {
  /** Name with dashes turned into underscores. */
  key: string;
  value: string | undefined;
  /** The word as written, for evidence. */
  text: string;
}

export function parseCmdline(text: string): Param[] {
  const out: Param[] = [];
  for (const m of text.matchAll(/(?:[^\s"]+|"[^"]*")+/g)) {
    const word = m[0];
    if (word === '--') break; // the rest goes to init
    const eq = word.indexOf('=');
    const key = (eq < 0 ? word : word.slice(0, eq)).replace(/"/g, '').replace(/-/g, '_');
    const value = eq < 0 ? undefined : word.slice(eq + 1).replace(/^"(.*)"$/, '$1');
    out.push({ key, value, text: word });
  }
  return out;
}

/** The last occurrence wins, as for the kernel's own parsing of these options. */
export function lastParam(params: Param[], key: string): Param | undefined {
  return params.filter((p) => p.key === key).pop();
}
