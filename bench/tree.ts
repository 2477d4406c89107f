// A fast writer for writeHost (test/sim/tree.ts), for the large benchmark
// trees (256 devices, 32k memory blocks: 200k files). The plain writer makes
// every parent directory and removes every link before it writes it, which is
// right for a tree that the simulated kernel rewrites but costs ~1 ms a block.
// Here each directory is made once, and each file is a hard link to one copy
// of its content in a pool (`pool/` beside the trees), so a 32k-block tree
// costs a few MiB of tmpfs instead of 800 MiB. The trees are read-only: the
// simulated kernel must never write to them (it would write through the link
// into every file with that content). test/bench-tree.test.ts checks the
// result is what the plain writer writes.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeHost, type HostSpec, type TreeWriter } from '../test/sim/tree.js';

class Writer implements TreeWriter {
  private readonly dirs = new Set<string>();
  private readonly pooled = new Map<string, string>();

  constructor(
    private readonly root: string,
    private readonly pool: string,
  ) {
    fs.mkdirSync(pool, { recursive: true });
  }

  dir(rel: string): void {
    if (this.dirs.has(rel)) return;
    fs.mkdirSync(path.join(this.root, rel), { recursive: true });
    for (let d = rel; d !== '.' && d !== ''; d = path.posix.dirname(d)) this.dirs.add(d);
  }

  file(rel: string, content: string): void {
    const text = content.endsWith('\n') || content === '' ? content : content + '\n';
    this.dir(path.posix.dirname(rel));
    fs.linkSync(this.poolFile(text), path.join(this.root, rel));
  }

  link(rel: string, targetRel: string): void {
    this.dir(path.posix.dirname(rel));
    fs.symlinkSync(path.posix.relative(path.posix.dirname(rel), targetRel), path.join(this.root, rel));
  }

  private poolFile(text: string): string {
    let file = this.pooled.get(text);
    if (file) return file;
    file = path.join(this.pool, crypto.createHash('sha1').update(text).digest('hex'));
    if (!fs.existsSync(file)) {
      const tmp = `${file}.${process.pid}`;
      fs.writeFileSync(tmp, text);
      fs.renameSync(tmp, file);
    }
    this.pooled.set(text, file);
    return file;
  }
}

/** Writes the tree writeHost writes for `host` into the empty directory `root`, hard-linked from `pool`. */
export function writeHostFast(root: string, host: HostSpec, pool: string): void {
  writeHost(root, host, new Writer(root, pool));
}
