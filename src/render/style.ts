// Terminal colour: only on a TTY, never with NO_COLOR (https://no-color.org).
export interface Style {
  add(s: string): string;
  remove(s: string): string;
  change(s: string): string;
  dim(s: string): string;
  bold(s: string): string;
}

const code = (open: number) => (s: string) => `\x1b[${open}m${s}\x1b[0m`;
const plain = (s: string) => s;

export function styleFor(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): Style {
  const on = Boolean(stream.isTTY) && env.NO_COLOR === undefined && env.TERM !== 'dumb';
  return on
    ? { add: code(32), remove: code(31), change: code(33), dim: code(2), bold: code(1) }
    : { add: plain, remove: plain, change: plain, dim: plain, bold: plain };
}

export const NO_STYLE = styleFor({ isTTY: false });
