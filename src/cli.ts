#!/usr/bin/env node
// The executable: the only place that touches process.exit status.
import { main } from './cli/main.js';
import { dropWritesOnClosedPipe, terminalIo } from './cli/terminal.js';

dropWritesOnClosedPipe(process.stdout);
dropWritesOnClosedPipe(process.stderr);
main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd(), terminal: terminalIo }).then((code) => {
  process.exitCode = code;
});
