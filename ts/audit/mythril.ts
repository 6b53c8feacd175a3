// Mythril on every concrete contract in src/, each bounded in time, then the same triage gate as Slither
// (audit/mythril-triage.json). Two ways to feed it, both without downloading a compiler:
//  - source (default): `myth analyze <file>:<Contract> --solc-json mythril.config.json --solv 0.8.24`, where
//    py-solc-x finds "solc 0.8.24" at .venv/mythril/solcx/solc-v0.8.24, a two-line script that runs bin/solc;
//  - bytecode (MYTHRIL_MODE=bytecode, what CI uses): the runtime bytecode from the audit build, `-f <hex>
//    --bin-runtime`. No compile, so faster; findings carry the function but no source line.
// Environment: MYTHRIL_TARGETS="path.sol:Name,..." (instead of src/), MYTHRIL_TIMEOUT (symbolic execution seconds
// per contract, default 300), MYTHRIL_BUDGET (seconds for all contracts together; splits the time evenly),
// MYTHRIL_TX (transaction depth, default 2).
import { existsSync } from "node:fs";
import { join } from "node:path";
import {
  AuditError, ROOT, TOOLS, auditBuild, deployableSrcContracts, lastLines, loadContracts, log, readJson, reportDir, runIfMain, sh,
  toolEnv, withProgress, writeReport, type ToolResult,
} from "./lib.ts";
import { toFunctionSelector } from "viem";
import { type Finding, type Severity, SEVERITIES, gate, gateDetails, gateHeadline, loadTriage, skeleton } from "./triage.ts";

export const TRIAGE_PATH = "audit/mythril-triage.json";
const SOLCX_DIR = join(ROOT, ".venv/mythril/solcx");

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
  const raw = String(text ?? "").trim();
  const bySelector = (sel: string) => selectors[sel.toLowerCase()];
  const hex = /_function_0x([0-9a-fA-F]{8})/.exec(raw);
  if (hex) return bySelector(hex[1]) ?? `_function_0x${hex[1].toLowerCase()}`;
  // Mythril lists every signature it knows for a selector as "a(uint64,int64) or symbol()": the selector is the same
  // for all of them, so any parseable one names our function.
  const guesses = raw.split(" or ").map((g) => g.trim());
  for (const guess of guesses) {
    if (!guess.includes("(")) continue;
    try {
      const own = bySelector(toFunctionSelector(guess).slice(2));
      if (own) return own;
    } catch {
      // not a parseable signature (constructor, fallback): try the next one
    }
  }
  return guesses[0].split("(")[0] || "unknown";
}

/// selector (8 hex digits) -> function name, from an artifact's methodIdentifiers.
export function selectorMap(methodIdentifiers: Record<string, string> | undefined): Record<string, string> {
  const map: Record<string, string> = {};
  for (const [sig, sel] of Object.entries(methodIdentifiers ?? {})) map[sel.toLowerCase()] = sig.split("(")[0];
  return map;
}

