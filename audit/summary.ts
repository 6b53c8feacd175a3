// SUMMARY.md of an audit run, written for an auditor: the findings first (every Slither and Mythril finding with
// its triage status and reason, the whole-check entries expanded to the findings they cover, what is new since the
// committed baseline), then one line per tool (a tool error is one line with its log's path), Mythril's scope, the
// Halmos proofs with the property each states, one row per invariant ID with each engine's campaign counts, and the
// gas table last. It reads what the steps left in the report folder (results/<step>.json, <tool>-findings.json,
// invariants/summary.txt) and runs no tool, so it can be rewritten at any time: `make audit-summary`.
//   tsx audit/summary.ts                    write <report dir>/SUMMARY.md (AUDIT_REPORT_DIR, else reports/<date>/)
//   tsx audit/summary.ts --write-baseline   record this run's findings as audit/baseline/findings.json
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { gasTable } from './gas.js';
import { parseEngineLines, type EngineLine } from './invariants.js';
import { ROOT, readJson, rel, reportDir, today, writeJson, writeReport, type ToolResult } from './lib.js';
import { type Finding, type GateResult, type TriageFile, SEVERITIES, gate, loadTriage } from './triage.js';

export const BASELINE_PATH = 'audit/baseline/findings.json';
const STEP_ORDER = ['venv', 'configs', 'scope', 'slither', 'layout', 'sizes', 'gas', 'coverage', 'halmos', 'mythril', 'invariants'];
const TRIAGE = { slither: 'audit/slither-triage.json', mythril: 'audit/mythril-triage.json' } as const;
type Tool = keyof typeof TRIAGE;

export interface Baseline {
  commit: string;
  date: string;
  note?: string;
  findings: { tool: string; key: string; code?: string; severity: string }[];
}

export interface Row {
  tool: Tool;
  finding: Finding;
  status: string;
  reason: string;
  date: string;
  entry?: string;
  isNew: boolean;
}

const cell = (s: unknown) => String(s ?? '').replace(/\|/g, '\\|').replace(/\s+/g, ' ').trim();
const short = (s: string, n = 220) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);
export const findingId = (tool: string, f: { key: string; code?: string }) => `${tool}:${f.key}@${f.code ?? '?'}`;

/// Every finding as one row: the entry that covers it (own entry, or the whole-check entry it falls under), or
/// "untriaged"; `isNew` when the baseline does not list the same key and code.
export function findingRows(tool: Tool, g: GateResult, baseline?: Baseline): Row[] {
  const known = new Set((baseline?.findings ?? []).map((f) => findingId(f.tool, f)));
  const isNew = (f: Finding) => baseline !== undefined && !known.has(findingId(tool, f));
  const rows: Row[] = [
    ...[...g.untriagedGated, ...g.untriagedOther].map((f) => ({ tool, finding: f, status: '**untriaged**', reason: '', date: '', isNew: isNew(f) })),
    ...g.triaged.map(({ finding, entry }) => ({
      tool,
      finding,
      status: entry.key.endsWith(':*') ? `${entry.status} (via \`${entry.key}\`)` : entry.status,
      reason: entry.reason,
      date: entry.date,
      entry: entry.key,
      isNew: isNew(finding),
    })),
  ];
  const sev = (r: Row) => SEVERITIES.indexOf(r.finding.severity);
  return rows.sort((a, b) => Number(b.status.startsWith('**')) - Number(a.status.startsWith('**')) || sev(a) - sev(b) || a.finding.key.localeCompare(b.finding.key));
}

