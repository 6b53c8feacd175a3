// The rules that turn a tool's or an engine's run into PASS, FAIL or SKIP (issue 19, items 1 and 2). Kept apart from
// the tools so each rule is tested without running one (audit/gates.test.ts):
//  - under CI=true, a tool or engine that did not run (SKIP), ran out of time or found nothing to check is a FAIL,
//    unless audit/gates.json lists it in allowSkip, and then the verdict says SKIP and why it was allowed;
//  - halmos must report the committed number of proofs (audit/gates.json halmos.proofs);
//  - medusa must check at least one property and make at least one call; a forge campaign cut short fails.
// `tsx audit/gates.ts forge|medusa|skip ...` prints the one verdict line invariants/engines.sh records and exits
// 0 (PASS or allowed SKIP) or 1 (FAIL).
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ToolResult } from './lib.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

export const GATES_PATH = 'audit/gates.json';

export interface GateConfig {
  allowSkip: Record<string, string>;
  halmos: { proofs: number };
  medusa: { minProperties: number; minCalls: number };
  mythril: { mode: 'bytecode' | 'source'; txCount: number; ciBudgetSeconds: number };
}

export interface Policy {
  ci: boolean;
  /// tool or engine name -> why it may be missing on this machine.
  allowSkip: Record<string, string>;
}

/// AUDIT_GATES_FILE points the gates at another file (the tests use it); the committed one otherwise.
const gatesFile = () => process.env.AUDIT_GATES_FILE ?? join(ROOT, GATES_PATH);

export function loadGates(path = gatesFile()): GateConfig {
  const raw = JSON.parse(readFileSync(path, 'utf8'));
  const proofs = raw?.halmos?.proofs;
  if (!Number.isInteger(proofs) || proofs < 1) throw new Error(`${path}: halmos.proofs must be a positive integer`);
  for (const [k, v] of Object.entries(raw.allowSkip ?? {})) {
    if (typeof v !== 'string' || v.trim().length < 20) throw new Error(`${path}: allowSkip.${k} needs the reason, in at least 20 characters`);
  }
  return {
    allowSkip: raw.allowSkip ?? {},
    halmos: { proofs },
    medusa: { minProperties: raw.medusa?.minProperties ?? 1, minCalls: raw.medusa?.minCalls ?? 1 },
    mythril: { mode: raw.mythril?.mode === 'source' ? 'source' : 'bytecode', txCount: raw.mythril?.txCount ?? 2, ciBudgetSeconds: raw.mythril?.ciBudgetSeconds ?? 300 },
  };
}

/// CI=true (or 1) makes the gates strict. AUDIT_ALLOW_SKIP="a,b" adds names to the allow-list for one run (the
/// verdict then says it was allowed by the environment, so it shows in the summary).
export function policyFrom(env: NodeJS.ProcessEnv, gates: Pick<GateConfig, 'allowSkip'>): Policy {
  const allowSkip = { ...gates.allowSkip };
  for (const name of (env.AUDIT_ALLOW_SKIP ?? '').split(',').map((s) => s.trim()).filter(Boolean)) {
    allowSkip[name] ??= 'allowed for this run by AUDIT_ALLOW_SKIP';
  }
  return { ci: env.CI === 'true' || env.CI === '1', allowSkip };
}

export function currentPolicy(): Policy {
  const path = gatesFile();
  return policyFrom(process.env, existsSync(path) ? loadGates(path) : { allowSkip: {} });
}

/// A tool's own result, judged by the skip rule: a SKIP stays a SKIP locally (and says why), and under CI becomes a
/// FAIL unless the tool is on the allow-list.
export function applySkipRule(r: ToolResult, p: Policy): ToolResult {
  if (r.status !== 'skip') return r;
  const allowed = p.allowSkip[r.tool];
  if (allowed) return { ...r, headline: `${r.headline} (allowed to skip: ${allowed})` };
  if (p.ci) return { ...r, status: 'fail', headline: `did not run under CI: ${r.headline} (not in ${GATES_PATH} allowSkip)` };
  return r;
}

export interface Verdict {
  status: 'PASS' | 'FAIL' | 'SKIP';
  detail: string;
}

/// An engine that could not run (no Go, no Docker): SKIP where allowed or outside CI, FAIL under CI otherwise.
export function skipVerdict(engine: string, why: string, p: Policy): Verdict {
  const allowed = p.allowSkip[engine];
  if (allowed) return { status: 'SKIP', detail: `${why} (allowed to skip: ${allowed})` };
  if (p.ci) return { status: 'FAIL', detail: `did not run: ${why}; under CI an engine that does not run fails unless ${GATES_PATH} allowSkip lists it` };
  return { status: 'SKIP', detail: why };
}

const rate = (calls: number, secs: number) => (secs > 0 ? Math.floor(calls / secs) : calls);

