// A fast writer for writeHost (test/sim/tree.ts), for the large benchmark
// trees (256 devices, 32k memory blocks: 200k files). As writeHost's own
// writer, each directory is made once; here each file is a hard link to one copy
// of its content in a pool (`pool/` beside the trees), so a 32k-block tree
// costs a few MiB of tmpfs instead of 800 MiB. The trees are read-only: the
// simulated kernel must never write to them (it would write through the link
// into every file with that content). test/bench-tree.test.ts checks the
// result is what writeHost's own writer writes.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { attributeText, FreshTreeWriter, writeHost, type HostSpec } from '../test/sim/tree.js';

class Writer extends FreshTreeWriter {
  private readonly pooled = new Map<string, string>();

  constructor(
    root: string,
    private readonly pool: string,
  ) {
    super(root);
    fs.mkdirSync(pool, { recursive: true });
  }

  override file(rel: string, content: string): void {
    this.dir(path.posix.dirname(rel));
    fs.linkSync(this.poolFile(attributeText(content)), path.join(this.root, rel));
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
