// The kernel's cpulist format ("0-1,4"), used by memory_tier nodelists.
const MAX_NODES = 1 << 16;

/** Parses a node list; undefined when the text is not one. */
export function parseNodeList(text: string): number[] | undefined {
  const trimmed = text.trim();
  if (trimmed === '') return [];
  const nodes: number[] = [];
  for (const part of trimmed.split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) return undefined;
    const from = Number(m[1]);
    const to = m[2] === undefined ? from : Number(m[2]);
    if (to < from || to >= MAX_NODES) return undefined;
    for (let n = from; n <= to; n++) nodes.push(n);
  }
  return nodes;
}

/** Formats nodes in the kernel's list format, ranges collapsed ("0-2,5"). */
export function formatNodeList(nodes: number[]): string {
  const sorted = [...new Set(nodes)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j] + 1) j++;
    parts.push(j > i ? `${sorted[i]}-${sorted[j]}` : `${sorted[i]}`);
    i = j + 1;
  }
  return parts.join(',');
}
