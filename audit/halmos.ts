// Halmos symbolic proofs: every `check_*` function (they live in test/halmos/), nothing else, with the committed
// settings in halmos.toml (function prefix, build folder, 60 s per solver query, the bitwuzla + cvc5 portfolio).
// The whole run is bounded by HALMOS_BOUND seconds (default 900 locally; CI sets 240). A proof that times out counts
// as failed: it proved nothing. The run must report exactly the number of proofs audit/gates.json commits
// (halmos.proofs): fewer means some did not run, none means nothing was checked.
// Halmos builds with the same forge flags as the audit build (out-audit/), so its compile is a cache hit.
// Solver: bitwuzla and cvc5 racing per query (audit/solvers/portfolio.py, both from PyPI in .venv/audit); yices,
// halmos' default, settles none of the PoolMath queries. HALMOS_SOLVER=yices (or any halmos --solver name) overrides.
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { GATES_PATH, halmosCountProblem, loadGates } from './gates.js';
import { HALMOS_DIR, auditBuildEnv } from './lib.js';
import { AUDIT_OUT, AuditError, ROOT, TOOLS, compileFailure, lastLines, readJson, reportDir, runIfMain, sh, toolEnv, withProgress, writeReport, type ToolResult } from './lib.js';

export interface ProofResult {
  contract: string;
  name: string;
  outcome: 'pass' | 'fail' | 'timeout' | 'error';
  seconds: number;
}

/// halmos --json-output: { exitcode, test_results: { "<file>:<Contract>": [{ name, exitcode, num_models, time }] } }.
/// Per-test exit codes: 0 proved, 1 counterexample, 2 solver timeout, anything else an error.
export function parseHalmos(json: any): ProofResult[] {
  const out: ProofResult[] = [];
  for (const [contract, tests] of Object.entries<any[]>(json?.test_results ?? {})) {
    for (const t of tests) {
      const outcome = t.exitcode === 0 ? 'pass' : t.exitcode === 1 ? 'fail' : t.exitcode === 2 ? 'timeout' : 'error';
      const time = Array.isArray(t.time) ? Number(t.time[0]) : Number(t.time ?? 0);
      out.push({ contract: contract.split(':').pop() ?? contract, name: t.name, outcome, seconds: time });
    }
  }
  return out;
}

/// The portfolio solver runs on the audit venv's Python, where bitwuzla and cvc5 are installed.
export const PORTFOLIO = join(ROOT, 'audit/solvers/portfolio.py');
export const VENV_PYTHON = join(ROOT, '.venv/audit/bin/python');

/// halmos flags for the chosen solver: none (halmos.toml's portfolio) unless `name` names one of halmos' own solvers.
export function solverArgs(name: string | undefined): string[] {
  if (name && name !== 'portfolio') return ['--solver', name];
  return [];
}


export async function runHalmos(): Promise<ToolResult> {
  const halmos = join(TOOLS, 'halmos');
  if (!existsSync(halmos)) throw new AuditError("halmos: not installed: run 'make venv'");
  const bound = Number(process.env.HALMOS_BOUND ?? 900);
  const solverMs = process.env.HALMOS_SOLVER_TIMEOUT_MS;
  const solver = solverArgs(process.env.HALMOS_SOLVER);
  const committed = loadGates().halmos.proofs;
  const jsonPath = join(reportDir(), 'halmos.json');
  rmSync(jsonPath, { force: true });
  const res = await withProgress('halmos', `halmos (halmos.toml; ${committed} proofs expected, whole run <= ${bound} s)`, () =>
    sh([halmos, '--root', ROOT, '--config', join(ROOT, 'halmos.toml'), ...(solverMs ? ['--solver-timeout-assertion', solverMs] : []), ...solver, '--json-output', jsonPath, '--no-status'], {
      timeoutSec: bound,
      // halmos runs `forge build --ast` over the whole project, which with solcjs costs minutes (97 files, 2 min CPU)
      // for proofs that need src/ and test/halmos/ only: point forge's test and script folders at the proofs.
      env: auditBuildEnv(),
    }),
  );
  writeReport('halmos.txt', res.stdout + res.stderr);
  // 124/137: coreutils timeout hit the bound; null: the process died of a signal (timeout's SIGKILL after --kill-after).
  if (res.exitCode === 124 || res.exitCode === 137 || res.exitCode === null) {
    return { tool: 'halmos', status: 'fail', headline: `timed out: hit the ${bound} s bound before finishing (raise HALMOS_BOUND or narrow the proofs)`, files: ['halmos.txt'] };
  }
  const broken = compileFailure(res.stdout + res.stderr);
  if (!existsSync(jsonPath)) throw new AuditError(`halmos: no JSON output (exit ${res.exitCode}): ${broken ? `its forge build failed: ${broken}` : lastLines(res.stdout + res.stderr, 3)}`);
  const proofs = parseHalmos(readJson(jsonPath));
  return judgeHalmos(proofs, committed, propertyDocs());
}