function git(args: string[]): string | undefined {
  try {
    // trimEnd only: a porcelain line starts with a space (" M file").
    return execFileSync('git', args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trimEnd();
  } catch {
    return undefined;
  }
}

/// "abc1234, tree clean" or "abc1234, tree dirty (3 files changed: a, b, c)".
export function commitLine(head: string | undefined, porcelain: string | undefined): string {
  const files = (porcelain ?? '').split('\n').filter(Boolean).map((l) => l.slice(3));
  const dirty = files.length ? `**tree dirty** (${files.length} file(s) changed or untracked: ${short(files.join(', '), 200)})` : 'tree clean';
  return `${head ?? 'unknown commit'}, ${dirty}`;
}

function readResults(dir: string): ToolResult[] {
  const resDir = join(dir, 'results');
  if (!existsSync(resDir)) return [];
  const byName = new Map<string, ToolResult>();
  for (const f of readdirSync(resDir)) if (f.endsWith('.json')) byName.set(f.replace(/\.json$/, ''), readJson<ToolResult>(join(resDir, f)));
  return [...byName.entries()].sort(([a], [b]) => STEP_ORDER.indexOf(a) - STEP_ORDER.indexOf(b)).map(([name, r]) => ({ ...r, tool: r.tool ?? name }));
}

/// The one-line verdicts audit/steps.sh wrote (they include steps that wrote no result: killed, not run, venv).
function readVerdicts(dir: string): Map<string, string> {
  const file = join(dir, 'verdicts.txt');
  const map = new Map<string, string>();
  if (!existsSync(file)) return map;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const m = /^audit ([\w-]+): (.*)$/.exec(line);
    if (m) map.set(m[1], m[2]);
  }
  return map;
}

/// Invariant IDs and statements from invariants/README.md's "Properties" table (| ID | Statement | Checked |).
export function invariantIds(readme: string): { id: string; statement: string; checked: string }[] {
  const out: { id: string; statement: string; checked: string }[] = [];
  for (const m of readme.matchAll(/^\| ([A-Z]\d_[A-Z0-9_]+) \| (.*?) \| (.*?) \|$/gm)) out.push({ id: m[1], statement: m[2], checked: m[3] });
  return out;
}

function engineCell(l: EngineLine | undefined): string {
  if (!l) return 'not run in this report';
  if (l.status === 'SKIP') return 'SKIP (why: above)';
  if (l.status !== 'PASS') return `**${l.status}**`;
  return [l.runs !== undefined ? `${l.runs.toLocaleString('en')} runs` : '', l.calls !== undefined ? `${l.calls.toLocaleString('en')} calls` : ''].filter(Boolean).join(', ') || 'PASS';
}

