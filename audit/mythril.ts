// Mythril on every concrete contract in src/, each bounded in time, then the same triage gate as Slither
// (audit/mythril-triage.json). Mode (audit/gates.json mythril.mode, MYTHRIL_MODE overrides):
//  - bytecode (the default, here and in CI): the runtime bytecode from the audit build, `-f <hex> --bin-runtime`.
//    No compile; findings name the function (mapped back through the artifact's selectors) but carry no line, and
//    the constructor is not run. Each finding is keyed to the function's source (hash) for triage.
//  - source (MYTHRIL_MODE=source): `myth analyze <file>:<Contract> --solc-json mythril.config.json --solv 0.8.24`.
//    Not usable with solcjs: Mythril wants one AST per source and the solcjs shim (bin/solcjs-shim.cjs) returns
//    them from one analysis call that Mythril rejects (issue 17); it works only where a native solc 0.8.24 is installed.
// Bounded, not exhaustive: MYTHRIL_TIMEOUT seconds of symbolic execution per contract (default 300; MYTHRIL_BUDGET
// splits a total evenly instead), MYTHRIL_TX transactions (default audit/gates.json, 2). A contract that errors,
// has no bytecode or hits the wall-clock bound is recorded and the others still run; the step then fails.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  AuditError, ROOT, TOOLS, auditBuild, deployableSrcContracts, lastLines, loadContracts, loadContractsConsistent, log, readJson, rel, reportDir, runIfMain, sh,
  toolEnv, withProgress, writeReport, type ContractInfo, type ToolResult,
} from './lib.js';
import { toFunctionSelector } from 'viem';
import { loadGates } from './gates.js';
import { type Finding, type Severity, SEVERITIES, codeHash, gate, gateDetails, gateHeadline, loadTriage, skeleton } from './triage.js';

export const TRIAGE_PATH = 'audit/mythril-triage.json';
const SOLCX_DIR = join(ROOT, '.venv/mythril/solcx');

interface Target {
  name: string;
  source: string;
  artifact?: string;
}

/// The real function name for a Mythril issue. In bytecode mode Mythril only knows selectors: it prints
/// `_function_0x<selector>` or a guess from its signature database that can be a different function with the
/// same selector (seen: `link_classic_internal(uint64,int64)` for a LendingPoolExtension function). The artifact's
/// methodIdentifiers map selectors back to our own names, which keeps triage keys right and stable.
export function functionName(text: string, selectors: Record<string, string>): string {
  const raw = String(text ?? '').trim();
  const bySelector = (sel: string) => selectors[sel.toLowerCase()];
  const hex = /_function_0x([0-9a-fA-F]{8})/.exec(raw);
  if (hex) return bySelector(hex[1]) ?? `_function_0x${hex[1].toLowerCase()}`;
  // Mythril lists every signature it knows for a selector as "a(uint64,int64) or symbol()": the selector is the same
  // for all of them, so any parseable one names our function.
  const guesses = raw.split(' or ').map((g) => g.trim());
  for (const guess of guesses) {
    if (!guess.includes('(')) continue;
    try {
      const own = bySelector(toFunctionSelector(guess).slice(2));
      if (own) return own;
    } catch {
      // not a parseable signature (constructor, fallback): try the next one
    }
  }
  return guesses[0].split('(')[0] || 'unknown';
}

/// selector (8 hex digits) -> function name, from an artifact's methodIdentifiers.
export function selectorMap(methodIdentifiers: Record<string, string> | undefined): Record<string, string> {
  const map: Record<string, string> = {};
  for (const [sig, sel] of Object.entries(methodIdentifiers ?? {})) map[sel.toLowerCase()] = sig.split('(')[0];
  return map;
}

/// Source of function `fn` as declared in `contract` or the first base that declares it, from the audit build's ASTs.
export type FunctionSource = (contract: string, fn: string) => string | undefined;

export function astFunctionSource(all: ContractInfo[] = loadContracts()): FunctionSource {
  const byName = new Map(all.map((c) => [c.name, c]));
  return (contract, fn) => {
    for (const base of byName.get(contract)?.bases ?? [contract]) {
      const c = byName.get(base);
      const node = (c?.node.nodes ?? []).find((n: any) => (n.nodeType === 'FunctionDefinition' && (n.name === fn || (fn === 'fallback' && n.kind === 'fallback'))) || (n.nodeType === 'VariableDeclaration' && n.name === fn));
      if (!c || !node) continue;
      const [start, len] = String(node.src).split(':').map(Number);
      const path = join(ROOT, c.source);
      if (!existsSync(path)) return undefined;
      return Buffer.from(readFileSync(path, 'utf8'), 'utf8').subarray(start, start + len).toString('utf8');
    }
    return undefined;
  };
}