/// The property each proof states, from the NatSpec line (`/// ...` or `@notice`) right above `function check_x`.
export function propertiesFrom(sources: { path: string; text: string }[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const { text } of sources) {
    const lines = text.split('\n');
    lines.forEach((line, i) => {
      const m = /function (check_\w+)\s*\(/.exec(line);
      if (!m) return;
      const doc: string[] = [];
      for (let j = i - 1; j >= 0 && /^\s*(\/\/\/|\*|\/\*\*)/.test(lines[j]); j--) doc.unshift(lines[j].replace(/^\s*(\/\/\/|\/\*\*|\*\/?)\s?/, '').replace(/@notice\s*/, '').trim());
      out[m[1]] = doc.filter((d) => d && !d.startsWith('@')).join(' ').trim();
    });
  }
  return out;
}

/// Fallback for proofs without NatSpec: the "Property" column of docs/audit-tooling.md's proof table
/// (| `Contract.check_x(args)` | property | time |).
export function propertiesFromDocs(markdown: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of markdown.matchAll(/^\| `\w+\.(check_\w+)\([^`]*\)` \| (.+?) \| [^|]* \|$/gm)) out[m[1]] = m[2].trim();
  return out;
}

function propertyDocs(): Record<string, string> {
  const dir = join(ROOT, HALMOS_DIR);
  const docs = join(ROOT, 'docs/audit-tooling.md');
  const fromDocs = existsSync(docs) ? propertiesFromDocs(readFileSync(docs, 'utf8')) : {};
  if (!existsSync(dir)) return fromDocs;
  const fromSource = propertiesFrom(readdirSync(dir).filter((f) => f.endsWith('.sol')).map((f) => ({ path: f, text: readFileSync(join(dir, f), 'utf8') })));
  return { ...fromDocs, ...Object.fromEntries(Object.entries(fromSource).filter(([, v]) => v)) };
}

/// Pass only when every committed proof ran and held. `properties` maps a proof's name to what it states.
export function judgeHalmos(proofs: ProofResult[], committed: number, properties: Record<string, string> = {}): ToolResult {
  const countProblem = halmosCountProblem(proofs.length, committed);
  const bad = proofs.filter((p) => p.outcome !== 'pass');
  const problems = [
    ...(countProblem ? [countProblem] : []),
    ...(bad.length ? [`${bad.length} of ${proofs.length} proof(s) not proved: ${bad.map((p) => `${p.contract}.${p.name.split('(')[0]} (${p.outcome})`).join(', ')}`] : []),
  ];
  const cell = (s: string) => s.replace(/\|/g, '\\|');
  return {
    tool: 'halmos',
    status: problems.length ? 'fail' : 'pass',
    headline: problems.length ? problems.join('; ') : `${proofs.length} of ${committed} committed proofs hold (${GATES_PATH})`,
    details: [
      '| Proof | Property | Result | Time (s) |',
      '| --- | --- | --- | ---: |',
      ...proofs.map((p) => `| ${p.contract}.${p.name.split('(')[0]} | ${cell(properties[p.name.split('(')[0]] || '(no NatSpec above the proof)')} | ${p.outcome} | ${p.seconds.toFixed(2)} |`),
    ],
    files: ['halmos.json', 'halmos.txt'],
    data: { proofs: proofs.map((p) => ({ ...p, property: properties[p.name.split('(')[0]] ?? '' })), committed },
  };
}

runIfMain(import.meta.url, runHalmos);
