// The generated parts of AUDIT.md, from the tree, so they stay true after every merge:
//  - the in-scope table: every .sol file under src/ with its nSLOC, what it declares (deployable contracts marked)
//    and its purpose (the first sentence of its first @title/@notice NatSpec);
//  - the triaged tool findings of the known-issues list (audit/slither-triage.json, audit/mythril-triage.json).
// nSLOC here: the lines that still hold code once comments and blank lines are removed (cloc's "code" lines).
//   tsx audit/scope.ts            fail (exit 1) when AUDIT.md's generated blocks differ from the tree
//   tsx audit/scope.ts --write    rewrite them (`make audit-scope`)
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ROOT, readJson, runIfMain, type ToolResult } from './lib.js';
import type { TriageEntry } from './triage.js';

export const AUDIT_MD = 'AUDIT.md';

/// Lines of Solidity that hold code once comments (line, block, NatSpec) and blank lines are removed. Comment
/// markers inside string literals are respected.
export function nsloc(source: string): number {
  let out = '';
  let i = 0;
  let inStr: string | undefined;
  while (i < source.length) {
    const c = source[i];
    const two = source.slice(i, i + 2);
    if (inStr) {
      out += c;
      if (c === '\\') {
        out += source[i + 1] ?? '';
        i += 2;
        continue;
      }
      if (c === inStr) inStr = undefined;
      i += 1;
    } else if (two === '//') {
      while (i < source.length && source[i] !== '\n') i += 1;
    } else if (two === '/*') {
      const end = source.indexOf('*/', i + 2);
      const block = source.slice(i, end < 0 ? source.length : end + 2);
      out += '\n'.repeat((block.match(/\n/g) ?? []).length);
      i += block.length;
    } else {
      if (c === '"' || c === "'") inStr = c;
      out += c;
      i += 1;
    }
  }
  return out.split('\n').filter((l) => l.trim() !== '').length;
}

export interface ScopeRow {
  file: string;
  nsloc: number;
  declares: string[];
  deployable: string[];
  purpose: string;
}

/// What a file declares: `contract X` (deployable unless abstract), `abstract contract`, `library`, `interface`.
export function declarations(source: string): { declares: string[]; deployable: string[] } {
  const declares: string[] = [];
  const deployable: string[] = [];
  const clean = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '');
  for (const m of clean.matchAll(/^\s*(abstract\s+contract|contract|library|interface)\s+(\w+)/gm)) {
    const kind = m[1].replace(/\s+/g, ' ');
    declares.push(`${kind} ${m[2]}`);
    if (kind === 'contract') deployable.push(m[2]);
  }
  return { declares, deployable };
}

/// The first sentence of the @notice (else @title) of the file's main declaration: the one named like the file,
/// else the first one.
export function purposeOf(source: string, name?: string): string {
  const decls = [...source.matchAll(/^(?:abstract\s+)?(?:contract|library|interface)\s+(\w+)/gm)];
  const main = decls.find((d) => d[1] === name) ?? decls[0];
  if (!main) return '';
  // The NatSpec block right above the declaration.
  const before = source.slice(0, main.index).split('\n');
  const doc: string[] = [];
  for (let i = before.length - 2; i >= 0 && /^\s*\/\/\//.test(before[i]); i--) doc.unshift(before[i].replace(/^\s*\/\/\/\s?/, ''));
  const text = doc.join('\n');
  const m = /@notice\s+([\s\S]*?)(?=\n@|$)/.exec(text) ?? /@title\s+(.*)/.exec(text);
  if (!m) return '';
  const flat = m[1].replace(/\s+/g, ' ').trim();
  const sentence = /^(.*?[.!?])(\s|$)/.exec(flat)?.[1] ?? flat;
  return sentence.length > 160 ? `${sentence.slice(0, 159)}…` : sentence;
}

function solFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? solFiles(p) : name.endsWith('.sol') ? [p] : [];
  });
}

