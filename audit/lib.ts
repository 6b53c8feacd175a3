// Shared plumbing for the audit scripts: paths, the report folder, running tools with progress lines, the
// forge build every script reads (out-audit/), and the contract list taken from that build's ASTs.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { $, type ProcessOutput } from 'zx';
import { applySkipRule, currentPolicy } from './gates.js';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const TOOLS = join(ROOT, '.venv/tools');

/// Audit builds go to their own folders so they never clobber (or get clobbered by) an engineer's `out/`:
/// crytic-compile runs `forge clean` and `forge build --force` on whatever FOUNDRY_OUT says.
export const AUDIT_OUT = 'out-audit';
export const AUDIT_CACHE = 'cache-audit';

/// A gate that did not pass. The message is the one line a person sees.
export class AuditError extends Error {}

export type Status = 'pass' | 'fail' | 'skip';

export interface ToolResult {
  tool: string;
  status: Status;
  /// One line for the summary table.
  headline: string;
  /// Markdown lines for the tool's section of SUMMARY.md.
  details?: string[];
  /// Files written under the report folder (relative to it).
  files?: string[];
  seconds?: number;
  data?: Record<string, unknown>;
}

/// The real forge binary from the npm platform package. The npm launcher in node_modules/.bin/forge
/// (@foundry-rs/forge 1.7.1, bin.mjs) spawns it but never passes its exit status on: it exits 0 after a failing
/// test, a compile error or a bad flag. Every gate here needs the real status, so the binary's folder goes first
/// on PATH (crytic-compile and halmos call `forge` from PATH too).
export function nativeForgeDir(): string | undefined {
  const os = process.platform;
  const arch = process.arch === 'x64' ? 'amd64' : process.arch;
  const dir = join(ROOT, 'node_modules', '@foundry-rs', `forge-${os}-${arch}`, 'bin');
  return existsSync(join(dir, os === 'win32' ? 'forge.exe' : 'forge')) ? dir : undefined;
}

/// The environment every tool runs in: the native forge, our tool links, then node_modules/.bin; never
/// .venv/audit/bin (its solc-select `solc` would shadow bin/solc's native lookup).
export function toolEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const forgeDir = nativeForgeDir();
  return {
    ...process.env,
    PATH: [forgeDir, TOOLS, join(ROOT, 'node_modules/.bin'), process.env.PATH ?? ''].filter(Boolean).join(':'),
    FOUNDRY_OUT: AUDIT_OUT,
    FOUNDRY_CACHE_PATH: AUDIT_CACHE,
    ...extra,
  };
}

export function today(): string {
  return new Date().toISOString().slice(0, 10);
}

/// reports/<YYYY-MM-DD>/ (AUDIT_REPORT_DIR overrides it), created on first use.
export function reportDir(): string {
  const dir = process.env.AUDIT_REPORT_DIR ? resolve(process.env.AUDIT_REPORT_DIR) : join(ROOT, 'reports', today());
  mkdirSync(dir, { recursive: true });
  return dir;
}

export function writeReport(name: string, content: string | object): string {
  const file = join(reportDir(), name);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content, null, 2) + '\n');
  return name;
}

export function readJson<T = any>(file: string): T {
  return JSON.parse(readFileSync(file, 'utf8')) as T;
}

export function writeJson(file: string, value: unknown): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify(value, null, 2) + '\n');
}

export function log(tool: string, msg: string): void {
  process.stderr.write(`[${tool}] ${msg}\n`);
}

/// Runs `work` and prints a line every `every` seconds while it runs, so long tools show they are alive.
export async function withProgress<T>(tool: string, what: string, work: () => Promise<T>, every = 20): Promise<T> {
  const start = Date.now();
  log(tool, `${what} ...`);
  const timer = setInterval(() => log(tool, `${what}: still running (${Math.round((Date.now() - start) / 1000)} s)`), every * 1000);
  try {
    const out = await work();
    log(tool, `${what}: done in ${((Date.now() - start) / 1000).toFixed(1)} s`);
    return out;
  } finally {
    clearInterval(timer);
  }
}

/// Runs a command without throwing on a non-zero exit; the caller reads exitCode, stdout and stderr.
export async function sh(cmd: string[], opts: { env?: NodeJS.ProcessEnv; input?: string; timeoutSec?: number } = {}): Promise<ProcessOutput> {
  const run = $({ cwd: ROOT, env: opts.env ?? toolEnv(), nothrow: true, quiet: true, input: opts.input });
  if (opts.timeoutSec) {
    // coreutils `timeout` so a hung solver is killed with its children; exit 124 (or 137, or no code at all when
    // the kill came by signal) means the bound was hit.
    return run`timeout --kill-after=10 ${String(opts.timeoutSec)} ${cmd}`;
  }
  return run`${cmd}`;
}

