// Triage files (audit/slither-triage.json, audit/mythril-triage.json): every finding a person has looked at, keyed
// by check + contract + function (never line numbers) AND by the code it is about: `code` lists the hashes of the
// flagged source (codeHash of the snippet, whitespace-insensitive). A new finding of the same kind in the same
// function has other code, so it is not covered; an entry whose code no longer matches is reported as changed.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { AuditError, readJson } from './lib.js';

/// 12 hex digits of sha256 over the snippet with all whitespace runs collapsed, so a re-format does not count as a
/// change but any edit to the tokens does.
export function codeHash(snippet: string): string {
  return createHash('sha256').update(snippet.replace(/\s+/g, ' ').trim()).digest('hex').slice(0, 12);
}

export type Severity = 'High' | 'Medium' | 'Low' | 'Informational' | 'Optimization';
export const SEVERITIES: Severity[] = ['High', 'Medium', 'Low', 'Informational', 'Optimization'];
/// Severities that fail CI unless triaged, when a triage file does not say otherwise (issue #8: high and medium).
/// A triage file can widen the gate with `"failOn": [...]`; ours fail on every severity, so that any new finding
/// is looked at once.
export const GATED: Severity[] = ['High', 'Medium'];
/// Severities a whole-check entry (`check:*`) may cover. A high or medium finding always needs its own entry.
export const CLASS_SEVERITIES: Severity[] = ['Low', 'Informational', 'Optimization'];

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
  /// codeHash of the flagged source; what a triage entry's `code` must list to cover this finding.
  code?: string;
  /// The flagged source (first 200 characters), for people reading a triage diff.
  snippet?: string;
}

export type TriageStatus = 'false-positive' | 'accepted-risk' | 'by-design' | 'fixed-pending';

export interface TriageEntry {
  key: string;
  severity: Severity;
  status: TriageStatus;
  /// Why this is fine, in a sentence or more. Required: a triage without a reason is not a triage.
  reason: string;
  /// Who triaged it and when (YYYY-MM-DD).
  by: string;
  date: string;
  /// codeHash of each flagged snippet this entry covers. Required except for whole-check (`check:*`) entries.
  code?: string[];
}

export interface TriageFile {
  tool: string;
  /// Severities whose untriaged findings fail the gate (default GATED).
  failOn?: Severity[];
  entries: TriageEntry[];
}

const STATUSES: TriageStatus[] = ['false-positive', 'accepted-risk', 'by-design', 'fixed-pending'];

