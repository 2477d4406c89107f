// Reading many small files with two threads. A memory block costs two file
// reads (state, valid_zones), and on a 4 TiB host with 128 MiB blocks that is
// 65k open/read/close triples, ~6 µs each: a plan would spend 0.4 s in
// syscalls. Past PARALLEL_MIN files, a worker thread reads alongside the main
// thread: both take chunks of the list from a shared counter, so the worker
// helps from the moment it has started (~25 ms) and the main thread never
// waits for a worker that had nothing left to do. observe() stays synchronous:
// the main thread blocks (Atomics.wait) only for chunks the worker took.
// Anything unexpected (no threads, a worker error, a read error other than a
// missing file) falls back to reading on the main thread, so the results and
// errors are those of DirSysfs.read().
import type * as WorkerThreads from 'node:worker_threads';
import type { MessagePort, Worker } from 'node:worker_threads';
import { builtin } from './lazy.js';

const threads = builtin<typeof WorkerThreads>('node:worker_threads');

/** Below this many files one thread is faster (the worker costs ~25 ms to start). */
export const PARALLEL_MIN = 4096;
const CHUNK = 256;
const WAIT_MS = 5000;

/** Sentinel results from the worker: the file is missing; any other error (re-read here to throw it). */
const MISSING = 0;
const FAILED = 1;
type Result = string | typeof MISSING | typeof FAILED;

// The worker: waits for jobs (paths joined by NUL) and reads the chunks it
// claims; posts [generation, [chunk, results...]...] and then flags done.
const WORKER = `
const { workerData } = require('node:worker_threads');
const fs = require('node:fs');
const { port, ctl } = workerData;
const buf = Buffer.allocUnsafe(4096);
function readOne(file) {
  let fd;
  try { fd = fs.openSync(file, fs.constants.O_RDONLY); }
  catch (err) { return err.code === 'ENOENT' || err.code === 'ENOTDIR' ? ${MISSING} : ${FAILED}; }
  try {
    const n = fs.readSync(fd, buf, 0, buf.length, null);
    if (n === buf.length) return ${FAILED};
    return buf.toString('utf8', 0, n);
  } catch { return ${FAILED}; } finally { fs.closeSync(fd); }
}
port.on('message', ({ gen, joined, chunk }) => {
  const paths = joined.split('\\0');
  const chunks = [];
  for (;;) {
    const c = Atomics.add(ctl, 0, 1);
    if (c * chunk >= paths.length) break;
    const out = [c];
    for (let i = c * chunk; i < Math.min(paths.length, (c + 1) * chunk); i++) out.push(readOne(paths[i]));
    chunks.push(out);
  }
  port.postMessage({ gen, chunks });
  Atomics.store(ctl, 1, gen);
  Atomics.notify(ctl, 1);
});
`;

interface Helper {
  worker: Worker;
  port: MessagePort;
  /** [0]: next chunk to claim; [1]: generation of the last job the worker finished. */
  ctl: Int32Array;
  gen: number;
}

let helper: Helper | undefined | null;

function startHelper(): Helper | null {
  try {
    const ctl = new Int32Array(new SharedArrayBuffer(8));
    const { port1, port2 } = new (threads().MessageChannel)();
    const worker = new (threads().Worker)(WORKER, { eval: true, workerData: { port: port2, ctl }, transferList: [port2] });
    worker.on('error', () => {
      helper = null;
    });
    // An idle helper must not keep daxplan running.
    worker.unref();
    port1.unref();
    return { worker, port: port1, ctl, gen: 0 };
  } catch {
    return null;
  }
}

/**
 * Reads every file of `files` (absolute paths) with `readOne`'s meaning for
 * each result, using a second thread when there are many. `readOne` is the
 * single-file read (and the fallback for anything the worker did not settle).
 */
export function readMany(files: string[], readOne: (file: string) => string | undefined, parallelMin = PARALLEL_MIN): (string | undefined)[] {
  const out = new Array<string | undefined>(files.length);
  if (files.length < parallelMin || files.some((f) => f.includes('\0'))) {
    for (let i = 0; i < files.length; i++) out[i] = readOne(files[i]);
    return out;
  }
  if (helper === undefined) helper = startHelper();
  const h = helper;
  if (!h) {
    for (let i = 0; i < files.length; i++) out[i] = readOne(files[i]);
    return out;
  }
  const gen = ++h.gen;
  Atomics.store(h.ctl, 0, 0);
  h.port.postMessage({ gen, joined: files.join('\0'), chunk: CHUNK });
  const chunks = Math.ceil(files.length / CHUNK);
  const mine = new Set<number>();
  for (;;) {
    const c = Atomics.add(h.ctl, 0, 1);
    if (c >= chunks) break;
    mine.add(c);
    for (let i = c * CHUNK; i < Math.min(files.length, (c + 1) * CHUNK); i++) out[i] = readOne(files[i]);
  }
  if (mine.size < chunks) collect(h, gen, files, out, mine, chunks, readOne);
  return out;
}

/** Takes the worker's chunks of job `gen`; reads here whatever it did not deliver in time. */
function collect(h: Helper, gen: number, files: string[], out: (string | undefined)[], mine: Set<number>, chunks: number, readOne: (file: string) => string | undefined): void {
  const settled = new Set(mine);
  const deadline = Date.now() + WAIT_MS;
  for (let done = Atomics.load(h.ctl, 1); done < gen; done = Atomics.load(h.ctl, 1)) {
    const left = deadline - Date.now();
    if (left <= 0) {
      helper = null; // a worker this late is not trusted with another job
      break;
    }
    Atomics.wait(h.ctl, 1, done, left);
  }
  const { receiveMessageOnPort } = threads();
  for (let msg = receiveMessageOnPort(h.port); msg; msg = receiveMessageOnPort(h.port)) {
    const { gen: g, chunks: theirs } = msg.message as { gen: number; chunks: [number, ...Result[]][] };
    if (g !== gen) continue;
    for (const [c, ...results] of theirs) {
      settled.add(c);
      results.forEach((r, k) => {
        const i = c * CHUNK + k;
        out[i] = r === MISSING ? undefined : r === FAILED ? readOne(files[i]) : r.endsWith('\n') ? r.slice(0, -1) : r;
      });
    }
  }
  for (let c = 0; c < chunks; c++) {
    if (settled.has(c)) continue;
    for (let i = c * CHUNK; i < Math.min(files.length, (c + 1) * CHUNK); i++) out[i] = readOne(files[i]);
  }
}
