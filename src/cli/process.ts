// The Io of the running process: its streams, environment and terminal, and
// which of its streams are the journal.
import { fstatSync } from 'node:fs';
import type { Io } from './args.js';
import { terminalIo } from './terminal.js';
import { journalStreams } from './journal.js';

function stat(fd: number) {
  try {
    return fstatSync(fd);
  } catch {
    return undefined;
  }
}

export function processIo(): Io {
  return { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd(), terminal: terminalIo, journal: journalStreams(process.env, stat) };
}