export function loadTriage(path: string, tool: string): TriageFile {
  if (!existsSync(path)) return { tool, entries: [] };
  const file = readJson<TriageFile>(path);
  const failOn = file.failOn ?? GATED;
  for (const s of failOn) if (!SEVERITIES.includes(s)) throw new AuditError(`${path}: failOn: unknown severity '${s}'`);
  for (const s of GATED) if (!failOn.includes(s)) throw new AuditError(`${path}: failOn must include ${GATED.join(' and ')} (issue #8)`);
  const seen = new Set<string>();
  for (const [i, e] of (file.entries ?? []).entries()) {
    const where = `${path} entry ${i} (${e.key ?? 'no key'})`;
    if (!e.key || !/^[\w.-]+:([\w$.#/-]+|\*)$/.test(e.key)) throw new AuditError(`${where}: key must look like check:Contract.function (or check:* for a whole low/informational check)`);
    if (e.key.endsWith(':*') && !CLASS_SEVERITIES.includes(e.severity)) {
      throw new AuditError(`${where}: a whole-check entry (check:*) may only cover ${CLASS_SEVERITIES.join('/')} findings; high and medium findings need one entry each`);
    }
    if (seen.has(e.key)) throw new AuditError(`${where}: duplicate key`);
    seen.add(e.key);
    if (!SEVERITIES.includes(e.severity)) throw new AuditError(`${where}: severity must be one of ${SEVERITIES.join(', ')}`);
    if (!STATUSES.includes(e.status)) throw new AuditError(`${where}: status must be one of ${STATUSES.join(', ')}`);
    if (!e.reason || e.reason.trim().length < 20) throw new AuditError(`${where}: reason must say why, in at least 20 characters`);
    if (!e.by || !/^\d{4}-\d{2}-\d{2}$/.test(e.date ?? '')) throw new AuditError(`${where}: needs 'by' and a YYYY-MM-DD 'date'`);
    if (!e.key.endsWith(':*') && (!Array.isArray(e.code) || e.code.length === 0 || !e.code.every((c) => /^[0-9a-f]{12}$/.test(c)))) {
      throw new AuditError(`${where}: needs 'code', the hashes of the source it covers ('make audit-triage' prints them with the snippet)`);
    }
  }
  return { tool: file.tool ?? tool, failOn, entries: file.entries ?? [] };
}

export interface GateResult {
  counts: Record<Severity, number>;
  /// Findings at a failing severity (the file's failOn) with no triage entry: these fail CI.
  untriagedGated: Finding[];
  /// Findings at a severity the file does not fail on, with no triage entry: reported, not failing.
  untriagedOther: Finding[];
  triaged: { finding: Finding; entry: TriageEntry }[];
  /// Triage entries that matched nothing this run (the code moved on: delete them).
  stale: TriageEntry[];
  /// Entries whose key still names a finding but whose code no longer matches it: the finding is untriaged.
  changed: { entry: TriageEntry; finding: Finding }[];
  /// Whole-check entries (`check:*`) and the findings each covered this run.
  classes: { entry: TriageEntry; findings: Finding[] }[];
}

export function gate(findings: Finding[], triage: TriageFile): GateResult {
  const byKey = new Map(triage.entries.map((e) => [e.key, e]));
  const failOn = triage.failOn ?? GATED;
  const used = new Set<string>();
  const counts = Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>;
  const res: GateResult = { counts, untriagedGated: [], untriagedOther: [], triaged: [], stale: [], changed: [], classes: [] };
  const covers = (e: TriageEntry | undefined, f: Finding) =>
    // A triage for a lower severity does not cover a finding whose severity went up.
    e !== undefined && SEVERITIES.indexOf(e.severity) <= SEVERITIES.indexOf(f.severity);
  for (const f of findings) {
    counts[f.severity] += 1;
    const named = byKey.get(f.key);
    // An own entry covers a finding only while the flagged code is one it lists.
    const own = named && !named.key.endsWith(':*') && f.code !== undefined && named.code?.includes(f.code) ? named : undefined;
    if (named && !own) res.changed.push({ entry: named, finding: f });
    const cls = byKey.get(`${f.check}:*`);
    const entry = covers(own, f) ? own : covers(cls, f) && CLASS_SEVERITIES.includes(f.severity) ? cls : undefined;
    if (entry) {
      used.add(entry.key);
      res.triaged.push({ finding: f, entry });
      if (entry.key.endsWith(':*')) {
        const c = res.classes.find((x) => x.entry === entry) ?? res.classes[res.classes.push({ entry, findings: [] }) - 1];
        c.findings.push(f);
      }
    } else if (failOn.includes(f.severity)) {
      res.untriagedGated.push(f);
    } else {
      res.untriagedOther.push(f);
    }
  }
  res.stale = triage.entries.filter((e) => !used.has(e.key) && !res.changed.some((c) => c.entry === e));
  return res;
}

export function countsLine(counts: Record<Severity, number>): string {
  return SEVERITIES.map((s) => `${s} ${counts[s]}`).join(', ');
}

export function gateDetails(g: GateResult, triagePath: string): string[] {
  const lines: string[] = [`Counts: ${countsLine(g.counts)}. Triaged: ${g.triaged.length}.`];
  if (g.untriagedGated.length) {
    lines.push('', `**Untriaged (fail CI)**: fix them or add an entry with a reason to \`${triagePath}\` (\`make audit-triage\` prints the entries to fill in):`);
    for (const f of g.untriagedGated) lines.push(`- \`${f.key}\` (${f.severity}) ${f.title}${f.location ? ` — ${f.location}` : ''}`);
  }
  if (g.untriagedOther.length) {
    lines.push('', 'Untriaged low/informational/optimization (reported, not failing):');
    for (const f of g.untriagedOther) lines.push(`- \`${f.key}\` (${f.severity}) ${f.title}`);
  }
  if (g.changed.length) {
    lines.push('', `Triage entries whose code changed (the finding is untriaged until someone re-reads it; \`make audit-triage\` shows the code):`);
    for (const c of g.changed) lines.push(`- \`${c.entry.key}\`: triaged code ${(c.entry.code ?? []).join('/')}, now ${c.finding.code ?? '?'}${c.finding.location ? ` at ${c.finding.location}` : ''}`);
  }
  if (g.stale.length) {
    const bounded = triagePath.includes('mythril');
    lines.push('', `Triage entries that matched nothing ${bounded ? "this run (Mythril's search is bounded by time: kept)" : `(remove them from \`${triagePath}\`)`}: ${g.stale.map((e) => `\`${e.key}\``).join(', ')}`);
  }
  return lines;
}

/// Triage entries to fill in for every untriaged finding, in the triage file's format. The reason is left empty on
/// purpose: the file refuses an entry without one, so pasting this unread fails the gate.
export function skeleton(g: GateResult, by = 'TODO', date = new Date().toISOString().slice(0, 10)): (TriageEntry & { $where?: string; $title?: string; $snippet?: string })[] {
  return [...g.untriagedGated, ...g.untriagedOther].map((f) => ({
    key: f.key,
    severity: f.severity,
    status: 'false-positive' as TriageStatus,
    reason: '',
    by,
    date,
    code: f.code ? [f.code] : [],
    $where: f.location,
    $title: f.title,
    $snippet: f.snippet,
  }));
}

/// The one line a person reads: counts, and what fails.
export function gateHeadline(g: GateResult, triage: TriageFile, total: number, triagePath: string, what = 'finding(s)'): string {
  const c = g.counts;
  const counts = `H ${c.High}, M ${c.Medium}, L ${c.Low}, I ${c.Informational}, O ${c.Optimization}`;
  const failOn = (triage.failOn ?? GATED).join('/');
  if (g.untriagedGated.length === 0) {
    return `${total} ${what} (${counts}), all triaged at ${failOn}${g.stale.length ? `; ${g.stale.length} stale triage entr${g.stale.length === 1 ? 'y' : 'ies'}` : ''}${g.changed.length ? `; ${g.changed.length} entr${g.changed.length === 1 ? 'y' : 'ies'} whose code changed` : ''}`;
  }
  return `${g.untriagedGated.length} untriaged ${what} at ${failOn} (${counts}): ${g.untriagedGated.map((f) => f.key).join(', ')} (triage them in ${triagePath}; 'make audit-triage' prints the entries)`;
}