export function parseMythril(json: any, contract: string, selectors: Record<string, string> = {}, source: FunctionSource = () => undefined): Finding[] {
  if (json?.success === false) throw new AuditError(`mythril: ${contract}: ${json.error ?? 'analysis failed'}`);
  const byKey = new Map<string, Finding>();
  for (const i of json?.issues ?? []) {
    const fn = functionName(i.function ?? 'unknown', selectors);
    const severity: Severity = ['High', 'Medium', 'Low'].includes(i.severity) ? i.severity : 'Informational';
    // The code a finding is about: the function's source (or a public variable's declaration); for a function we
    // cannot name, the issue's own text.
    const snippet = source(contract, fn) ?? `${contract}.${fn}: ${i.title ?? ''}`;
    const f: Finding = {
      key: `SWC-${i['swc-id'] ?? 'none'}:${contract}.${fn}`,
      check: `SWC-${i['swc-id']}`,
      severity,
      title: `${i.title ?? 'issue'}: ${String(i.description ?? '').split('\n')[0]}`,
      location: i.filename ? `${i.filename}#${i.lineno ?? '?'}` : `pc ${i.address ?? '?'}`,
      code: codeHash(snippet),
      snippet: snippet.replace(/\s+/g, ' ').trim().slice(0, 200),
    };
    // One finding per key (Mythril reports each reaching path): keep the most severe.
    const prev = byKey.get(f.key);
    if (!prev || SEVERITIES.indexOf(severity) < SEVERITIES.indexOf(prev.severity)) byKey.set(f.key, f);
  }
  return [...byKey.values()];
}

async function targets(): Promise<Target[]> {
  const override = process.env.MYTHRIL_TARGETS;
  if (override) {
    const all = loadContracts();
    return override.split(',').map((t) => {
      const [source, name] = t.trim().split(':');
      if (!source || !name) throw new AuditError(`mythril: MYTHRIL_TARGETS entry '${t}' must be path.sol:Contract`);
      return { name, source, artifact: all.find((c) => c.name === name && c.source === source)?.artifact };
    });
  }
  return (await deployableSrcContracts()).map((c) => ({ name: c.name, source: c.source, artifact: c.artifact }));
}

/// How one contract's analysis ended: "done" (Mythril finished within its execution bound), "timeout" (killed at the
/// wall-clock bound), "error" (crashed or no JSON), "empty" (no runtime bytecode to analyse).
export interface ContractRun {
  name: string;
  outcome: 'done' | 'timeout' | 'error' | 'empty';
  seconds: number;
  issues: number;
  /// Instruction coverage of the runtime code Mythril reports (its coverage plugin, at log level 4), in %.
  coverage?: number;
  why?: string;
  log?: string;
}

/// "Achieved 63.25% coverage for code: 6080...": the line whose code is the analysed runtime (else the highest).
export function parseCoverage(stderr: string, runtimeHex?: string): number | undefined {
  const lines = [...stderr.matchAll(/Achieved ([\d.]+)% coverage for code: ([0-9a-fx<>a-z ]+)/g)];
  if (!lines.length) return undefined;
  const own = runtimeHex ? lines.find((m) => m[2].trim().replace(/^0x/, '') === runtimeHex.replace(/^0x/, '')) : undefined;
  return Number((own ?? lines.reduce((a, b) => (Number(b[1]) > Number(a[1]) ? b : a)))[1]);
}

/// The step's verdict: every contract must have finished and no High/Medium (the file's failOn) may be untriaged.
export function judgeMythril(runs: ContractRun[], untriaged: number): { status: 'pass' | 'fail'; problems: string[] } {
  const problems: string[] = [];
  const unfinished = runs.filter((r) => r.outcome !== 'done');
  if (runs.length === 0) problems.push('nothing checked: no contract analysed');
  if (unfinished.length) problems.push(`${unfinished.length} contract(s) did not finish: ${unfinished.map((r) => `${r.name} (${r.outcome}${r.log ? `, log ${r.log}` : ''})`).join(', ')}`);
  if (untriaged) problems.push(`${untriaged} untriaged issue(s)`);
  return { status: problems.length ? 'fail' : 'pass', problems };
}