export function lastLines(text: string, n = 5): string {
  return text.trim().split('\n').slice(-n).join(' | ');
}

let forgeConfigCache: any;
/// `forge config --json`: the scripts read paths and compiler settings from forge, not from copies (STYLE §33).
export async function forgeConfig(): Promise<any> {
  if (!forgeConfigCache) {
    const out = await sh(['forge', 'config', '--json']);
    if (out.exitCode !== 0) throw new AuditError(`forge config failed: ${lastLines(out.stderr)}`);
    forgeConfigCache = JSON.parse(out.stdout);
  }
  return forgeConfigCache;
}

/// forge can exit 0 after the compiler died (seen with solcjs: "Error: solc exited with exit status: 1" then
/// "RuntimeError: memory access out of bounds", exit code 0, no artifacts). Every script checks the text too.
export function compileFailure(output: string): string | undefined {
  const m = /(Error: solc exited[^\n]*|Compiler run failed[^\n]*|RuntimeError: [^\n]*|Error \(\d+\): [^\n]*)/.exec(output);
  return m?.[1];
}

let built = false;
/// The proofs folder halmos builds with src/ (HALMOS_DIR overrides; audit/halmos.ts reads the same).
export const HALMOS_DIR = process.env.HALMOS_DIR ?? 'test/halmos';
/// The env of the audit build: forge's test and script folders pointed at the Halmos proofs, so the build is
/// `src/` + its imports + `test/halmos/` and nothing else.
export function auditBuildEnv(): NodeJS.ProcessEnv {
  return toolEnv({ FOUNDRY_TEST: HALMOS_DIR, FOUNDRY_SCRIPT: HALMOS_DIR });
}
/// The audit build into out-audit/: exactly the build halmos runs (`forge build --ast --extra-output storageLayout
/// metadata` over src/ + test/halmos/), so layout, sizes, mythril and halmos share one build. Building `src` alone
/// here made halmos recompile all 65 files afterwards, and mythril recompile src/ after halmos (165 s and 70 s at
/// load 14 with solcjs): forge treats a build of another file set as another build.
export const AUDIT_BUILD_ARGS = ['build', '--ast', '--root', ROOT, '--extra-output', 'storageLayout', 'metadata'];

