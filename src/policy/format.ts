// The canonical form of a policy (daxplan fmt, and what daxplan init writes):
// keys in the schema's order, two-space indentation, mappings in block style
// (an address window in flow style), lists of values in flow style, strings
// plain unless they hold a glob or a colon inside a word (then double-quoted), numbers
// as written (0x1234abcd stays hex). Comments stay with what they annotate.
import { isMap, isScalar, isSeq, parseDocument, Scalar, type Document, type Node as YamlNode } from 'yaml';
import { policyKeys } from '../generated/validators.js';

/** Strings that read better quoted: globs (a bare * is a YAML alias) and colons inside a word (PCI addresses). YAML quotes the rest as it must. */
const QUOTED = /[*?[\]{}]|:\S/;

export const CANONICAL_OPTIONS = { indent: 2, indentSeq: true, lineWidth: 0, flowCollectionPadding: false } as const;

/** The policy text in canonical form; `text` must parse (validate it first). */
export function formatPolicy(text: string): string {
  const doc = parseDocument(text, { intAsBigInt: true, uniqueKeys: true, strict: true });
  canonicalStyle(doc);
  return doc.toString(CANONICAL_OPTIONS);
}

/** Puts a policy document's nodes in canonical order and style, in place. */
export function canonicalStyle(doc: Document): void {
  const top = doc.contents;
  if (!top) return;
  // The file's opening comment (the yaml-language-server line) is read as the first key's: it stays first, whichever key that becomes.
  const firstKey = () => (isMap(top) ? top.items[0]?.key : undefined);
  const before = firstKey();
  const opening = isScalar(before) ? before.commentBefore : undefined;
  if (isScalar(before)) before.commentBefore = undefined;
  style(top, '');
  const after = firstKey();
  if (opening && isScalar(after)) after.commentBefore = after.commentBefore ? `${opening}\n${after.commentBefore}` : opening;
}

function style(node: YamlNode, path: string): void {
  if (isScalar(node)) {
    if (typeof node.value === 'string') node.type = QUOTED.test(node.value) || node.value === '' ? Scalar.QUOTE_DOUBLE : undefined;
    return;
  }
  if (isSeq(node)) {
    node.flow = node.items.every((item) => isScalar(item));
    node.items.forEach((item) => isNode(item) && style(item, `${path}/*`));
    return;
  }
  if (isMap(node)) {
    node.flow = /(^|\/)address(\/\*)?$/.test(path);
    const order = policyKeys[path] ?? [];
    const rank = (key: unknown) => {
      const i = order.indexOf(String(isScalar(key) ? key.value : key));
      return i < 0 ? order.length : i;
    };
    // A stable sort: keys the schema does not know (a tier number) keep their order.
    node.items.sort((a, b) => rank(a.key) - rank(b.key));
    for (const pair of node.items) {
      if (isScalar(pair.key)) pair.key.type = undefined;
      const key = String(isScalar(pair.key) ? pair.key.value : pair.key);
      if (isNode(pair.value)) style(pair.value, path ? `${path}/${key}` : key);
    }
  }
}

function isNode(value: unknown): value is YamlNode {
  return isScalar(value) || isMap(value) || isSeq(value);
}
