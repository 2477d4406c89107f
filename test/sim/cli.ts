#!/usr/bin/env node
// daxplan over the simulated kernel: the product's CLI with one door changed.
// A --sysfs-root tree holding .daxplan-sim.json is a simulated kernel (writes
// have the kernel's effects); any other tree is refused (exit 64).
// Built to dist/daxplan-sim.mjs for tests that spawn a process, and for trying
// apply without root (README, "Trying apply without root"). Never the real /sys:
// SimulatedKernel refuses it.
import { main } from '../../src/cli/main.js';
import { terminalIo } from '../../src/cli/terminal.js';
import { openMarkedSimulator } from './kernel.js';

main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd(), terminal: terminalIo, openSysfs: openMarkedSimulator }).then((code) => {
  process.exitCode = code;
});
