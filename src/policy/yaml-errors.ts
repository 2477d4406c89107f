// The YAML library's syntax errors in daxplan's words: what is wrong and how
// to write it instead, one line each. Only the first error of a document is
// told: the ones after it are mostly the parser losing its way.
import type { YAMLError } from 'yaml';

/** The message for a syntax error at `offset` of `text`. */
export function yamlErrorMessage(error: Pick<YAMLError, 'code' | 'message'>, text: string, offset: number): string {
  const lineStart = text.lastIndexOf('\n', offset - 1) + 1;
  const before = text.slice(lineStart, offset);
  const char = text[offset] ?? '';
  const key = /([A-Za-z0-9_.-]+)\s*:\s*$/.exec(before)?.[1];
  switch (error.code) {
    case 'BAD_ALIAS':
    case 'BAD_SCALAR_START':
      if (char === '*' || error.code === 'BAD_ALIAS')
        return `an unquoted * starts a YAML alias; quote it: ${key ? `${key}: ` : ''}"${text.slice(offset).match(/^\S*?(?=[\s,}\]]|$)/)?.[0] || '*'}"`;
      return `a value cannot start with ${char} unquoted in YAML; quote it: ${key ? `${key}: ` : ''}"${text.slice(offset).match(/^[^\s,}\]]*/)?.[0]}"`;
    case 'DUPLICATE_KEY':
      return `key "${/^[^:\s,{}[\]]+/.exec(text.slice(offset))?.[0] ?? ''}" is given twice in one mapping: keep one of them`;
    case 'TAB_AS_INDENT':
      return 'a tab indents this line; YAML indents with spaces only';
    case 'MISSING_CHAR':
      return `unterminated ${/quote/.test(error.message) ? 'quoted string' : /\}/.test(error.message) ? 'flow mapping: add the closing }' : /\]/.test(error.message) ? 'flow list: add the closing ]' : 'value'}${/quote/.test(error.message) ? ': add the closing quote' : ''}`;
    case 'BAD_INDENT':
      return /\]/.test(error.message)
        ? 'a [list] that starts here is not closed, or its next line is indented less than its key: add the closing ] or indent it'
        : 'the keys of one mapping must start in the same column: indent this line like the keys above it';
    case 'BLOCK_AS_IMPLICIT_KEY':
    case 'MULTILINE_IMPLICIT_KEY':
      return 'a key and its value on one line cannot hold another key: put the nested key on its own line, indented, or indent this line like its siblings';
    case 'MULTIPLE_DOCS':
      return 'a policy is one YAML document: remove this "---" and merge the documents';
    case 'UNEXPECTED_TOKEN':
      return 'unexpected text here: a list item (- ...) and a key (key: value) cannot share one level, and text after a quoted value must be inside the quotes';
    case 'TAG_RESOLVE_FAILED':
      return `a policy uses no YAML tags: remove ${/!\S*/.exec(error.message)?.[0] ?? 'the tag'}`;
    default:
      return `not valid YAML here (${error.message.split('\n')[0].replace(/;.*$/, '')})`;
  }
}