/// forge's invariant campaign from its log: `[PASS] invariant_x() (runs: R, calls: C, reverts: V)` per property.
/// FAIL when forge failed, was killed at its bound (exit 124/137), ran no invariant, made no call, or finished fewer
/// runs than asked for (a campaign cut short checked less than its budget says).
export function forgeVerdict(log: string, rc: number, wantRuns: number | undefined, bound?: number): Verdict {
  const runs = [...log.matchAll(/invariant_\w+\(\) \(runs: (\d+), calls: (\d+)/g)].map((m) => ({ runs: Number(m[1]), calls: Number(m[2]) }));
  const calls = runs.reduce((s, r) => s + r.calls, 0);
  const secs = Math.max(0, ...[...log.matchAll(/finished in ([\d.]+)s/g)].map((m) => Math.round(Number(m[1]))));
  const counts = `${calls} calls in ${secs} s (${rate(calls, secs)} calls/s)`;
  if (rc === 124 || rc === 137) return { status: 'FAIL', detail: `timed out: killed at its ${bound ?? '?'} s bound after ${counts}` };
  if (rc !== 0) return { status: 'FAIL', detail: `${counts}: ${/\[FAIL[^\]]*\]/.exec(log)?.[0] ?? `forge exited ${rc}`}` };
  if (runs.length === 0) return { status: 'FAIL', detail: "nothing checked: no invariant_* campaign in forge's output" };
  if (calls === 0) return { status: 'FAIL', detail: `nothing checked: ${runs.length} invariant(s) but 0 calls` };
  const done = Math.min(...runs.map((r) => r.runs));
  if (wantRuns !== undefined && done < wantRuns) return { status: 'FAIL', detail: `cut short: ${done} of ${wantRuns} runs (${counts})` };
  const passed = /(\d+) tests passed/.exec(log)?.[0] ?? `${runs.length} invariant(s) passed`;
  return { status: 'PASS', detail: `${counts}, ${done} runs; ${passed}` };
}

/// medusa from its log: the last `fuzz: elapsed: 3m0s, calls: N` line and `Test summary: P test(s) passed, F test(s)
/// failed`. FAIL on a failed test, a missing summary (killed or crashed), 0 properties or 0 calls.
export function medusaVerdict(log: string, rc: number, min: { minProperties: number; minCalls: number } = { minProperties: 1, minCalls: 1 }): Verdict {
  const last = [...log.matchAll(/fuzz: elapsed: *([0-9hms.]+), calls: *(\d+)/g)].pop();
  const calls = last ? Number(last[2]) : 0;
  const secs = last ? toSecs(last[1]) : 0;
  const sum = /Test summary: (\d+) test\(s\) passed, (\d+) test\(s\) failed/.exec(log);
  const counts = `${calls} calls in ${secs} s (${rate(calls, secs)} calls/s)`;
  if (rc === 124 || rc === 137) return { status: 'FAIL', detail: `timed out: killed before it finished (${counts})` };
  if (!sum) return { status: 'FAIL', detail: `no test summary (exit ${rc}): medusa did not finish (${counts})` };
  const passed = Number(sum[1]);
  const failed = Number(sum[2]);
  if (failed > 0 || rc !== 0) return { status: 'FAIL', detail: `${counts}: ${failed} failed test(s), exit ${rc}` };
  if (passed + failed < min.minProperties) return { status: 'FAIL', detail: `nothing checked: ${passed + failed} properties (at least ${min.minProperties} required)` };
  if (calls < min.minCalls) return { status: 'FAIL', detail: `nothing checked: ${calls} calls (at least ${min.minCalls} required)` };
  return { status: 'PASS', detail: `${counts}; ${sum[0]}` };
}

/// "1h2m3s" or "3m0s" -> seconds.
export function toSecs(t: string): number {
  const n = (re: RegExp) => Number(re.exec(t)?.[1] ?? 0);
  return Math.round(n(/(\d+)h/) * 3600 + n(/(\d+)m(?!s)/) * 60 + n(/([\d.]+)s/));
}

/// halmos: the number of proofs it reported against the committed number.
export function halmosCountProblem(reported: number, committed: number): string | undefined {
  if (reported === 0) return `nothing checked: no check_* proof ran (${committed} committed in ${GATES_PATH})`;
  if (reported < committed) return `only ${reported} of the ${committed} committed proofs ran (${GATES_PATH} halmos.proofs)`;
  if (reported > committed) return `${reported} proofs ran but ${GATES_PATH} commits ${committed}: update halmos.proofs in the commit that adds a proof`;
  return undefined;
}

function cli(): void {
  const [kind, ...args] = process.argv.slice(2);
  if (!kind || kind === '--help' || kind === '-h') {
    process.stdout.write(
      'usage: tsx audit/gates.ts forge <log> <exit> [<want runs>] [<bound s>] | medusa <log> <exit> | skip <engine> <why>\n' +
        "Prints 'PASS|FAIL|SKIP <detail>' for invariants/engines.sh and exits 1 on FAIL. Rules: audit/gates.json.\n",
    );
    return;
  }
  const p = currentPolicy();
  const gates = existsSync(gatesFile()) ? loadGates() : undefined;
  let v: Verdict;
  if (kind === 'forge' || kind === 'medusa') {
    const [logPath, rcArg, wantArg, boundArg] = args;
    if (!logPath || rcArg === undefined || !/^\d+$/.test(rcArg)) throw new Error(`gates: ${kind} needs <log> <exit status>`);
    const log = existsSync(logPath) ? readFileSync(logPath, 'utf8') : '';
    v = kind === 'forge'
      ? forgeVerdict(log, Number(rcArg), wantArg ? Number(wantArg) : undefined, boundArg ? Number(boundArg) : undefined)
      : medusaVerdict(log, Number(rcArg), gates?.medusa);
  } else if (kind === 'skip') {
    const [engine, ...why] = args;
    if (!engine || why.length === 0) throw new Error('gates: skip needs <engine> <why>');
    v = skipVerdict(engine, why.join(' '), p);
  } else {
    throw new Error(`gates: unknown kind '${kind}' (forge, medusa or skip)`);
  }
  process.stdout.write(`${v.status} ${v.detail}\n`);
  if (v.status === 'FAIL') process.exitCode = 1;
}

if (process.argv[1]?.endsWith('gates.ts')) {
  try {
    cli();
  } catch (e: any) {
    process.stderr.write(`${e?.message ?? e}\n`);
    process.exit(2);
  }
}
