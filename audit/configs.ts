// The tools' configs copy settings that forge owns. This check reads `forge config --json` and fails when a copy
// drifted: slither.config.json and mythril.config.json (remappings, optimizer, EVM
// version), medusa.json and echidna.yaml (sequence length and call budget = the `invariants`
// profile's depth and runs x depth); and that the `invariants` profile, which compiles another source set, builds
// into folders of its own.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AuditError, ROOT, lastLines, readJson, runIfMain, sh, toolEnv, type ToolResult } from './lib.js';

const norm = (xs: string[]) => [...xs].map((x) => x.trim()).sort();

export function compareConfigs(forge: any, invariants: any, files: { slither: any; mythril: any; medusa: any; echidna: string }): string[] {
  const out: string[] = [];
  const remaps = norm(forge.remappings ?? []);
  const same = (a: string[], b: string[]) => JSON.stringify(norm(a)) === JSON.stringify(b);
  if (!same(files.slither.solc_remaps ?? [], remaps)) out.push("slither.config.json solc_remaps differ from forge's remappings");
  if (!same(files.mythril.remappings ?? [], remaps)) out.push("mythril.config.json remappings differ from forge's remappings");
  const args = String(files.slither.solc_args ?? '');
  if (forge.optimizer && !args.includes(`--optimize-runs ${forge.optimizer_runs}`)) out.push(`slither.config.json solc_args lack --optimize-runs ${forge.optimizer_runs}`);
  if (!args.includes(`--evm-version ${forge.evm_version}`)) out.push(`slither.config.json solc_args lack --evm-version ${forge.evm_version}`);
  const opt = files.mythril.optimizer ?? {};
  if (Boolean(opt.enabled) !== Boolean(forge.optimizer) || (forge.optimizer && opt.runs !== forge.optimizer_runs)) out.push(`mythril.config.json optimizer is not {enabled: ${forge.optimizer}, runs: ${forge.optimizer_runs}}`);
  if (files.mythril.evmVersion !== forge.evm_version) out.push(`mythril.config.json evmVersion is not ${forge.evm_version}`);
  if (Boolean(files.mythril.viaIR) !== Boolean(forge.via_ir)) out.push(`mythril.config.json viaIR is not ${forge.via_ir}`);
  const depth = invariants.invariant?.depth;
  const calls = invariants.invariant?.runs * depth;
  const fz = files.medusa.fuzzing ?? {};
  if (fz.callSequenceLength !== depth) out.push(`medusa.json callSequenceLength is not the invariants profile depth ${depth}`);
  if (fz.testLimit !== calls) out.push(`medusa.json testLimit is not runs x depth = ${calls}`);
  const num = (key: string) => Number(new RegExp(`^${key}:\\s*(\\d+)`, 'm').exec(files.echidna)?.[1]);
  if (num('seqLen') !== depth) out.push(`echidna.yaml seqLen is not ${depth}`);
  if (num('testLimit') !== calls) out.push(`echidna.yaml testLimit is not ${calls}`);
  // A profile that compiles another source set (its own `test` folder) must build into its own folders: sharing the
  // default's out/ or cache makes every switch between the two a full rebuild (~3 min with solcjs), which once
  // pushed the deployment test after `make test`'s invariant step past its 300 s set-up in CI.
  if (invariants.test !== undefined && invariants.test !== forge.test) {
    if (invariants.out === forge.out) out.push(`foundry.toml: the invariants profile builds into the default out/ (${forge.out})`);
    if (invariants.cache_path === forge.cache_path) out.push(`foundry.toml: the invariants profile shares the default cache (${forge.cache_path})`);
  }
  return out;
}

/** `forge config --json` of `profile` as foundry.toml sets it: without the audit tools' out-audit/ override, so the
 * folder check sees the profiles' own `out` and `cache_path` (the mirrors compare the same way under any profile). */
async function profileConfig(profile: string): Promise<any> {
  const env = toolEnv({ FOUNDRY_PROFILE: profile });
  delete env.FOUNDRY_OUT;
  delete env.FOUNDRY_CACHE_PATH;
  const res = await sh(['forge', 'config', '--json'], { env });
  if (res.exitCode !== 0) throw new AuditError(`configs: forge config (${profile} profile) failed: ${lastLines(res.stderr)}`);
  return JSON.parse(res.stdout);
}

export async function runConfigs(): Promise<ToolResult> {
  const forge = await profileConfig('default');
  const inv = await profileConfig('invariants');
  const problems = compareConfigs(forge, inv, {
    slither: readJson(join(ROOT, 'slither.config.json')),
    mythril: readJson(join(ROOT, 'mythril.config.json')),
    medusa: readJson(join(ROOT, 'medusa.json')),
    echidna: readFileSync(join(ROOT, 'echidna.yaml'), 'utf8'),
  });
  return {
    tool: 'configs',
    status: problems.length ? 'fail' : 'pass',
    headline: problems.length ? `${problems.length} config(s) drifted from foundry.toml: ${problems.join('; ')}` : 'slither, mythril, medusa and echidna configs match foundry.toml; the invariants profile builds into its own folders',
  };
}

runIfMain(import.meta.url, runConfigs);
