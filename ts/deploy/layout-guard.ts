// The storage-layout gate of an upgrade: is the layout of <Contract> as it stands in src/ an append-only extension
// of its committed snapshot (snapshots/layout/<Contract>.json, written by `make layout`)? It reuses the audit
// tooling (audit/layout.ts: the same build, reader and diff as `make layout-check`), for one contract.
//
//   tsx ts/deploy/layout-guard.ts <Contract> [snapshot.json]          one line, exit 1 when refused
//   tsx ts/deploy/layout-guard.ts --abi <Contract> [snapshot.json]    for forge's vm.ffi: abi.encode(bool ok, string why)
import { existsSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { encodeAbiParameters } from "viem";
import { AUDIT_BUILD_ARGS, AUDIT_CACHE, AUDIT_OUT, AuditError, ROOT, auditBuild, auditBuildEnv, lastLines, readJson, sh, withAuditLock, writeJson } from "../../audit/lib.js";
import { cli } from "../lib/cli.js";
import { LAYOUT_DIR, diffLayout, readLayout, upgradeableContracts, type Layout } from "../../audit/layout.js";

/** Why `contract` may not replace its deployed layout (empty when it may). */
export async function layoutProblems(contract: string, snapshot?: string): Promise<string[]> {
  const file = snapshot ?? join(ROOT, LAYOUT_DIR, `${contract}.json`);
  if (!existsSync(file)) return [`no layout snapshot ${file}: run 'make layout' on the deployed version and commit it`];
  const next = await currentLayout(contract);
  if (typeof next === "string") return [next];
  return diffLayout(readJson<Layout>(file), next).map((d) => `${contract}: ${d}`);
}

/**
 * After an upgrade is executed, the snapshot becomes the layout now deployed (what the next upgrade is gated on).
 * Refuses (returns the problems) when the sources are not an append-only extension of the old snapshot.
 */
export async function refreshLayoutSnapshot(contract: string, snapshot?: string): Promise<{ file: string; problems: string[] }> {
  const file = snapshot ?? join(ROOT, LAYOUT_DIR, `${contract}.json`);
  const next = await currentLayout(contract);
  if (typeof next === "string") return { file, problems: [next] };
  const problems = existsSync(file) ? diffLayout(readJson<Layout>(file), next).map((d) => `${contract}: ${d}`) : [];
  if (!problems.length) writeJson(file, next);
  return { file, problems };
}

/** The layout of `contract` as it stands in src/, or why it cannot be read. */
async function currentLayout(contract: string): Promise<Layout | string> {
  return withAuditLock(() => readCurrentLayout(contract));
}

async function readCurrentLayout(contract: string): Promise<Layout | string> {
  await auditBuild("layout-guard");
  let { targets, all } = await upgradeableContracts();
  let target = targets.find((c) => c.name === contract);
  if (!target) {
    // An incremental audit build can leave artifacts whose AST ids come from different compiler runs, so base
    // contracts no longer resolve by id and the contract looks non-upgradeable. One clean build settles it.
    rmSync(join(ROOT, AUDIT_OUT), { recursive: true, force: true });
    rmSync(join(ROOT, AUDIT_CACHE), { recursive: true, force: true });
    // auditBuild() runs once per process, so the clean rebuild calls forge with the same arguments itself.
    const res = await sh(["forge", ...AUDIT_BUILD_ARGS], { env: auditBuildEnv() });
    if (res.exitCode !== 0) throw new AuditError(`layout-guard: clean audit build failed: ${lastLines(res.stderr + res.stdout)}`);
    ({ targets, all } = await upgradeableContracts());
    target = targets.find((c) => c.name === contract);
  }
  if (!target) return `${contract} is not an upgradeable contract in src/`;
  return readLayout(target, all);
}

const USAGE = `usage: tsx ts/deploy/layout-guard.ts [--abi] <Contract> [snapshot.json]
Is the storage layout of <Contract> in src/ an append-only extension of its snapshot (snapshots/layout/<Contract>.json)?
  --abi    answer as abi.encode(bool ok, string why) on stdout (for forge's vm.ffi) instead of one line and the exit status
  --help   this text`;

async function main() {
  const { values, positionals } = cli({ name: "layout-guard", usage: USAGE, options: { abi: { type: "boolean" } }, positionals: { min: 1, max: 2, names: "<Contract> [snapshot.json]" } });
  const abi = !!values.abi;
  const [contract, snapshot] = positionals;
  const problems = await layoutProblems(contract, snapshot);
  const why = problems.length ? `not append-only: ${problems.join("; ")}` : "append-only";
  if (abi) {
    process.stdout.write(encodeAbiParameters([{ type: "bool" }, { type: "string" }], [problems.length === 0, why]));
    return;
  }
  if (problems.length) {
    process.stderr.write(`layout-guard: refused: ${why}\n`);
    process.exit(1);
  }
  process.stderr.write(`layout-guard: ${contract} is ${why} against its snapshot\n`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main().catch((e) => {
    process.stderr.write(`layout-guard: ${e?.message ?? e}\n`);
    process.exit(1);
  });
}
