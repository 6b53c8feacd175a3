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

// solcjs runs in a WebAssembly heap of fixed size, and one call over a whole project (forge sends every source with
// its content) can exhaust it ("memory access out of bounds"). So the files whose outputs forge requests are compiled
// in chunks: each chunk gets only its own files as sources and loads their imports through the callback above. Each
// chunk numbers its sources its own way, so source ids are mapped back to one global numbering (source units sorted
// by name, as solc assigns them) and the file indices inside source maps are rewritten to match.
const CHUNK = Number(process.env.SOLCJS_CHUNK || 16);
const input = JSON.parse(fs.readFileSync(0, 'utf8'));
let selection = (input.settings && input.settings.outputSelection) || {};
const allSources = input.sources || {};
// `forge build --build-info` (crytic-compile, so medusa and Echidna) selects outputs with a wildcard file ("*") rather
// than file by file: expand it to every source so the whole project is chunked too, instead of one call that exhausts
// the heap. Each source's AST then comes from the chunk that compiled it (node ids are unique per chunk only; medusa
// reads contract kinds, literals and source ranges, never ids across files).
if (Object.keys(selection).length === 1 && selection['*'] && Object.keys(allSources).length > CHUNK) {
  const each = selection['*'];
  selection = Object.fromEntries(Object.keys(allSources).map((name) => [name, each]));
}
const selected = Object.keys(selection).sort();

function compile(sources, sel) {
  const job = { ...input, sources, settings: { ...input.settings, outputSelection: sel } };
  return JSON.parse(solc.compile(JSON.stringify(job), { import: findImport }));
}

if (selected.length <= CHUNK || selected.includes('*')) {
  process.stdout.write(JSON.stringify(compile(allSources, selection)));
  process.exit(0);
}

const globalNames = new Set(Object.keys(allSources));
const chunks = [];
for (let i = 0; i < selected.length; i += CHUNK) chunks.push(selected.slice(i, i + CHUNK));
const outputs = chunks.map((files) => {
  const sources = {};
  const sel = {};
  for (const f of files) {
    if (allSources[f]) sources[f] = allSources[f];
    sel[f] = selection[f];
  }
  const out = compile(sources, sel);
  for (const name of Object.keys(out.sources || {})) globalNames.add(name);
  return { files, out };
});
const globalId = new Map([...globalNames].sort().map((name, id) => [name, id]));

function remapSourceMap(map, idMap) {
  if (!map) return map;
  return map
    .split(';')
    .map((entry) => {
      const fields = entry.split(':');
      if (fields.length > 2 && fields[2] !== '' && fields[2] !== '-1') {
        const g = idMap.get(Number(fields[2]));
        fields[2] = g === undefined ? '-1' : String(g);
      }
      return fields.join(':');
    })
    .join(';');
}

const merged = { contracts: {}, sources: {}, errors: [] };
const seenErrors = new Set();
for (const { files, out } of outputs) {
  for (const e of out.errors || []) {
    const key = e.formattedMessage || e.message;
    if (!seenErrors.has(key)) {
      seenErrors.add(key);
      merged.errors.push(e);
    }
  }
  const idMap = new Map();
  for (const [name, src] of Object.entries(out.sources || {})) {
    idMap.set(src.id, globalId.get(name));
    // Keep the entry that carries an AST: a file seen first as another chunk's import has none there.
    if (!merged.sources[name] || (!merged.sources[name].ast && src.ast)) merged.sources[name] = { ...src, id: globalId.get(name) };
  }
  for (const f of files) {
    const contracts = (out.contracts || {})[f];
    if (!contracts) continue;
    for (const c of Object.values(contracts)) {
      for (const kind of ['bytecode', 'deployedBytecode']) {
        if (c.evm && c.evm[kind] && c.evm[kind].sourceMap) c.evm[kind].sourceMap = remapSourceMap(c.evm[kind].sourceMap, idMap);
      }
    }
    merged.contracts[f] = contracts;
  }
}
if (merged.errors.length === 0) delete merged.errors;
process.stdout.write(JSON.stringify(merged));