/// Runs `fn` holding the audit build's lock, a directory created atomically: processes that build and read
/// out-audit/ at the same time (forge runs its FFI tests in parallel, and two layout gates each build it) would
/// otherwise read artifacts another one is rewriting. A lock older than 15 minutes was left by a killed process.
export async function withAuditLock<T>(fn: () => Promise<T>): Promise<T> {
  const lock = join(ROOT, '.audit-build.lock');
  const start = Date.now();
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      let age = 0;
      try {
        age = Date.now() - statSync(lock).mtimeMs;
      } catch {
        continue; // released meanwhile
      }
      if (age > 15 * 60_000) {
        rmSync(lock, { recursive: true, force: true });
        continue;
      }
      if (Date.now() - start > 20 * 60_000) throw new AuditError(`the audit build lock ${lock} was held for 20 minutes`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

export async function auditBuild(tool: string): Promise<void> {
  if (built) return;
  const out = await withProgress(tool, `forge build src/ + ${HALMOS_DIR}/ into ${AUDIT_OUT}/`, () =>
    sh(['forge', ...AUDIT_BUILD_ARGS], { env: auditBuildEnv() }),
  );
  const broken = compileFailure(out.stdout + out.stderr);
  if (out.exitCode !== 0 || broken) throw new AuditError(`${tool}: forge build of src/ and ${HALMOS_DIR}/ failed: ${broken ?? lastLines(out.stderr + out.stdout)}`);
  built = true;
}

export interface ContractInfo {
  name: string;
  /// Source path relative to the repo, e.g. src/admin/Governed.sol.
  source: string;
  kind: string;
  abstract: boolean;
  /// Names of every contract in the linearised inheritance chain, itself first.
  bases: string[];
  node: any;
  /// Artifact path (out-audit/<File>.sol/<Name>.json) when one exists.
  artifact?: string;
}

/// Every contract definition in the audit build, read from the ASTs in the artifacts.
export function loadContracts(): ContractInfo[] {
  const outDir = join(ROOT, AUDIT_OUT);
  if (!existsSync(outDir)) throw new AuditError(`${AUDIT_OUT}/ is missing: the audit build did not run`);
  const seenSources = new Set<string>();
  const defs: any[] = [];
  const artifacts = new Map<string, string>();
  for (const dir of readdirSync(outDir)) {
    if (!dir.endsWith('.sol')) continue;
    for (const file of readdirSync(join(outDir, dir))) {
      if (!file.endsWith('.json')) continue;
      const path = join(outDir, dir, file);
      const art = readJson(path);
      const ast = art.ast;
      if (!ast) continue;
      const contractName = file.replace(/(\.\d+\.\d+\.\d+)?\.json$/, '');
      artifacts.set(`${ast.absolutePath}:${contractName}`, path);
      if (seenSources.has(ast.absolutePath)) continue;
      seenSources.add(ast.absolutePath);
      for (const n of ast.nodes ?? []) if (n.nodeType === 'ContractDefinition') defs.push({ ...n, __source: ast.absolutePath });
    }
  }
  const byId = new Map<number, any>(defs.map((d) => [d.id, d]));
  // An incremental build rewrites only the artifacts of the files it recompiled, with the AST ids of a new compiler
  // run; the others keep the ids of an older run, so an id may name another contract or none (a namespace declared in
  // a base then looked "removed"). Every direct base must resolve by id to a contract of its own name.
  for (const d of defs) {
    for (const b of d.baseContracts ?? []) {
      const name = b.baseName?.name ?? b.baseName?.namePath;
      const found = byId.get(b.baseName?.referencedDeclaration);
      if (!found || (name && found.name !== name.split('.').pop())) {
        throw new InconsistentAuditBuild(`${d.name}: base ${name ?? '?'} does not resolve in ${AUDIT_OUT}/ (an incremental build mixed compiler runs)`);
      }
    }
  }
  return defs.map((d) => ({
    name: d.name,
    source: d.__source,
    kind: d.contractKind,
    abstract: Boolean(d.abstract),
    bases: (d.linearizedBaseContracts ?? []).map((id: number) => byId.get(id)?.name ?? `#${id}`),
    node: d,
    artifact: artifacts.get(`${d.__source}:${d.name}`),
  }));
}

/// The audit build's artifacts come from different compiler runs (see `loadContracts`): rebuild from clean.
export class InconsistentAuditBuild extends AuditError {}

/// `loadContracts`, after one clean audit build when the incremental one mixed compiler runs.
export async function loadContractsConsistent(tool: string): Promise<ContractInfo[]> {
  try {
    return loadContracts();
  } catch (e) {
    if (!(e instanceof InconsistentAuditBuild)) throw e;
    rmSync(join(ROOT, AUDIT_OUT), { recursive: true, force: true });
    rmSync(join(ROOT, AUDIT_CACHE), { recursive: true, force: true });
    built = false;
    await auditBuild(tool);
    return loadContracts();
  }
}

/// Concrete, deployable contracts under the configured src/ folder.
export async function deployableSrcContracts(): Promise<ContractInfo[]> {
  const src = (await forgeConfig()).src as string;
  return (await loadContractsConsistent('sizes')).filter((c) => c.source.startsWith(`${src}/`) && c.kind === 'contract' && !c.abstract);
}

export function rel(path: string): string {
  return relative(ROOT, path);
}

/// The tool result a gate reports, judged by the skip rule (audit/gates.ts): under CI a SKIP that audit/gates.json
/// does not allow is a FAIL. AUDIT_RESULT_FILE, when set, receives the result as JSON (make audit's summary reads it).
export function finish(r: ToolResult): ToolResult {
  const judged = applySkipRule(r, currentPolicy());
  if (process.env.AUDIT_RESULT_FILE) writeJson(process.env.AUDIT_RESULT_FILE, judged);
  return judged;
}

/// Runs `main` when the module is the entry point (`tsx audit/x.ts`), printing one line and exiting 1 on a
/// failed gate, so each script is usable both from make and as a library. `--help` prints the header comment.
export function runIfMain(metaUrl: string, main: () => Promise<ToolResult>): void {
  if (!process.argv[1] || metaUrl !== pathToFileURL(resolve(process.argv[1])).href) return;
  const file = fileURLToPath(metaUrl);
  if (process.argv.includes('--help') || process.argv.includes('-h')) {
    const head = readFileSync(file, 'utf8').split('\n').filter((l) => l.startsWith('//')).slice(0, 12);
    process.stdout.write(`${head.map((l) => l.replace(/^\/\/ ?/, '')).join('\n')}\n`);
    return;
  }
  const tool = file.split('/').pop()!.replace(/\.ts$/, '');
  const started = Date.now();
  main()
    .catch((e): ToolResult => {
      if (!(e instanceof AuditError)) return { tool, status: 'fail', headline: `unexpected error: ${e?.message ?? e}` };
      return { tool, status: 'fail', headline: String(e.message).replace(new RegExp(`^${tool}: `), '') };
    })
    .then((raw) => {
      const r = finish({ ...raw, seconds: raw.seconds ?? (Date.now() - started) / 1000 });
      for (const line of r.details ?? []) process.stdout.write(`${line}\n`);
      if (r.status === 'fail') {
        process.stderr.write(`${r.tool}: FAIL: ${r.headline}\n`);
        process.exit(1);
      }
      process.stderr.write(`${r.tool}: ${r.status === 'skip' ? 'SKIP' : 'OK'}: ${r.headline}\n`);
    });
}
