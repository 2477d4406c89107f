#!/usr/bin/env node
// The executable: the only place that touches process.exit status.
import { main } from './cli/main.js';
import { fstatSync } from 'node:fs';
import { terminalIo } from './cli/terminal.js';
import { journalStreams } from './cli/journal.js';

const stat = (fd: number) => {
  try {
    return fstatSync(fd);
  } catch {
    return undefined;
  }
};
const journal = journalStreams(process.env, stat);

main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd(), terminal: terminalIo, journal }).then((code) => {
  process.exitCode = code;
});
