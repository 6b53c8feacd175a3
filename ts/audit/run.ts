// `make audit`: every audit tool in turn, with progress lines, raw outputs in reports/<YYYY-MM-DD>/, and
// reports/<YYYY-MM-DD>/SUMMARY.md for a person to read first. Exits 1 when any gate failed.
//   tsx ts/audit/run.ts [--only slither,coverage] [--skip mythril]
import { join } from "node:path";
import { AuditError, ROOT, auditBuild, log, reportDir, sh, today, writeReport, type ToolResult } from "./lib.ts";
import { runConfigs } from "./configs.ts";
import { runCoverage } from "./coverage.ts";
import { runGas } from "./gas.ts";
import { runHalmos } from "./halmos.ts";
import { runInvariants } from "./invariants.ts";
import { runLayout } from "./layout.ts";
import { runMythril } from "./mythril.ts";
import { runSizes } from "./sizes.ts";
import { runSlither } from "./slither.ts";
import { SEVERITIES } from "./triage.ts";

const STEPS: [string, () => Promise<ToolResult>][] = [
  ["configs", runConfigs],
  ["slither", runSlither],
  ["layout", () => runLayout(false)],
  ["sizes", () => runSizes(false)],
  ["gas", runGas],
  ["coverage", runCoverage],
  ["halmos", runHalmos],
  ["mythril", runMythril],
  ["invariants", () => runInvariants(false)],
];

function listArg(flag: string): string[] | undefined {
  const i = process.argv.indexOf(flag);
  return i > 0 ? process.argv[i + 1]?.split(",").map((s) => s.trim()) : undefined;
}

async function versions(): Promise<string> {
  const one = async (cmd: string[]) => {
    const r = await sh(cmd);
    return r.exitCode === 0 ? (r.stdout.trim().split("\n").pop() ?? "?") : "not installed";
  };
  const [git, solc, slither, halmos, myth] = await Promise.all([
    one(["git", "rev-parse", "--short", "HEAD"]),
    one([join(ROOT, "bin/solc"), "--which"]),
    one([join(ROOT, ".venv/tools/slither"), "--version"]),
    one([join(ROOT, ".venv/tools/halmos"), "--version"]),
    one([join(ROOT, ".venv/tools/myth"), "version"]),
  ]);
  const forgeV = (await sh(["forge", "--version"])).stdout.split("\n")[0] ?? "?";
  return `Commit ${git}. ${solc}. ${forgeV}; slither ${slither}; ${halmos}; ${myth}.`;
}

const ICON: Record<string, string> = { pass: "PASS", fail: "**FAIL**", skip: "skip" };

function summary(results: ToolResult[], header: string): string {
  const failed = results.filter((r) => r.status === "fail");
  const out: string[] = [
    `# Audit summary, ${today()}`,
    "",
    header,
    "",
    failed.length ? `**Overall: FAIL** (${failed.map((r) => r.tool).join(", ")})` : "**Overall: PASS**",
    "",
    "| Tool | Result | Time | What it says |",
    "| --- | --- | ---: | --- |",
    ...results.map((r) => `| ${r.tool} | ${ICON[r.status]} | ${(r.seconds ?? 0).toFixed(0)} s | ${r.headline.replace(/\|/g, "\\|")} |`),
    "",
    "## Findings by severity",
    "",
    `| Tool | ${SEVERITIES.join(" | ")} |`,
    `| --- | ${SEVERITIES.map(() => "---:").join(" | ")} |`,
  ];
  for (const r of results) {
    const counts = r.data?.counts as Record<string, number> | undefined;
    if (counts) out.push(`| ${r.tool} | ${SEVERITIES.map((s) => counts[s] ?? 0).join(" | ")} |`);
  }
  const section = (title: string, tool: string) => {
    const r = results.find((x) => x.tool === tool);
    if (!r) return;
    out.push("", `## ${title}`, "", `${ICON[r.status]}: ${r.headline}`);
    if (r.details?.length) out.push("", ...r.details);
  };
  section("Coverage (src/ only)", "coverage");
  section("Gas snapshots", "gas");
  section("Storage layout diff", "layout");
  section("Bytecode sizes", "sizes");
  section("Invariant campaign", "invariants");
  section("Halmos proofs", "halmos");
  section("Slither", "slither");
  section("Mythril", "mythril");
  out.push("", "## Raw outputs", "", ...results.flatMap((r) => (r.files ?? []).map((f) => `- ${r.tool}: \`${f}\``)));
  return out.join("\n") + "\n";
}

async function main(): Promise<number> {
  const only = listArg("--only");
  const skip = listArg("--skip") ?? [];
  const steps = STEPS.filter(([name]) => (!only || only.includes(name)) && !skip.includes(name));
  const dir = reportDir();
  log("audit", `writing to ${dir}`);
  await auditBuild("audit");
  const results: ToolResult[] = [];
  for (const [i, [name, fn]] of steps.entries()) {
    log("audit", `[${i + 1}/${steps.length}] ${name}`);
    const start = Date.now();
    let r: ToolResult;
    try {
      r = await fn();
    } catch (e: any) {
      r = { tool: name, status: "fail", headline: e instanceof AuditError ? e.message.replace(/^\w+: /, "") : `unexpected error: ${e?.message ?? e}` };
    }
    r.seconds = (Date.now() - start) / 1000;
    results.push(r);
    log("audit", `[${i + 1}/${steps.length}] ${name}: ${r.status.toUpperCase()} in ${r.seconds.toFixed(0)} s: ${r.headline}`);
  }
  writeReport("SUMMARY.md", summary(results, await versions()));
  const failed = results.filter((r) => r.status === "fail");
  process.stderr.write(
    failed.length
      ? `audit: FAIL: ${failed.map((r) => r.tool).join(", ")}: read ${join(dir, "SUMMARY.md")}\n`
      : `audit: OK: ${results.length} step(s): read ${join(dir, "SUMMARY.md")}\n`,
  );
  return failed.length ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    process.stderr.write(`audit: ${e?.message ?? e}\n`);
    process.exit(1);
  },
);
