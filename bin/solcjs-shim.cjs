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
const allSources = input.sources || {};
// A wildcard selection ("*": every file, as `forge build --ast` sends it for halmos) would put the whole project in one
// call and exhaust the heap: spell it out per source file so that it is chunked like any other build.
function mergeSelection(a, b) {
  const out = { ...(a || {}) };
  for (const [k, v] of Object.entries(b || {})) out[k] = [...new Set([...(out[k] || []), ...v])];
  return out;
}
let selection = (input.settings && input.settings.outputSelection) || {};
if (selection['*']) {
  const expanded = {};
  for (const f of Object.keys(allSources)) expanded[f] = mergeSelection(selection['*'], selection[f]);
  selection = expanded;
}
const selected = Object.keys(selection).sort();

function compile(sources, sel) {
  const job = { ...input, sources, settings: { ...input.settings, outputSelection: sel } };
  return JSON.parse(solc.compile(JSON.stringify(job), { import: findImport }));
}

// Never process.exit() right after a large write: when stdout is a pipe the write is asynchronous, and exiting
// drops whatever the reader has not taken yet (forge then fails with "EOF while parsing a string at line 1 column
// 131072", seen under load). Writing synchronously and letting the process end on its own keeps every byte.
function emit(obj) {
  const buf = Buffer.from(JSON.stringify(obj));
  let off = 0;
  while (off < buf.length) {
    try {
      off += fs.writeSync(1, buf, off, buf.length - off);
    } catch (e) {
      if (e.code !== 'EAGAIN') throw e;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5); // pipe full: let the reader catch up
    }
  }
}

if (selected.length <= CHUNK || selected.includes('*')) {
  emit(compile(allSources, selection));
  return;
}

// ASTs must come from one compilation: node ids and the file index in every `src` field are numbered per call, and
// one file's AST refers to declarations in the files it imports. Analysis alone (no code generation) fits in the heap
// even for the whole project (97 files: ~20 s), so the ASTs come from one AST-only call whose source ids become the
// global numbering, and the chunks below produce everything else.
let astOut;
const astFiles = selected.filter((f) => ((selection[f] && selection[f]['']) || []).includes('ast'));
if (astFiles.length) {
  const astSel = {};
  for (const f of astFiles) astSel[f] = { '': ['ast'] };
  astOut = compile(allSources, astSel);
  if ((astOut.errors || []).some((e) => e.severity === 'error')) {
    emit(astOut);
    return;
  }
  for (const f of astFiles) {
    const rest = { ...selection[f] };
    rest[''] = rest[''].filter((o) => o !== 'ast');
    if (rest[''].length === 0) delete rest[''];
    selection[f] = rest;
  }
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
let globalId = new Map([...globalNames].sort().map((name, id) => [name, id]));
if (astOut) {
  // The AST call saw every source: its ids are the numbering the ASTs use. Anything it did not see goes after them.
  globalId = new Map(Object.entries(astOut.sources || {}).map(([name, src]) => [name, src.id]));
  let next = Math.max(-1, ...globalId.values()) + 1;
  for (const name of [...globalNames].sort()) if (!globalId.has(name)) globalId.set(name, next++);
}

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
if (astOut) {
  for (const [name, src] of Object.entries(astOut.sources || {})) merged.sources[name] = src;
  for (const e of astOut.errors || []) {
    const key = e.formattedMessage || e.message;
    if (!seenErrors.has(key)) {
      seenErrors.add(key);
      merged.errors.push(e);
    }
  }
}
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
    if (!merged.sources[name]) merged.sources[name] = { ...src, id: globalId.get(name) };
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
emit(merged);
