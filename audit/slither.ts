// Slither on src/ (slither.config.json filters test/, script/, invariants/, node_modules/), then the triage gate:
// any finding (every severity: the file's failOn) that no entry covers fails. An entry covers a finding when its key
// (check:Contract.function) and the hash of the flagged code both match (triage.ts).
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { AuditError, ROOT, TOOLS, lastLines, readJson, reportDir, runIfMain, sh, toolEnv, withProgress, writeReport, type ToolResult } from './lib.js';
import { type Finding, type Severity, SEVERITIES, codeHash, gate, gateDetails, gateHeadline, loadTriage, skeleton } from './triage.js';

export type SourceReader = (file: string) => string | undefined;

const readRepoFile: SourceReader = (file) => {
  const path = join(ROOT, file);
  return existsSync(path) ? readFileSync(path, 'utf8') : undefined;
};

/// The code a finding is about: the flagged statements (the `node` elements) when there are any, else the first
/// element: a variable, struct, event or error whole, a function or contract by its first line (its signature), so
/// that an edit elsewhere in a long function does not void a triage about its declaration.
export function findingSnippet(elements: any[], read: SourceReader = readRepoFile): string | undefined {
  const cut = (e: any) => {
    const sm = e?.source_mapping;
    const text = sm?.filename_relative ? read(sm.filename_relative) : undefined;
    if (text === undefined || typeof sm.start !== 'number') return undefined;
    return Buffer.from(text, 'utf8').subarray(sm.start, sm.start + sm.length).toString('utf8');
  };
  const nodes = (elements ?? []).filter((e) => e?.type === 'node');
  if (nodes.length) {
    const parts = nodes.map(cut);
    return parts.every((p) => p !== undefined) ? parts.join('\n') : undefined;
  }
  const first = elements?.[0];
  const whole = cut(first);
  if (whole === undefined) return undefined;
  return first.type === 'function' || first.type === 'contract' ? whole.split('\n')[0] : whole;
}

export const TRIAGE_PATH = 'audit/slither-triage.json';

/// Slither's own out folder: crytic-compile runs `forge clean` and `forge build --force` on it.
const SLITHER_ENV = { FOUNDRY_OUT: 'out-slither', FOUNDRY_CACHE_PATH: 'cache-slither' };

/// The stable key of a finding: check + the contract and function (or variable) it is about. Line numbers are left
/// out on purpose so that unrelated edits do not invalidate a triage.
export function findingKey(check: string, elements: any[]): string {
  const first = elements?.[0];
  if (!first) return `${check}:global`;
  const parentOf = (e: any) => e?.type_specific_fields?.parent;
  switch (first.type) {
    case 'function':
    case 'variable':
    case 'enum':
    case 'struct':
    case 'event':
    case 'custom_error': {
      const owner = parentOf(first);
      // A local variable's parent is its function: name the contract too (check:Contract.function.variable).
      const outer = owner?.type === 'function' ? parentOf(owner) : undefined;
      const prefix = [outer?.name, owner?.name].filter(Boolean).join('.');
      return `${check}:${prefix ? `${prefix}.` : ''}${first.name}`;
    }
    case 'node': {
      const fn = parentOf(first);
      const contract = parentOf(fn);
      return `${check}:${contract?.name ? `${contract.name}.` : ''}${fn?.name ?? 'node'}`;
    }
    case 'contract':
      return `${check}:${first.name}`;
    default:
      return `${check}:${(first.source_mapping?.filename_relative ?? first.name ?? 'global').replace(/[^\w$.#/-]/g, '_')}`;
  }
}

export function parseSlither(json: any, read: SourceReader = readRepoFile): Finding[] {
  if (!json?.success) throw new AuditError(`slither: analysis failed: ${json?.error ?? 'no JSON output'}`);
  const detectors: any[] = json.results?.detectors ?? [];
  const byKey = new Map<string, Finding>();
  for (const d of detectors) {
    const severity = (SEVERITIES.includes(d.impact) ? d.impact : 'Informational') as Severity;
    const key = findingKey(d.check, d.elements);
    const sm = d.elements?.[0]?.source_mapping;
    const snippet = findingSnippet(d.elements, read);
    const f: Finding = {
      key,
      check: d.check,
      severity,
      confidence: d.confidence,
      title: String(d.description ?? '').split('\n')[0].trim(),
      location: sm ? `${sm.filename_relative}#${sm.lines?.[0] ?? '?'}` : undefined,
      code: snippet === undefined ? undefined : codeHash(snippet),
      snippet: snippet?.replace(/\s+/g, ' ').trim().slice(0, 200),
    };
    // Results with the same key and the same code are one finding (keep the most severe); other code under the
    // same key is another finding.
    const id = `${key}@${f.code ?? '?'}`;
    const prev = byKey.get(id);
    if (!prev || SEVERITIES.indexOf(severity) < SEVERITIES.indexOf(prev.severity)) byKey.set(id, f);
  }
  return [...byKey.values()];
}

export async function runSlither(): Promise<ToolResult> {
  const slither = join(TOOLS, 'slither');
  if (!existsSync(slither)) throw new AuditError("slither: not installed: run 'make venv'");
  // slither refuses to overwrite an existing --json file.
  const out = join(reportDir(), 'slither.json');
  rmSync(out, { force: true });
  const res = await withProgress('slither', 'slither . (forge build of src/ through crytic-compile, then 100 detectors)', () =>
    sh([slither, '.', '--config-file', 'slither.config.json', '--json', out], { env: toolEnv(SLITHER_ENV) }),
  );
  writeReport('slither.txt', res.stderr + res.stdout);
  let json: any;
  try {
    json = readJson(out);
  } catch {
    throw new AuditError(`slither: no JSON report (exit ${res.exitCode}): ${lastLines(res.stderr)}`);
  }
  const findings = parseSlither(json);
  const triage = loadTriage(join(ROOT, TRIAGE_PATH), 'slither');
  const g = gate(findings, triage);
  const ok = g.untriagedGated.length === 0;
  // What `make audit-triage` reads: every finding of this run, and the entries still to write.
  writeReport('slither-findings.json', findings);
  writeReport('slither-untriaged.json', skeleton(g));
  return {
    tool: 'slither',
    status: ok ? 'pass' : 'fail',
    headline: gateHeadline(g, triage, findings.length, TRIAGE_PATH),
    details: gateDetails(g, TRIAGE_PATH),
    files: ['slither.json', 'slither.txt', 'slither-findings.json', 'slither-untriaged.json'],
    data: { counts: g.counts, untriaged: g.untriagedGated.length },
  };
}

runIfMain(import.meta.url, runSlither);