export function scopeRows(root = ROOT, src = 'src'): ScopeRow[] {
  return solFiles(join(root, src))
    .sort()
    .map((p) => {
      const text = readFileSync(p, 'utf8');
      return { file: relative(root, p), nsloc: nsloc(text), ...declarations(text), purpose: purposeOf(text, p.split('/').pop()!.replace(/\.sol$/, '')) };
    });
}

export function scopeTable(rows: ScopeRow[]): string[] {
  const total = rows.reduce((s, r) => s + r.nsloc, 0);
  const cell = (s: string) => s.replace(/\|/g, '\\|');
  return [
    '| File | nSLOC | Declares | Purpose |',
    '| --- | ---: | --- | --- |',
    ...rows.map((r) => `| \`${r.file}\` | ${r.nsloc} | ${r.declares.map((d) => (r.deployable.some((x) => d === `contract ${x}`) ? `**${d}** (deployed)` : d)).join(', ')} | ${cell(r.purpose)} |`),
    `| **Total** (${rows.length} files, ${rows.filter((r) => r.deployable.length).length} with a deployable contract) | **${total}** | | |`,
  ];
}

/// Known issues from the triage files: one bullet per entry, grouped by tool, severity first.
export function knownIssues(slither: { entries: TriageEntry[] }, mythril: { entries: TriageEntry[] }): string[] {
  const order = ['High', 'Medium', 'Low', 'Informational', 'Optimization'];
  const lines: string[] = [];
  for (const [tool, file, path] of [['Slither', slither, 'audit/slither-triage.json'], ['Mythril', mythril, 'audit/mythril-triage.json']] as const) {
    const entries = [...file.entries].sort((a, b) => order.indexOf(a.severity) - order.indexOf(b.severity) || a.key.localeCompare(b.key));
    lines.push(`**${tool}** (\`${path}\`, ${entries.length} entries; none is a bug, so none changed \`src/\`):`, '');
    for (const e of entries) lines.push(`- \`${e.key}\` (${e.severity}, ${e.status}): ${e.reason.replace(/\s+/g, ' ').trim()}`);
    lines.push('');
  }
  return lines;
}

const BLOCKS = {
  scope: () => scopeTable(scopeRows()),
  'known-issues': () => knownIssues(readJson(join(ROOT, 'audit/slither-triage.json')), readJson(join(ROOT, 'audit/mythril-triage.json'))),
} as const;

/// AUDIT.md with each `<!-- generated:NAME -->` ... `<!-- /generated:NAME -->` block replaced by its content.
export function render(doc: string, blocks: Record<string, string[]>): string {
  let out = doc;
  for (const [name, lines] of Object.entries(blocks)) {
    const re = new RegExp(`(<!-- generated:${name} [^>]*-->\\n)[\\s\\S]*?(<!-- /generated:${name} -->)`);
    if (!re.test(out)) throw new Error(`${AUDIT_MD}: no <!-- generated:${name} ... --> block`);
    out = out.replace(re, (_, open, close) => `${open}${lines.join('\n').trimEnd()}\n${close}`);
  }
  return out;
}

export async function runScope(write: boolean): Promise<ToolResult> {
  const path = join(ROOT, AUDIT_MD);
  if (!existsSync(path)) return { tool: 'scope', status: 'fail', headline: `${AUDIT_MD} is missing` };
  const doc = readFileSync(path, 'utf8');
  const next = render(doc, Object.fromEntries(Object.entries(BLOCKS).map(([k, f]) => [k, f()])));
  if (write) {
    if (next !== doc) writeFileSync(path, next);
    return { tool: 'scope', status: 'pass', headline: next === doc ? `${AUDIT_MD} already up to date` : `rewrote ${AUDIT_MD}'s generated blocks` };
  }
  return next === doc
    ? { tool: 'scope', status: 'pass', headline: `${AUDIT_MD}'s scope table and known issues match the tree` }
    : { tool: 'scope', status: 'fail', headline: `${AUDIT_MD} is stale (src/ or the triage files changed): run 'make audit-scope' and commit AUDIT.md` };
}

runIfMain(import.meta.url, () => runScope(process.argv.includes('--write')));
