#!/usr/bin/env node
// The executable: the only place that touches process.exit status.
import { main } from './cli/main.js';
import { processIo } from './cli/process.js';
import { dropWritesOnClosedPipe } from './cli/terminal.js';

dropWritesOnClosedPipe(process.stdout);
dropWritesOnClosedPipe(process.stderr);
main(process.argv.slice(2), processIo()).then((code) => {
  process.exitCode = code;
});