export function buildSummary(dir: string): string {
  const results = readResults(dir);
  const verdicts = readVerdicts(dir);
  const baseline = existsSync(join(ROOT, BASELINE_PATH)) ? readJson<Baseline>(join(ROOT, BASELINE_PATH)) : undefined;
  const head = git(['rev-parse', '--short', 'HEAD']);
  const porcelain = git(['status', '--porcelain', '--untracked-files=normal', '--', '.', ':!reports']);
  const failed = results.filter((r) => r.status === 'fail').map((r) => r.tool);
  for (const [name, v] of verdicts) if (v.startsWith('FAIL') && !failed.includes(name)) failed.push(name);
  const skipped = results.filter((r) => r.status === 'skip');
  const out: string[] = [
    `# Audit summary, ${today()}`,
    '',
    `Commit ${commitLine(head, porcelain)}. Report folder \`${rel(dir)}/\`. ${process.env.CI === 'true' ? 'Run under CI=true: a tool that did not run fails unless audit/gates.json allows it.' : 'Local run.'}`,
    '',
    failed.length ? `**Overall: FAIL** (${failed.join(', ')})` : '**Overall: PASS**',
    ...(skipped.length ? ['', `Skipped: ${skipped.map((r) => `${r.tool} (${cell(r.headline)})`).join('; ')}.`] : []),
  ];

  // --- findings first ---
  out.push('', '## Findings', '');
  const rows: Row[] = [];
  const gates: Partial<Record<Tool, { g: GateResult; triage: TriageFile }>> = {};
  for (const tool of Object.keys(TRIAGE) as Tool[]) {
    const file = join(dir, `${tool}-findings.json`);
    if (!existsSync(file)) {
      out.push(`- ${tool}: no findings file in this report (the step did not run or did not finish).`);
      continue;
    }
    const triage = loadTriage(join(ROOT, TRIAGE[tool]), tool);
    const g = gate(readJson<Finding[]>(file), triage);
    gates[tool] = { g, triage };
    rows.push(...findingRows(tool, g, baseline));
  }
  const untriaged = rows.filter((r) => r.status.startsWith('**'));
  const fresh = rows.filter((r) => r.isNew);
  if (out[out.length - 1] !== '') out.push('');
  out.push(
    `${rows.length} finding(s): ${SEVERITIES.map((s) => `${s} ${rows.filter((r) => r.finding.severity === s).length}`).join(', ')}; ` +
      `${untriaged.length} untriaged; ${fresh.length} new since the baseline${baseline ? ` (\`${BASELINE_PATH}\`, commit ${baseline.commit}, ${baseline.date})` : ' (none committed)'}.`,
  );
  if (fresh.length) {
    out.push('', '### New since the baseline', '', '| Tool | Key | Severity | Location | Status |', '| --- | --- | --- | --- | --- |');
    for (const r of fresh) out.push(`| ${r.tool} | \`${r.finding.key}\` | ${r.finding.severity} | ${cell(r.finding.location)} | ${r.status} |`);
    if (fresh.some((r) => r.tool === 'mythril')) out.push('', "Mythril's search is bounded by time, so a Mythril issue can appear in one run and not the next.");
  }
  const moved = (Object.entries(gates) as [Tool, { g: GateResult }][]).flatMap(([tool, { g }]) => [
    ...g.changed.map((c) => `- ${tool} \`${c.entry.key}\`: the triaged code (${(c.entry.code ?? []).join(', ')}) no longer matches; the finding now points at ${c.finding.code} (${cell(c.finding.location)}). Re-read it: \`make audit-triage\`.`),
    ...g.stale.map((e) => `- ${tool} \`${e.key}\`: matched no finding in this run${tool === 'mythril' ? ' (Mythril is bounded: kept)' : ' (delete it: `make audit-triage WRITE=1`)'}.`),
  ]);
  if (moved.length) out.push('', '### Triage entries that no longer match', '', ...moved);
  out.push('', '### Every finding', '', '| Key | Severity | Location | Status | Reason | Date |', '| --- | --- | --- | --- | --- | --- |');
  for (const r of rows) {
    out.push(`| \`${r.finding.key}\`${r.isNew ? ' (new)' : ''} | ${r.finding.severity} | ${cell(r.finding.location)} | ${r.status} | ${cell(short(r.reason))} | ${r.date} |`);
  }

  // --- tools ---
  out.push('', '## Tools', '', '| Tool | Result | Time | What it says |', '| --- | --- | ---: | --- |');
  const names = [...new Set([...STEP_ORDER.filter((n) => verdicts.has(n) || results.some((r) => r.tool === n)), ...results.map((r) => r.tool)])];
  for (const name of names) {
    const r = results.find((x) => x.tool === name);
    const v = verdicts.get(name);
    const result = r ? (r.status === 'fail' ? '**FAIL**' : r.status.toUpperCase()) : v?.split(/[ :(]/)[0] ?? '?';
    const what = r ? r.headline : v?.replace(/^\w+( \([^)]*\))?: /, '') ?? '';
    const log = result.includes('FAIL') ? ` (log \`${rel(join(dir, 'steps', `${name}.log`))}\`)` : '';
    out.push(`| ${name} | ${result} | ${r?.seconds !== undefined ? `${r.seconds.toFixed(0)} s` : (/\((\d+) s/.exec(v ?? '')?.[1] ?? '-') + (r ? '' : ' s')} | ${cell(short(what, 400))}${log} |`);
  }

  const section = (title: string, tool: string, intro?: string) => {
    const r = results.find((x) => x.tool === tool);
    out.push('', `## ${title}`, '');
    if (intro) out.push(intro, '');
    if (!r) {
      out.push('Not run in this report.');
      return;
    }
    out.push(`${r.status.toUpperCase()}: ${r.headline}`);
    if (r.details?.length) out.push('', ...r.details);
  };
  section('Mythril: scope and reach', 'mythril');
  section('Halmos proofs', 'halmos', 'Each proof holds for every input within the stated widths (symbolic, not sampled); `timeout` means not proved.');

  // --- invariants: one row per ID with each engine's counts ---
  out.push('', '## Invariant campaigns', '');
  const invFile = join(dir, 'invariants', 'summary.txt');
  const engines = existsSync(invFile) ? parseEngineLines(readFileSync(invFile, 'utf8')) : ((results.find((r) => r.tool === 'invariants')?.data?.engines as EngineLine[] | undefined) ?? []);
  if (!engines.length) out.push('No campaign in this report (CI runs them after `make audit`, .ci/invariant-steps.sh; locally `make audit` runs them unless AUDIT_SKIP lists invariants).');
  for (const l of engines) out.push(`- ${l.engine}: ${l.status} ${l.detail}`);
  const readme = join(ROOT, 'invariants/README.md');
  const ids = existsSync(readme) ? invariantIds(readFileSync(readme, 'utf8')) : [];
  if (ids.length) {
    const by = (e: string) => engines.find((l) => l.engine === e);
    out.push(
      '',
      "Every property is checked after every call of a campaign (`invariant_properties` under forge, the `echidna_*`/assertion tests under medusa and Echidna), and the handler postconditions on every call of their action, so each ID's counts are its engine's whole campaign.",
      '',
      '| ID | Statement | Checked by | forge | medusa | Echidna |',
      '| --- | --- | --- | --- | --- | --- |',
      ...ids.map((i) => `| ${i.id} | ${cell(short(i.statement, 140))} | ${cell(short(i.checked, 90))} | ${engineCell(by('forge'))} | ${engineCell(by('medusa'))} | ${engineCell(by('echidna'))} |`),
    );
  }

  section('Coverage (src/ only)', 'coverage');
  section('Storage layout', 'layout');
  section('Bytecode sizes', 'sizes');
  section('Slither', 'slither');
  section('Config mirrors', 'configs');
  section('AUDIT.md scope and known issues', 'scope');

  const files = results.flatMap((r) => (r.files ?? []).map((f) => `- ${r.tool}: \`${f}\``));
  if (files.length) out.push('', '## Raw outputs (in the report folder)', '', ...files, `- every step's log: \`steps/<step>.log\``);

  // --- gas last ---
  const gas = gasTable();
  const g = results.find((r) => r.tool === 'gas');
  out.push('', '## Gas (whole transactions, committed snapshots)', '', g ? `${g.status.toUpperCase()}: ${g.headline}` : 'Snapshots as committed (the gas step did not run in this report; `make test` checks them in CI).', '', ...(gas.length ? gas : ['No gas snapshot committed.']));
  return out.join('\n') + '\n';
}

