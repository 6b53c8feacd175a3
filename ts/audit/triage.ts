// Triage files (audit/slither-triage.json, audit/mythril-triage.json): every finding a person has looked at, keyed
// by something that survives edits (check + contract + function, never line numbers), with a written reason.
import { existsSync } from "node:fs";
import { AuditError, readJson } from "./lib.ts";

export type Severity = "High" | "Medium" | "Low" | "Informational" | "Optimization";
export const SEVERITIES: Severity[] = ["High", "Medium", "Low", "Informational", "Optimization"];
/// Severities that fail CI unless triaged.
export const GATED: Severity[] = ["High", "Medium"];

export interface Finding {
  /// Stable key, e.g. `reentrancy-eth:LendingPool.withdraw`.
  key: string;
  check: string;
  severity: Severity;
  confidence?: string;
  /// First line of the tool's description, for people.
  title: string;
  /// file#lines, for people only (never part of the key).
  location?: string;
}

export type TriageStatus = "false-positive" | "accepted-risk" | "by-design" | "fixed-pending";

export interface TriageEntry {
  key: string;
  severity: Severity;
  status: TriageStatus;
  /// Why this is fine, in a sentence or more. Required: a triage without a reason is not a triage.
  reason: string;
  /// Who triaged it and when (YYYY-MM-DD).
  by: string;
  date: string;
}

export interface TriageFile {
  tool: string;
  entries: TriageEntry[];
}

const STATUSES: TriageStatus[] = ["false-positive", "accepted-risk", "by-design", "fixed-pending"];

export function loadTriage(path: string, tool: string): TriageFile {
  if (!existsSync(path)) return { tool, entries: [] };
  const file = readJson<TriageFile>(path);
  const seen = new Set<string>();
  for (const [i, e] of (file.entries ?? []).entries()) {
    const where = `${path} entry ${i} (${e.key ?? "no key"})`;
    if (!e.key || !/^[\w.-]+:[\w$.#/-]+$/.test(e.key)) throw new AuditError(`${where}: key must look like check:Contract.function`);
    if (seen.has(e.key)) throw new AuditError(`${where}: duplicate key`);
    seen.add(e.key);
    if (!SEVERITIES.includes(e.severity)) throw new AuditError(`${where}: severity must be one of ${SEVERITIES.join(", ")}`);
    if (!STATUSES.includes(e.status)) throw new AuditError(`${where}: status must be one of ${STATUSES.join(", ")}`);
    if (!e.reason || e.reason.trim().length < 20) throw new AuditError(`${where}: reason must say why, in at least 20 characters`);
    if (!e.by || !/^\d{4}-\d{2}-\d{2}$/.test(e.date ?? "")) throw new AuditError(`${where}: needs 'by' and a YYYY-MM-DD 'date'`);
  }
  return { tool: file.tool ?? tool, entries: file.entries ?? [] };
}

export interface GateResult {
  counts: Record<Severity, number>;
  /// Gated findings with no triage entry: these fail CI.
  untriagedGated: Finding[];
  /// Findings below the gate with no triage entry: reported, not failing.
  untriagedOther: Finding[];
  triaged: { finding: Finding; entry: TriageEntry }[];
  /// Triage entries that matched nothing this run (the code moved on: delete them).
  stale: TriageEntry[];
}

export function gate(findings: Finding[], triage: TriageFile): GateResult {
  const byKey = new Map(triage.entries.map((e) => [e.key, e]));
  const used = new Set<string>();
  const counts = Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>;
  const res: GateResult = { counts, untriagedGated: [], untriagedOther: [], triaged: [], stale: [] };
  for (const f of findings) {
    counts[f.severity] += 1;
    const entry = byKey.get(f.key);
    // A triage for a lower severity does not cover a finding whose severity went up.
    if (entry && SEVERITIES.indexOf(entry.severity) <= SEVERITIES.indexOf(f.severity)) {
      used.add(f.key);
      res.triaged.push({ finding: f, entry });
    } else if (GATED.includes(f.severity)) {
      res.untriagedGated.push(f);
    } else {
      res.untriagedOther.push(f);
    }
  }
  res.stale = triage.entries.filter((e) => !used.has(e.key));
  return res;
}

export function countsLine(counts: Record<Severity, number>): string {
  return SEVERITIES.map((s) => `${s} ${counts[s]}`).join(", ");
}

export function gateDetails(g: GateResult, triagePath: string): string[] {
  const lines: string[] = [`Counts: ${countsLine(g.counts)}. Triaged: ${g.triaged.length}.`];
  if (g.untriagedGated.length) {
    lines.push("", `**Untriaged high/medium (fail CI)**: fix them or add an entry with a reason to \`${triagePath}\`:`);
    for (const f of g.untriagedGated) lines.push(`- \`${f.key}\` (${f.severity}) ${f.title}${f.location ? ` — ${f.location}` : ""}`);
  }
  if (g.untriagedOther.length) {
    lines.push("", "Untriaged low/informational/optimization (reported, not failing):");
    for (const f of g.untriagedOther) lines.push(`- \`${f.key}\` (${f.severity}) ${f.title}`);
  }
  if (g.stale.length) {
    lines.push("", `Triage entries that matched nothing (remove them from \`${triagePath}\`): ${g.stale.map((e) => `\`${e.key}\``).join(", ")}`);
  }
  return lines;
}
