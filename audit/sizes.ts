// Bytecode sizes of every concrete contract in src/, from the audit build's artifacts (the same bytes forge's
// `--sizes` counts), against EIP-170/3860 limits and the committed snapshots/sizes.json. Any difference from the
// snapshot fails so that a size change is always a reviewed diff; `make sizes-snapshot` records the new numbers.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, auditBuild, deployableSrcContracts, readJson, runIfMain, writeJson, writeReport, type ToolResult } from './lib.js';

export const SIZES_FILE = 'snapshots/sizes.json';
export const RUNTIME_LIMIT = 24_576; // EIP-170
export const INITCODE_LIMIT = 49_152; // EIP-3860

export type Sizes = Record<string, { source: string; runtime: number; initcode: number }>;

const byteLen = (hex: string | undefined) => (hex ? (hex.startsWith('0x') ? hex.length - 2 : hex.length) / 2 : 0);

export async function measureSizes(): Promise<Sizes> {
  await auditBuild('sizes');
  const sizes: Sizes = {};
  for (const c of (await deployableSrcContracts()).sort((a, b) => a.name.localeCompare(b.name))) {
    if (!c.artifact) continue;
    const art = readJson(c.artifact);
    sizes[c.name] = { source: c.source, runtime: byteLen(art.deployedBytecode?.object), initcode: byteLen(art.bytecode?.object) };
  }
  return sizes;
}

export function checkSizes(now: Sizes, snap: Sizes | undefined): { problems: string[]; changes: string[] } {
  const problems: string[] = [];
  const changes: string[] = [];
  for (const [name, s] of Object.entries(now)) {
    if (s.runtime > RUNTIME_LIMIT) problems.push(`${name}: runtime ${s.runtime} B > ${RUNTIME_LIMIT} B (EIP-170)`);
    if (s.initcode > INITCODE_LIMIT) problems.push(`${name}: initcode ${s.initcode} B > ${INITCODE_LIMIT} B (EIP-3860)`);
    const old = snap?.[name];
    if (!old) changes.push(`${name}: new (${s.runtime} B runtime)`);
    else if (old.runtime !== s.runtime || old.initcode !== s.initcode) {
      const d = s.runtime - old.runtime;
      changes.push(`${name}: runtime ${old.runtime} -> ${s.runtime} B (${d >= 0 ? '+' : ''}${d}), initcode ${old.initcode} -> ${s.initcode} B`);
    }
  }
  for (const name of Object.keys(snap ?? {})) if (!now[name]) changes.push(`${name}: gone from src/`);
  return { problems, changes };
}

export async function runSizes(write = false): Promise<ToolResult> {
  const now = await measureSizes();
  const file = join(ROOT, SIZES_FILE);
  const snap = existsSync(file) ? readJson<Sizes>(file) : undefined;
  const { problems, changes } = checkSizes(now, snap);
  const table = [
    '| Contract | Runtime (B) | Margin to 24,576 | Initcode (B) |',
    '| --- | ---: | ---: | ---: |',
    ...Object.entries(now).map(([n, s]) => `| ${n} | ${s.runtime} | ${RUNTIME_LIMIT - s.runtime} | ${s.initcode} |`),
  ];
  writeReport('sizes.json', now);
  if (write && problems.length === 0) writeJson(file, now);
  const count = Object.keys(now).length;
  const fail = problems.length > 0 || (!write && (changes.length > 0 || !snap));
  return {
    tool: 'sizes',
    status: fail ? 'fail' : 'pass',
    headline: problems.length
      ? problems.join('; ')
      : !write && !snap
        ? `no ${SIZES_FILE}: run 'make sizes-snapshot' and commit it`
        : !write && changes.length
          ? `${changes.length} size change(s) not in ${SIZES_FILE} (run 'make sizes-snapshot' and commit): ${changes[0]}`
          : `${count} contract(s) under the limits${write ? `; ${SIZES_FILE} written` : ', matching the snapshot'}`,
    details: count ? [...table, ...changes.map((c) => `- ${c}`)] : ['No concrete contract in src/ yet.'],
    files: ['sizes.json'],
    data: { sizes: now },
  };
}

runIfMain(import.meta.url, () => runSizes(process.argv.includes('--write')));
