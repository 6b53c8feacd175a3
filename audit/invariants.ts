// Invariant campaigns for `make audit`: the invariants/ harness under forge, medusa and Echidna, each through
// invariants/engines.sh (the same script CI's .ci/invariant-steps.sh runs), so the verdict rules are the same:
// an engine that cannot run is SKIP locally and FAIL under CI unless audit/gates.json allows it; a killed run, a
// campaign cut short, medusa with 0 properties or 0 calls fail (audit/gates.ts).
// Knobs: INVARIANT_RUNS (forge, default the invariants profile's 1,000), MEDUSA_TIMEOUT (default 180 s here),
// ECHIDNA_TIMEOUT (180 s); logs and summary lines in <report dir>/invariants/.
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { reportDir, runIfMain, sh, toolEnv, withProgress, type ToolResult } from './lib.js';

export const ENGINES = ['forge', 'medusa', 'echidna'] as const;

export interface EngineLine {
  engine: string;
  status: 'PASS' | 'FAIL' | 'SKIP';
  detail: string;
  calls?: number;
  runs?: number;
}

/// `[invariants] <engine>: PASS|FAIL|SKIP <detail>` lines (invariants/engines.sh), with the call and run counts.
export function parseEngineLines(text: string): EngineLine[] {
  const out: EngineLine[] = [];
  for (const m of text.matchAll(/^\[invariants\] (\w+): (PASS|FAIL|SKIP) (.*)$/gm)) {
    const calls = /(\d+) calls/.exec(m[3]);
    const runs = /(\d+) runs/.exec(m[3]);
    out.push({ engine: m[1], status: m[2] as EngineLine['status'], detail: m[3], calls: calls ? Number(calls[1]) : undefined, runs: runs ? Number(runs[1]) : undefined });
  }
  return out;
}

/// "Suite result: ok. 3 passed; 0 failed" lines summed, or medusa's "Test summary: 4 test(s) passed, 0 test(s) failed".
export function parseCounts(text: string): { passed: number; failed: number } {
  let passed = 0;
  let failed = 0;
  for (const m of text.matchAll(/(\d+) passed; (\d+) failed/g)) {
    passed += Number(m[1]);
    failed += Number(m[2]);
  }
  const med = /Test summary: (\d+) test\(s\) passed, (\d+) test\(s\) failed/.exec(text);
  if (med) return { passed: Number(med[1]), failed: Number(med[2]) };
  return { passed, failed };
}

export async function runInvariants(): Promise<ToolResult> {
  const dir = join(reportDir(), 'invariants');
  const summaryFile = join(dir, 'summary.txt');
  rmSync(summaryFile, { force: true });
  const env = toolEnv({
    INVARIANT_LOG_DIR: dir,
    INVARIANT_SUMMARY: summaryFile,
    MEDUSA_TIMEOUT: process.env.MEDUSA_TIMEOUT ?? '180',
    MEDUSA_TEST_LIMIT: process.env.MEDUSA_TEST_LIMIT ?? '0',
    ECHIDNA_TIMEOUT: process.env.ECHIDNA_TIMEOUT ?? '180',
  });
  // engines.sh builds into the invariants profile's own folders: the audit build's FOUNDRY_OUT must not leak in.
  delete env.FOUNDRY_OUT;
  delete env.FOUNDRY_CACHE_PATH;
  for (const engine of ENGINES) {
    await withProgress('invariants', `bash invariants/engines.sh ${engine}`, () => sh(['bash', 'invariants/engines.sh', engine], { env }));
  }
  const lines = parseEngineLines(existsSync(summaryFile) ? readFileSync(summaryFile, 'utf8') : '');
  const missing = ENGINES.filter((e) => !lines.some((l) => l.engine === e));
  const failed = lines.filter((l) => l.status === 'FAIL');
  const status = failed.length || missing.length ? 'fail' : lines.every((l) => l.status === 'SKIP') ? 'skip' : 'pass';
  return {
    tool: 'invariants',
    status,
    headline: [...lines.map((l) => `${l.engine} ${l.status} ${l.detail}`), ...missing.map((e) => `${e}: no verdict line (engines.sh crashed?)`)].join('; '),
    details: lines.map((l) => `- ${l.engine}: ${l.status} ${l.detail}`),
    files: ['invariants/summary.txt', ...ENGINES.map((e) => `invariants/${e}.txt`)],
    data: { engines: lines },
  };
}

runIfMain(import.meta.url, runInvariants);