export function parseMythril(json: any, contract: string, selectors: Record<string, string> = {}): Finding[] {
  if (json?.success === false) throw new AuditError(`mythril: ${contract}: ${json.error ?? "analysis failed"}`);
  const byKey = new Map<string, Finding>();
  for (const i of json?.issues ?? []) {
    const fn = functionName(i.function ?? "unknown", selectors);
    const severity: Severity = ["High", "Medium", "Low"].includes(i.severity) ? i.severity : "Informational";
    const f: Finding = {
      key: `SWC-${i["swc-id"] ?? "none"}:${contract}.${fn}`,
      check: `SWC-${i["swc-id"]}`,
      severity,
      title: `${i.title ?? "issue"}: ${String(i.description ?? "").split("\n")[0]}`,
      location: i.filename ? `${i.filename}#${i.lineno ?? "?"}` : `pc ${i.address ?? "?"}`,
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
    return override.split(",").map((t) => {
      const [source, name] = t.trim().split(":");
      if (!source || !name) throw new AuditError(`mythril: MYTHRIL_TARGETS entry '${t}' must be path.sol:Contract`);
      return { name, source, artifact: all.find((c) => c.name === name && c.source === source)?.artifact };
    });
  }
  return (await deployableSrcContracts()).map((c) => ({ name: c.name, source: c.source, artifact: c.artifact }));
}

export async function runMythril(): Promise<ToolResult> {
  const myth = join(TOOLS, "myth");
  if (!existsSync(myth)) throw new AuditError("mythril: not installed: run 'make venv'");
  const mode = process.env.MYTHRIL_MODE === "bytecode" ? "bytecode" : "source";
  if (mode === "source" && !existsSync(join(SOLCX_DIR, "solc-v0.8.24"))) throw new AuditError("mythril: .venv/mythril/solcx/solc-v0.8.24 is missing: run 'make venv'");
  await auditBuild("mythril");
  const list = await targets();
  if (list.length === 0) return { tool: "mythril", status: "skip", headline: "no concrete contract in src/ yet (set MYTHRIL_TARGETS to analyse others)" };

  const budget = Number(process.env.MYTHRIL_BUDGET ?? 0);
  const perContract = budget > 0 ? Math.max(30, Math.floor(budget / list.length) - 20) : Number(process.env.MYTHRIL_TIMEOUT ?? 300);
  const txCount = process.env.MYTHRIL_TX ?? "2";
  const findings: Finding[] = [];
  const details: string[] = [`Mode: ${mode}; per contract: ${perContract} s of symbolic execution, ${txCount} transaction(s).`, ""];
  const files: string[] = [];
  let incomplete = 0;
  for (const [i, t] of list.entries()) {
    const args = ["analyze", "-o", "json", "--execution-timeout", String(perContract), "-t", txCount, "--solver-timeout", "20000"];
    if (mode === "source") {
      args.push(`${t.source}:${t.name}`, "--solc-json", "mythril.config.json", "--solv", "0.8.24");
    } else {
      if (!t.artifact) throw new AuditError(`mythril: no artifact for ${t.source}:${t.name} in out-audit/`);
      const hex = String(readJson(t.artifact).deployedBytecode?.object ?? "").replace(/^0x/, "");
      if (!hex) continue;
      files.push(writeReport(`mythril/${t.name}.runtime.hex`, hex));
      args.push("-f", join(reportDir(), `mythril/${t.name}.runtime.hex`), "--bin-runtime");
    }
    // Hard wall-clock bound: symbolic execution + contract creation + compile and start-up slack.
    const bound = perContract + 60 + (mode === "source" ? 120 : 30);
    const res = await withProgress("mythril", `[${i + 1}/${list.length}] ${t.name} (bound ${bound} s)`, () =>
      sh([myth, ...args], { env: toolEnv({ SOLCX_BINARY_PATH: SOLCX_DIR }), timeoutSec: bound }),
    );
    files.push(writeReport(`mythril/${t.name}.json`, res.stdout || "{}"));
    if (res.stderr.trim()) writeReport(`mythril/${t.name}.log`, res.stderr);
    if (res.exitCode === 124 || res.exitCode === 137) {
      incomplete += 1;
      details.push(`- ${t.name}: hit the ${bound} s bound, no result`);
      log("mythril", `${t.name}: hit the ${bound} s bound`);
      continue;
    }
    let json: any;
    try {
      json = JSON.parse(res.stdout);
    } catch {
      throw new AuditError(`mythril: ${t.name}: no JSON output (exit ${res.exitCode}): ${lastLines(res.stderr, 3)}`);
    }
    const found = parseMythril(json, t.name, selectorMap(t.artifact ? readJson(t.artifact).methodIdentifiers : undefined));
    findings.push(...found);
    details.push(`- ${t.name}: ${found.length} issue(s)`);
  }
  const triage = loadTriage(join(ROOT, TRIAGE_PATH), "mythril");
  const g = gate(findings, triage);
  details.push("", ...gateDetails(g, TRIAGE_PATH));
  files.push(writeReport("mythril-findings.json", findings), writeReport("mythril-untriaged.json", skeleton(g)));
  const ok = g.untriagedGated.length === 0;
  return {
    tool: "mythril",
    status: ok ? "pass" : "fail",
    headline: `${list.length} contract(s): ${gateHeadline(g, triage, findings.length, TRIAGE_PATH, "issue(s)")}${incomplete ? `; ${incomplete} hit the time bound` : ""}`,
    details,
    files,
    data: { counts: g.counts, incomplete },
  };
}

runIfMain(import.meta.url, runMythril);
