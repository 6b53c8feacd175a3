#!/usr/bin/env node
// Makes the npm `solc` package (solcjs, the official compiler built to WebAssembly) speak the subset of
// the native solc command line that forge uses: `--version` and `--standard-json` with the JSON input on
// stdin, plus `--base-path`, `--include-path` and `--allow-paths` for import resolution.
'use strict';
const fs = require('fs');
const path = require('path');

function fail(msg) {
  process.stderr.write(`solcjs-shim: ${msg}\n`);
  process.exit(1);
}

let solc;
try {
  solc = require('solc');
} catch (e) {
  fail("the npm package 'solc' is not installed: run 'make install' (or 'npm ci') first");
}

const args = process.argv.slice(2);
if (args.includes('--version')) {
  // forge reads the version from the last line, in the same format as native solc.
  process.stdout.write(`solc, the solidity compiler commandline interface\nVersion: ${solc.version()}\n`);
  process.exit(0);
}
if (!args.includes('--standard-json')) {
  fail(`unsupported arguments '${args.join(' ')}': only --version and --standard-json are implemented`);
}

const roots = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--base-path' || args[i] === '--include-path') roots.push(args[++i]);
  else if (args[i] === '--allow-paths') i++;
}
if (roots.length === 0) roots.push(process.cwd());

function findImport(importPath) {
  const candidates = path.isAbsolute(importPath) ? [importPath] : roots.map((r) => path.resolve(r, importPath));
  for (const file of candidates) {
    if (fs.existsSync(file)) return { contents: fs.readFileSync(file, 'utf8') };
  }
  return { error: `file not found: ${importPath} (searched ${roots.join(', ')})` };
}

const input = fs.readFileSync(0, 'utf8');
process.stdout.write(solc.compile(input, { import: findImport }));
