// `make audit-triage`: the findings of the last Slither and Mythril runs that no triage entry covers, printed as
// triage entries to fill in, plus the entries that matched nothing. It reads the findings the gates wrote
// (<report dir>/slither-findings.json, mythril-findings.json), so it costs no new analysis; `--run` runs the tools
// first (slither ~45 s, mythril up to MYTHRIL_BUDGET s).
//   tsx ts/audit/retriage.ts [--run] [--only slither|mythril] [--write]
// --write appends the new entries to the triage files with an empty reason and deletes the stale ones. A triage
// file with an empty reason is refused by the gate, so nothing is accepted until a person writes each reason.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { AuditError, ROOT, readJson, reportDir, rel, writeJson } from "./lib.ts";
import { type Finding, type TriageEntry, gate, loadTriage, skeleton } from "./triage.ts";

const TOOLS = {
  slither: { triage: "audit/slither-triage.json", run: async () => (await import("./slither.ts")).runSlither() },
  mythril: { triage: "audit/mythril-triage.json", run: async () => (await import("./mythril.ts")).runMythril() },
} as const;
type Tool = keyof typeof TOOLS;

export interface Retriage {
  tool: Tool;
  fresh: ReturnType<typeof skeleton>;
  stale: TriageEntry[];
}

/// Compares one tool's recorded findings with its triage file (read as-is, without validating the reasons, so it
/// also works while new entries still have empty reasons).
export function retriage(tool: Tool, findings: Finding[], triageFile: any): Retriage {
  const g = gate(findings, { tool, failOn: triageFile.failOn, entries: triageFile.entries ?? [] });
  // Entries whose reason is still empty are not triaged yet: list them again.
  const pending = (triageFile.entries ?? []).filter((e: TriageEntry) => !e.reason?.trim());
  const pendingKeys = new Set(pending.map((e: TriageEntry) => e.key));
  const fresh = [...skeleton(g), ...skeleton(gate(findings.filter((f) => pendingKeys.has(f.key)), { tool, entries: [] }))];
  return { tool, fresh, stale: g.stale.filter((e) => !pendingKeys.has(e.key)) };
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const only = args.includes("--only") ? [args[args.indexOf("--only") + 1] as Tool] : (Object.keys(TOOLS) as Tool[]);
  const dir = reportDir();
  let untriaged = 0;
  for (const tool of only) {
    const spec = TOOLS[tool];
    if (!spec) throw new AuditError(`audit-triage: unknown tool '${tool}' (slither or mythril)`);
    if (args.includes("--run")) {
      const r = await spec.run().catch((e) => ({ status: "fail", headline: e.message }));
      process.stderr.write(`[audit-triage] ${tool}: ${r.headline}\n`);
    }
    const findingsFile = join(dir, `${tool}-findings.json`);
    if (!existsSync(findingsFile)) {
      process.stderr.write(`[audit-triage] ${tool}: no ${rel(findingsFile)}: run 'make ${tool}' (or add --run) first\n`);
      continue;
    }
    const triagePath = join(ROOT, spec.triage);
    const file = existsSync(triagePath) ? readJson(triagePath) : { tool, entries: [] };
    const r = retriage(tool, readJson<Finding[]>(findingsFile), file);
    untriaged += r.fresh.length;
    process.stderr.write(
      `[audit-triage] ${tool}: ${r.fresh.length} finding(s) to triage, ${r.stale.length} stale entr${r.stale.length === 1 ? "y" : "ies"} (from ${rel(findingsFile)})\n`,
    );
    for (const e of r.stale) process.stderr.write(`[audit-triage]   stale (delete): ${e.key}\n`);
    if (r.fresh.length) process.stdout.write(`// ${spec.triage}: add these to "entries", each with a real reason and status\n${JSON.stringify(r.fresh, null, 2)}\n`);
    if (args.includes("--write") && (r.fresh.length || r.stale.length)) {
      const staleKeys = new Set(r.stale.map((e) => e.key));
      const freshKeys = new Set(r.fresh.map((e) => e.key));
      const kept = (file.entries ?? []).filter((e: TriageEntry) => !staleKeys.has(e.key) && !freshKeys.has(e.key));
      writeJson(triagePath, { ...file, entries: [...kept, ...r.fresh.map(({ $where, $title, ...e }) => e)] });
      process.stderr.write(`[audit-triage] ${tool}: wrote ${spec.triage}: write a reason for each new entry (the gate refuses empty ones)\n`);
    }
  }
  process.stderr.write(untriaged ? `audit-triage: ${untriaged} finding(s) need a triage entry\n` : "audit-triage: nothing new to triage\n");
}

if (process.argv[1]?.endsWith("retriage.ts")) {
  main().catch((e) => {
    process.stderr.write(`audit-triage: ${e?.message ?? e}\n`);
    process.exit(1);
  });
}
