// Gas snapshots: checks test/gas/* against the committed snapshots/ (FORGE_SNAPSHOT_CHECK=true, as `make gas-check`)
// and turns snapshots/*.json (written by vm.snapshotGas*) plus .gas-snapshot into a table for the summary.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, compileFailure, lastLines, readJson, runIfMain, sh, toolEnv, withProgress, writeReport, type ToolResult } from './lib.js';

export function gasTable(root = ROOT): string[] {
  const rows: string[] = [];
  const dir = join(root, 'snapshots');
  if (existsSync(dir)) {
    for (const f of readdirSync(dir).filter((f) => f.endsWith('.json') && f !== 'sizes.json').sort()) {
      const group = f.replace(/\.json$/, '');
      for (const [name, value] of Object.entries(readJson<Record<string, string>>(join(dir, f)))) rows.push(`| ${group} | ${name} | ${value} |`);
    }
  }
  const legacy = join(root, '.gas-snapshot');
  if (existsSync(legacy)) {
    for (const line of readFileSync(legacy, 'utf8').split('\n')) {
      const m = /^(\S+):(\S+)\(.*\) \(gas: (\d+)\)/.exec(line);
      if (m) rows.push(`| ${m[1]} | ${m[2]} | ${m[3]} |`);
    }
  }
  return rows.length ? ['| Group | Snapshot | Gas |', '| --- | --- | ---: |', ...rows] : [];
}

export async function runGas(): Promise<ToolResult> {
  const table = gasTable();
  if (!existsSync(join(ROOT, 'test/gas'))) {
    return { tool: 'gas', status: 'skip', headline: 'no test/gas/ yet', details: table.length ? table : ['No gas snapshot committed yet.'] };
  }
  const res = await withProgress('gas', 'forge test test/gas/* with FORGE_SNAPSHOT_CHECK=true', () =>
    // --no-match-path overrides a config-level `no_match_path = "test/gas/*"` that keeps gas tests out of `forge test`.
    sh(['forge', 'test', '--isolate', '--match-path', 'test/gas/*', '--no-match-path', 'test/none/*'], { env: toolEnv({ FORGE_SNAPSHOT_CHECK: 'true', FOUNDRY_OUT: 'out', FOUNDRY_CACHE_PATH: 'cache' }) }),
  );
  writeReport('gas.txt', res.stdout + res.stderr);
  // forge can exit 0 when the compiler died and nothing ran: require a real run.
  const broken = compileFailure(res.stdout + res.stderr);
  const ran = /(\d+) tests? passed/.exec(res.stdout);
  const ok = res.exitCode === 0 && !broken && ran !== null && Number(ran[1]) > 0;
  return {
    tool: 'gas',
    status: ok ? 'pass' : 'fail',
    headline: ok
      ? `${table.length ? table.length - 2 : 0} snapshot(s) match (${ran![1]} gas test(s))`
      : broken
        ? `compile failed, no gas test ran: ${broken}`
        : `gas snapshots differ, tests failed or none ran: ${lastLines(res.stdout + res.stderr, 2)}`,
    details: table.length ? table : ['No gas snapshot committed yet.'],
    files: ['gas.txt'],
  };
}

runIfMain(import.meta.url, runGas);
