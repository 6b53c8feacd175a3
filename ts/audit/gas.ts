// Gas snapshots: checks test/gas/* against the committed snapshots/ (FORGE_SNAPSHOT_CHECK=true, as `make gas-check`)
// and turns snapshots/*.json (written by vm.snapshotGas*) plus .gas-snapshot into a table for the summary.
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { ROOT, lastLines, readJson, runIfMain, sh, toolEnv, withProgress, writeReport, type ToolResult } from "./lib.ts";

export function gasTable(root = ROOT): string[] {
  const rows: string[] = [];
  const dir = join(root, "snapshots");
  if (existsSync(dir)) {
    for (const f of readdirSync(dir).filter((f) => f.endsWith(".json") && f !== "sizes.json").sort()) {
      const group = f.replace(/\.json$/, "");
      for (const [name, value] of Object.entries(readJson<Record<string, string>>(join(dir, f)))) rows.push(`| ${group} | ${name} | ${value} |`);
    }
  }
  const legacy = join(root, ".gas-snapshot");
  if (existsSync(legacy)) {
    for (const line of readFileSync(legacy, "utf8").split("\n")) {
      const m = /^(\S+):(\S+)\(.*\) \(gas: (\d+)\)/.exec(line);
      if (m) rows.push(`| ${m[1]} | ${m[2]} | ${m[3]} |`);
    }
  }
  return rows.length ? ["| Group | Snapshot | Gas |", "| --- | --- | ---: |", ...rows] : [];
}

export async function runGas(): Promise<ToolResult> {
  const table = gasTable();
  if (!existsSync(join(ROOT, "test/gas"))) {
    return { tool: "gas", status: "skip", headline: "no test/gas/ yet", details: table.length ? table : ["No gas snapshot committed yet."] };
  }
  const res = await withProgress("gas", "forge test test/gas/* with FORGE_SNAPSHOT_CHECK=true", () =>
    sh(["forge", "test", "--isolate", "--match-path", "test/gas/*"], { env: toolEnv({ FORGE_SNAPSHOT_CHECK: "true", FOUNDRY_OUT: "out", FOUNDRY_CACHE_PATH: "cache" }) }),
  );
  writeReport("gas.txt", res.stdout + res.stderr);
  return {
    tool: "gas",
    status: res.exitCode === 0 ? "pass" : "fail",
    headline: res.exitCode === 0 ? `${table.length ? table.length - 2 : 0} snapshot(s) match` : `gas snapshots differ or tests failed: ${lastLines(res.stdout + res.stderr, 2)}`,
    details: table.length ? table : ["No gas snapshot committed yet."],
    files: ["gas.txt"],
  };
}

runIfMain(import.meta.url, runGas);