function writeBaseline(dir: string): void {
  const findings: Baseline['findings'] = [];
  for (const tool of Object.keys(TRIAGE) as Tool[]) {
    const file = join(dir, `${tool}-findings.json`);
    if (!existsSync(file)) throw new Error(`summary: no ${rel(file)}: run the ${tool} step first`);
    for (const f of readJson<Finding[]>(file)) findings.push({ tool, key: f.key, code: f.code, severity: f.severity });
  }
  const commit = git(['rev-parse', '--short', 'HEAD']) ?? 'unknown';
  writeJson(join(ROOT, BASELINE_PATH), {
    commit,
    date: today(),
    note: 'Findings of the last audited commit (keys and code hashes). SUMMARY.md marks every finding not listed here as new. Rewrite with `tsx audit/summary.ts --write-baseline` after an audit, in the commit that records it.',
    findings: findings.sort((a, b) => findingId(a.tool, a).localeCompare(findingId(b.tool, b))),
  });
  process.stderr.write(`summary: wrote ${BASELINE_PATH} (${findings.length} findings, commit ${commit})\n`);
}

if (process.argv[1]?.endsWith('summary.ts')) {
  if (process.argv.includes('--help') || process.argv.includes('-h')) {
    process.stdout.write('usage: tsx audit/summary.ts [--write-baseline]\nWrites <report dir>/SUMMARY.md from the last audit run (AUDIT_REPORT_DIR, else reports/<date>/); runs no tool.\n');
  } else {
    try {
      const dir = reportDir();
      if (process.argv.includes('--write-baseline')) writeBaseline(dir);
      writeReport('SUMMARY.md', buildSummary(dir));
      process.stderr.write(`summary: wrote ${rel(join(dir, 'SUMMARY.md'))}\n`);
    } catch (e: any) {
      process.stderr.write(`summary: ${e?.message ?? e}\n`);
      process.exit(1);
    }
  }
}
