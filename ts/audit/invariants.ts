// Invariant campaign on the invariants/ harness (contract Tester): forge's invariant runner under
// FOUNDRY_PROFILE=invariants, then medusa (medusa.json) when it is installed. Skips while there is no harness.
// Bounds: INVARIANT_BOUND seconds for forge (default 900), MEDUSA_TIMEOUT seconds for medusa (default: medusa.json's).
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { AuditError, ROOT, TOOLS, lastLines, readJson, reportDir, runIfMain, sh, toolEnv, withProgress, writeReport, type ToolResult } from "./lib.ts";

const HARNESS_DIR = join(ROOT, "invariants");

function hasHarness(): boolean {
  if (!existsSync(HARNESS_DIR)) return false;
  const walk = (d: string): boolean =>
    readdirSync(d, { withFileTypes: true }).some((e) => (e.isDirectory() ? !e.name.startsWith("_") && walk(join(d, e.name)) : e.name.endsWith(".sol")));
  return walk(HARNESS_DIR);
}

/// "Suite result: ok. 3 passed; 0 failed" lines summed, or medusa's "Test summary: 4 test(s) passed, 0 test(s) failed".
export function parseCounts(text: string): { passed: number; failed: number } {
  let passed = 0;
  let failed = 0;
  for (const m of text.matchAll(/(\d+) passed; (\d+) failed/g)) {
    passed += Number(m[1]);
    failed += Number(m[2]);
  }
  const med = /Test summary: (\d+) test\(s\) passed, (\d+) test\(s\) failed/.exec(text);
  if (med) return { passed: Number(med[1]), failed: Number(med[2]) };
  return { passed, failed };
}

async function forgeCampaign(): Promise<string> {
  const bound = Number(process.env.INVARIANT_BOUND ?? 900);
  const res = await withProgress("invariants", `FOUNDRY_PROFILE=invariants forge test (<= ${bound} s)`, () =>
    sh(["forge", "test"], { env: toolEnv({ FOUNDRY_PROFILE: "invariants", FOUNDRY_OUT: "out-invariants", FOUNDRY_CACHE_PATH: "cache-invariants" }), timeoutSec: bound }),
  );
  writeReport("invariants-forge.txt", res.stdout + res.stderr);
  if (res.exitCode === 124) throw new AuditError(`invariants: forge campaign hit the ${bound} s bound`);
  const c = parseCounts(res.stdout);
  if (res.exitCode !== 0 && c.failed === 0) throw new AuditError(`invariants: forge test failed (exit ${res.exitCode}): ${lastLines(res.stdout + res.stderr, 3)}`);
  return `forge ${c.passed} passed, ${c.failed} failed`;
}

async function medusaCampaign(): Promise<string> {
  const medusa = join(TOOLS, "medusa");
  if (!existsSync(medusa)) throw new AuditError("invariants: medusa is not installed: run 'make medusa-install'");
  const cfg = readJson(join(ROOT, "medusa.json"));
  const timeout = Number(process.env.MEDUSA_TIMEOUT ?? cfg.fuzzing?.timeout ?? 600);
  // invariants/engines.sh builds out-medusa/ (with build-info) first, then runs medusa on it (medusa.json).
  const res = await withProgress("invariants", `medusa fuzz (<= ${timeout} s, ${cfg.fuzzing?.testLimit ?? "?"} calls)`, () =>
    sh(["bash", "invariants/engines.sh", "medusa"], {
      env: toolEnv({ MEDUSA_TIMEOUT: String(timeout), INVARIANT_LOG_DIR: reportDir() }),
      timeoutSec: timeout + 600,
    }),
  );
  writeReport("invariants-medusa.txt", res.stdout + res.stderr);
  const log = join(reportDir(), "medusa.txt");
  const c = parseCounts(existsSync(log) ? readFileSync(log, "utf8") : res.stdout);
  if (res.exitCode !== 0 && c.failed === 0) throw new AuditError(`invariants: medusa failed (exit ${res.exitCode}): ${lastLines(res.stdout + res.stderr, 3)}`);
  return `medusa ${c.passed} passed, ${c.failed} failed`;
}

export async function runInvariants(medusaOnly = false): Promise<ToolResult> {
  if (!hasHarness()) return { tool: "invariants", status: "skip", headline: "no harness in invariants/ yet" };
  const parts: string[] = [];
  if (!medusaOnly) parts.push(await forgeCampaign());
  if (medusaOnly || existsSync(join(TOOLS, "medusa"))) parts.push(await medusaCampaign());
  else parts.push("medusa not installed (make medusa-install)");
  const failed = parts.some((p) => /[1-9]\d* failed/.test(p));
  return { tool: "invariants", status: failed ? "fail" : "pass", headline: parts.join("; "), files: ["invariants-forge.txt", "invariants-medusa.txt"] };
}

runIfMain(import.meta.url, () => runInvariants(process.argv.includes("--medusa-only")));
