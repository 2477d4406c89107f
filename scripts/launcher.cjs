#!/usr/bin/env node
// daxplan: the whole program is in PROGRAM below (a CommonJS bundle, see
// scripts/build.mjs), compiled as a script so that V8 can start from the
// compiled code in daxplan.cache beside this file instead of compiling 400 KB
// at every start (daxplan runs at device arrival and at boot). The cache is
// optional: without it, or when it is for another build or another node, or
// when anyone but root or the running user could have written it, the program
// is compiled as usual. This file alone is a complete install.
//
// CommonJS, not an ES module: node's ES module loader, and the ES facade of
// `fs` (which loads all of node's streams), cost about 100 ms per start in
// the emulated VM guest of the test suite (npm run bench, README Performance).
// Written for any old Node.js (no ?. or ??, no node: specifiers), so that an
// old one says in one line why it cannot run daxplan instead of failing on
// syntax inside the program.
'use strict';
const { closeSync, constants, fstatSync, openSync, readFileSync, statSync } = require('fs');
const { dirname, join } = require('path');
const { pathToFileURL } = require('url');
const { Script } = require('vm');

const NODE_MIN = __NODE_MIN__;
// EX_UNAVAILABLE: the Node.js daxplan needs is not there (README, exit codes).
const EXIT_NODE_TOO_OLD = 69;
if (Number(process.versions.node.split('.')[0]) < NODE_MIN) {
  process.stderr.write(journalErr() + 'daxplan: needs Node.js ' + NODE_MIN + ' or newer; ' + process.execPath + ' is ' + process.version + '\n');
  process.exit(EXIT_NODE_TOO_OLD);
}

// '<3>' (syslog err) when standard error is the journal (JOURNAL_STREAM names
// its device and inode), as src/cli/journal.ts marks errors; said here, before
// the program is loaded, so that `journalctl -p err` finds this refusal too.
function journalErr() {
  const stream = /^(\d+):(\d+)$/.exec(process.env.JOURNAL_STREAM || '');
  if (!stream) return '';
  try {
    const stat = fstatSync(2);
    return String(stat.dev) === stream[1] && String(stat.ino) === stream[2] ? '<3>' : '';
  } catch (err) {
    return '';
  }
}

const PROGRAM = __PROGRAM__;
const CACHE_HEADER = __CACHE_HEADER__;

const file = __filename;

/** daxplan.cache's code when it is this build's and only root or this user can have written it. */
function trustedCache() {
  const cache = join(dirname(file), 'daxplan.cache');
  let fd;
  try {
    fd = openSync(cache, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch {
    return undefined;
  }
  try {
    const uid = process.geteuid ? process.geteuid() : -1;
    const safe = (stat) => (stat.uid === 0 || stat.uid === uid) && (stat.mode & 0o022) === 0;
    const stat = fstatSync(fd);
    if (!stat.isFile() || !safe(stat) || !safe(statSync(dirname(cache)))) return undefined;
    const data = readFileSync(fd);
    if (data.toString('latin1', 0, CACHE_HEADER.length) !== CACHE_HEADER) return undefined;
    return data.subarray(CACHE_HEADER.length);
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}

// V8 checks the cache against its own version and flags and rejects it when
// they differ (script.cachedDataRejected); the header ties it to PROGRAM.
const cachedData = trustedCache();
const script = new Script(PROGRAM, { filename: file, cachedData });
if (process.env.DAXPLAN_DEBUG_CODE_CACHE)
  process.stderr.write(`daxplan: code cache ${cachedData === undefined ? 'not used' : script.cachedDataRejected ? 'rejected by V8' : 'used'}\n`);
script.runInThisContext()(require, pathToFileURL(file).href, file);
