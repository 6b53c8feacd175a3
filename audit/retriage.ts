// `make audit-triage`: the findings of the last Slither and Mythril runs that no triage entry covers, printed as
// triage entries to fill in, plus the entries that matched nothing. It reads the findings the gates wrote
// (<report dir>/slither-findings.json, mythril-findings.json), so it costs no new analysis; `--run` runs the tools
// first (slither ~45 s, mythril up to MYTHRIL_BUDGET s).
//   tsx audit/retriage.ts [--run] [--only slither|mythril] [--write] [--pin]
// --write appends the new entries to the triage files with an empty reason and deletes the stale ones. A triage
// file with an empty reason is refused by the gate, so nothing is accepted until a person writes each reason.
// Entries whose code changed are printed with the code they now point at. --pin sets each such entry's `code` to
// the code its key names today: run it only after reading those snippets (it is how a reviewed change, or a merge
// that touched the flagged lines, is accepted; the diff of the triage file shows which entries moved).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { AuditError, ROOT, readJson, reportDir, rel, writeJson } from './lib.js';
import { type Finding, type TriageEntry, gate, skeleton } from './triage.js';

// Mythril's stale entries are never deleted: its search is bounded by time, so an issue it did not reach in one run
// can come back in the next one (seen: SWC-101 on name/symbol found in one run, not in two others).
const TOOLS = {
  slither: { triage: 'audit/slither-triage.json', pruneStale: true, run: async () => (await import('./slither.js')).runSlither() },
  mythril: { triage: 'audit/mythril-triage.json', pruneStale: false, run: async () => (await import('./mythril.js')).runMythril() },
} as const;
type Tool = keyof typeof TOOLS;

export interface Retriage {
  tool: Tool;
  fresh: ReturnType<typeof skeleton>;
  stale: TriageEntry[];
  /// Entries whose key still names findings, with the codes and snippets those findings have now.
  changed: { key: string; was: string[]; now: { code: string; snippet?: string; location?: string }[] }[];
}

/// Each entry's `code` replaced by the codes its key's findings have now (entries of keys that matched nothing and
/// whole-check entries are left as they are).
export function pin(entries: TriageEntry[], findings: Finding[]): TriageEntry[] {
  return entries.map((e) => {
    if (e.key.endsWith(':*')) return e;
    const codes = [...new Set(findings.filter((f) => f.key === e.key && f.code).map((f) => f.code!))].sort();
    return codes.length ? { ...e, code: codes } : e;
  });
}

/// Compares one tool's recorded findings with its triage file (read as-is, without validating the reasons, so it
/// also works while new entries still have empty reasons).
export function retriage(tool: Tool, findings: Finding[], triageFile: any): Retriage {
  const g = gate(findings, { tool, failOn: triageFile.failOn, entries: triageFile.entries ?? [] });
  // Entries whose reason is still empty are not triaged yet: list them again.
  const pending = (triageFile.entries ?? []).filter((e: TriageEntry) => !e.reason?.trim());
  const pendingKeys = new Set(pending.map((e: TriageEntry) => e.key));
  const fresh = [...skeleton(g), ...skeleton(gate(findings.filter((f) => pendingKeys.has(f.key)), { tool, entries: [] }))];
  const changedKeys = [...new Set(g.changed.map((c) => c.entry.key))];
  const changed = changedKeys.map((key) => ({
    key,
    was: g.changed.find((c) => c.entry.key === key)!.entry.code ?? [],
    now: g.changed.filter((c) => c.entry.key === key).map((c) => ({ code: c.finding.code ?? '?', snippet: c.finding.snippet, location: c.finding.location })),
  }));
  // A finding under a changed key is not "fresh": it is listed under changed, with its entry.
  const fresh2 = fresh.filter((e) => !changedKeys.includes(e.key));
  return { tool, fresh: fresh2, stale: g.stale.filter((e) => !pendingKeys.has(e.key)), changed };
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const only = args.includes('--only') ? [args[args.indexOf('--only') + 1] as Tool] : (Object.keys(TOOLS) as Tool[]);
  const dir = reportDir();
  let untriaged = 0;
  for (const tool of only) {
    const spec = TOOLS[tool];
    if (!spec) throw new AuditError(`audit-triage: unknown tool '${tool}' (slither or mythril)`);
    if (args.includes('--run')) {
      const r = await spec.run().catch((e) => ({ status: 'fail', headline: e.message }));
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
    untriaged += r.fresh.length + r.changed.length;
    process.stderr.write(
      `[audit-triage] ${tool}: ${r.fresh.length} finding(s) to triage, ${r.stale.length} stale entr${r.stale.length === 1 ? 'y' : 'ies'} (from ${rel(findingsFile)})\n`,
    );
    for (const c of r.changed) {
      process.stderr.write(`[audit-triage]   code changed: ${c.key} (triaged ${c.was.join('/') || 'none'}):\n`);
      for (const n of c.now) process.stderr.write(`[audit-triage]     now ${n.code} at ${n.location ?? '?'}: ${n.snippet ?? ''}\n`);
    }
    if (args.includes('--pin')) {
      const pinned = pin(file.entries ?? [], readJson<Finding[]>(findingsFile));
      const moved = pinned.filter((e, i) => JSON.stringify(e.code) !== JSON.stringify(file.entries[i].code)).length;
      Object.assign(file, { entries: pinned });
      writeJson(triagePath, file);
      process.stderr.write(`[audit-triage] ${tool}: pinned ${moved} entr${moved === 1 ? 'y' : 'ies'} to today's code in ${spec.triage}\n`);
    }
    for (const e of r.stale) {
      process.stderr.write(`[audit-triage]   ${spec.pruneStale ? 'stale (delete)' : 'not reached this run (kept)'}: ${e.key}\n`);
    }
    if (r.fresh.length) process.stdout.write(`// ${spec.triage}: add these to "entries", each with a real reason and status\n${JSON.stringify(r.fresh, null, 2)}\n`);
    if (args.includes('--write') && (r.fresh.length || (spec.pruneStale && r.stale.length))) {
      const staleKeys = new Set(spec.pruneStale ? r.stale.map((e) => e.key) : []);
      const freshKeys = new Set(r.fresh.map((e) => e.key));
      const kept = (file.entries ?? []).filter((e: TriageEntry) => !staleKeys.has(e.key) && !freshKeys.has(e.key));
      writeJson(triagePath, { ...file, entries: [...kept, ...r.fresh.map(({ $where, $title, $snippet, ...e }) => e)] });
      process.stderr.write(`[audit-triage] ${tool}: wrote ${spec.triage}: write a reason for each new entry (the gate refuses empty ones)\n`);
    }
  }
  process.stderr.write(untriaged ? `audit-triage: ${untriaged} finding(s) need a triage entry\n` : 'audit-triage: nothing new to triage\n');
}

if (process.argv[1]?.endsWith('retriage.ts') && (process.argv.includes('--help') || process.argv.includes('-h'))) {
  process.stdout.write("usage: tsx audit/retriage.ts [--run] [--only slither|mythril] [--write] [--pin]\nLists the last run's untriaged findings and the entries whose code changed (make audit-triage).\n");
} else if (process.argv[1]?.endsWith('retriage.ts')) {
  main().catch((e) => {
    process.stderr.write(`audit-triage: ${e?.message ?? e}\n`);
    process.exit(1);
  });
}