export async function runMythril(): Promise<ToolResult> {
  const myth = join(TOOLS, 'myth');
  if (!existsSync(myth)) throw new AuditError("mythril: not installed: run 'make venv'");
  const gates = loadGates();
  const mode = (process.env.MYTHRIL_MODE ?? gates.mythril.mode) === 'source' ? 'source' : 'bytecode';
  if (mode === 'source' && !existsSync(join(SOLCX_DIR, 'solc-v0.8.24'))) throw new AuditError("mythril: .venv/mythril/solcx/solc-v0.8.24 is missing: run 'make venv'");
  await auditBuild('mythril');
  // Resolved from a build of one compiler run: an incremental build's mixed AST ids would name the wrong source for a
  // finding, and its code hash would then differ from a clean build's (CI's).
  const contracts = await loadContractsConsistent('mythril');
  const list = await targets();
  if (list.length === 0) return { tool: 'mythril', status: 'skip', headline: 'no concrete contract in src/ (nothing to analyse; MYTHRIL_TARGETS names others)' };

  const budget = Number(process.env.MYTHRIL_BUDGET ?? 0);
  const perContract = budget > 0 ? Math.max(30, Math.floor(budget / list.length) - 20) : Number(process.env.MYTHRIL_TIMEOUT ?? 300);
  const txCount = process.env.MYTHRIL_TX ?? String(gates.mythril.txCount);
  const source = astFunctionSource(contracts);
  const findings: Finding[] = [];
  const files: string[] = [];
  const runs: ContractRun[] = [];
  for (const [i, t] of list.entries()) {
    const started = Date.now();
    const record = (r: Omit<ContractRun, 'name' | 'seconds'>) => {
      runs.push({ name: t.name, seconds: (Date.now() - started) / 1000, ...r });
      if (r.outcome !== 'done') log('mythril', `${t.name}: ${r.outcome}: ${r.why ?? ''}`);
    };
    const args = ['-v', '4', 'analyze', '-o', 'json', '--execution-timeout', String(perContract), '-t', txCount, '--solver-timeout', '20000'];
    let hex: string | undefined;
    if (mode === 'source') {
      args.push(`${t.source}:${t.name}`, '--solc-json', 'mythril.config.json', '--solv', '0.8.24');
    } else {
      hex = t.artifact ? String(readJson(t.artifact).deployedBytecode?.object ?? '').replace(/^0x/, '') : '';
      if (!hex) {
        record({ outcome: 'empty', issues: 0, why: t.artifact ? 'the artifact has no runtime bytecode' : 'no artifact in out-audit/' });
        continue;
      }
      files.push(writeReport(`mythril/${t.name}.runtime.hex`, hex));
      args.push('-f', join(reportDir(), `mythril/${t.name}.runtime.hex`), '--bin-runtime');
    }
    // Hard wall-clock bound: symbolic execution + contract creation + compile and start-up slack.
    const bound = perContract + 60 + (mode === 'source' ? 120 : 30);
    const res = await withProgress('mythril', `[${i + 1}/${list.length}] ${t.name} (bound ${bound} s)`, () =>
      sh([myth, ...args], { env: toolEnv({ SOLCX_BINARY_PATH: SOLCX_DIR }), timeoutSec: bound }),
    );
    files.push(writeReport(`mythril/${t.name}.json`, res.stdout || '{}'));
    const logFile = writeReport(`mythril/${t.name}.log`, res.stderr);
    const logPath = rel(join(reportDir(), logFile));
    const coverage = parseCoverage(res.stderr, hex);
    if (res.exitCode === 124 || res.exitCode === 137 || res.exitCode === null) {
      record({ outcome: 'timeout', issues: 0, coverage, why: `killed at its ${bound} s wall-clock bound`, log: logPath });
      continue;
    }
    let found: Finding[];
    try {
      const json = JSON.parse(res.stdout);
      found = parseMythril(json, t.name, selectorMap(t.artifact ? readJson(t.artifact).methodIdentifiers : undefined), source);
    } catch (e: any) {
      record({ outcome: 'error', issues: 0, coverage, why: e instanceof AuditError ? e.message : `no JSON output (exit ${res.exitCode}): ${lastLines(res.stderr, 2)}`, log: logPath });
      continue;
    }
    findings.push(...found);
    record({ outcome: 'done', issues: found.length, coverage, log: logPath });
  }
  const triage = loadTriage(join(ROOT, TRIAGE_PATH), 'mythril');
  const g = gate(findings, triage);
  files.push(writeReport('mythril-findings.json', findings), writeReport('mythril-untriaged.json', skeleton(g)));
  const verdict = judgeMythril(runs, g.untriagedGated.length);
  const scope =
    `Scope: ${mode} mode, ${txCount} transaction(s) deep, at most ${perContract} s of symbolic execution per contract ` +
    `(20 s per solver query). Bounded, not exhaustive: a clean result means no issue was found within that bound, not that none exists.`;
  const details = [
    scope,
    '',
    '| Contract | Finished | Time (s) | Issues | Instructions reached | Log |',
    '| --- | --- | ---: | ---: | ---: | --- |',
    ...runs.map((r) => `| ${r.name} | ${r.outcome === 'done' ? 'yes' : `**no: ${r.outcome}** (${r.why ?? ''})`} | ${r.seconds.toFixed(0)} | ${r.issues} | ${r.coverage === undefined ? 'not reported' : `${r.coverage.toFixed(1)} %`} | ${r.log ? `\`${r.log}\`` : ''} |`),
    '',
    'Not reached: in each contract, the instructions outside the reached share (paths deeper than the transaction depth or past the time bound); in bytecode mode the constructor is not run, so deployment and initialisation are not analysed.',
    '',
    ...gateDetails(g, TRIAGE_PATH),
  ];
  return {
    tool: 'mythril',
    status: verdict.status,
    headline: `${runs.filter((r) => r.outcome === 'done').length} of ${list.length} contract(s) finished (${mode}, ${txCount} tx, ${perContract} s each): ${verdict.problems.length ? verdict.problems.join('; ') : gateHeadline(g, triage, findings.length, TRIAGE_PATH, 'issue(s)')}`,
    details,
    files,
    data: { counts: g.counts, runs, mode, txCount: Number(txCount), perContract, gate: g },
  };
}

runIfMain(import.meta.url, runMythril);
