// Mutation check for the invariant campaign (`make mutants`): applies each hand-made mutant of the pool core listed
// in invariants/mutants/mutants.json (an exact find -> replace patch), runs the forge campaign on it, and records
// whether the campaign failed ("killed") and on which property. The source file is restored after every mutant,
// also on Ctrl-C. Builds go to out-mutants/ and cache-mutants/, so an engineer's out/ is never touched.
//
// Usage: tsx invariants/mutants/run.ts [--only M01,M07] [--runs N] [--depth N] [--timeout S]
// Env:   MUTANT_RUNS (default 500), MUTANT_DEPTH (32), MUTANT_TIMEOUT seconds per campaign (600), MUTANT_OUT and
//        MUTANT_CACHE (build folders, default out-mutants/ and cache-mutants/).
// Exit:  0 when every mutant was killed; 1 when one survived, was stale (its `find` no longer matches) or broke the
// build. The summary is printed as a Markdown table (paste it into invariants/README.md when it changes).
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { cli } from "../../ts/lib/cli.js";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const FORGE = join(ROOT, "bin/forge");

interface Mutant {
  id: string;
  name: string;
  file: string;
  find: string;
  replace: string;
  expect: string;
}

type Outcome = "killed" | "SURVIVED" | "STALE" | "BUILD FAILED" | "TIMEOUT";

interface Result {
  mutant: Mutant;
  outcome: Outcome;
  caughtBy: string;
  runs: string;
  seconds: number;
  /// Whether this mutant's replay test in CryticToFoundry.t.sol (`test_replay_<id>_*`) fails on it, as it must.
  replay: "fails" | "PASSES" | "none" | "";
}

const { values: flags } = cli({
  name: "mutants",
  usage: `usage: tsx invariants/mutants/run.ts [--only M01,M07] [--runs N] [--depth N] [--timeout S]      (make mutants)
Applies each mutant of invariants/mutants/mutants.json in turn, runs the forge invariant campaign on it and reports
whether the campaign caught it; sources are restored after each one.
  --only <ids>     comma-separated mutant ids (default: all)
  --runs <n>       invariant runs per campaign (MUTANT_RUNS, 500)
  --depth <n>      calls per run (MUTANT_DEPTH, 32)
  --timeout <s>    seconds per campaign (MUTANT_TIMEOUT, 600)
  --help           this text`,
  options: { only: { type: "string" }, runs: { type: "string" }, depth: { type: "string" }, timeout: { type: "string" } },
});

function arg(name: "only" | "runs" | "depth" | "timeout"): string | undefined {
  return flags[name];
}

const runs = Number(arg("runs") ?? process.env.MUTANT_RUNS ?? 500);
const depth = Number(arg("depth") ?? process.env.MUTANT_DEPTH ?? 32);
const timeout = Number(arg("timeout") ?? process.env.MUTANT_TIMEOUT ?? 600);
const only = arg("only")?.split(",");

const spec = JSON.parse(readFileSync(join(ROOT, "invariants/mutants/mutants.json"), "utf8")) as { mutants: Mutant[] };
const mutants = spec.mutants.filter((m) => !only || only.includes(m.id));

const env = {
  ...process.env,
  FOUNDRY_PROFILE: "invariants",
  // CI builds into the forge step's out-invariants/ (MUTANT_OUT, MUTANT_CACHE): one incremental rebuild per mutant
  // instead of a cold build of its own.
  FOUNDRY_OUT: process.env.MUTANT_OUT ?? "out-mutants",
  FOUNDRY_CACHE_PATH: process.env.MUTANT_CACHE ?? "cache-mutants",
  FOUNDRY_INVARIANT_RUNS: String(runs),
  FOUNDRY_INVARIANT_DEPTH: String(depth),
  NO_COLOR: "1",
};

// Restore whatever is mutated if the run is interrupted.
let restore: (() => void) | undefined;
for (const sig of ["SIGINT", "SIGTERM"] as const) {
  process.on(sig, () => {
    restore?.();
    process.exit(130);
  });
}

function forge(args: string[], seconds: number, extra: Record<string, string> = {}) {
  const r = spawnSync(FORGE, args, {
    cwd: ROOT,
    env: { ...env, ...extra },
    encoding: "utf8",
    timeout: seconds * 1000,
    maxBuffer: 1 << 28,
  });
  return { status: r.status, timedOut: r.error?.name === "Error" && r.signal === "SIGTERM", out: (r.stdout ?? "") + (r.stderr ?? "") };
}

/// The property that failed: the assertion message forge prints after "[FAIL: ".
function failedProperty(out: string): string {
  const m = /\[FAIL: ([^\]\n]*)/.exec(out);
  if (!m) return "?";
  const id = /\b([ABGILORV]\d_[A-Z0-9_]+)/.exec(m[1]);
  return id ? id[1] : m[1].slice(0, 60);
}

function runOne(m: Mutant): Result {
  const started = Date.now();
  const path = join(ROOT, m.file);
  const original = readFileSync(path, "utf8");
  const hits = original.split(m.find).length - 1;
  let replay: Result["replay"] = "";
  const done = (outcome: Outcome, caughtBy = "", runsTo = ""): Result => ({
    mutant: m,
    outcome,
    caughtBy,
    runs: runsTo,
    seconds: Math.round((Date.now() - started) / 1000),
    replay,
  });
  if (hits !== 1) return done("STALE", `find matches ${hits} times`);

  restore = () => writeFileSync(path, original);
  writeFileSync(path, original.replace(m.find, m.replace));
  try {
    const build = forge(["build"], 900);
    if (build.status !== 0 || /Error: Compiler run failed|solc exited/.test(build.out)) {
      return done("BUILD FAILED", build.out.split("\n").filter((l) => /Error/.test(l)).slice(0, 2).join(" "));
    }
    // The counterexample replayed as a regression test must fail on the mutant too.
    const rp = forge(["test", "--mc", "CryticToFoundry", "--mt", `test_replay_${m.id}_`], 300);
    // forge 1.x says "No tests found in project!" (older: "No tests match") and exits 0 when no replay test exists.
    replay = /No tests (match|found)/.test(rp.out) ? "none" : rp.status !== 0 ? "fails" : "PASSES";
    // Each mutant starts clean: forge would otherwise replay the previous mutant's persisted failure first.
    const persist = join(ROOT, env.FOUNDRY_CACHE_PATH, "failures", m.id);
    rmSync(persist, { recursive: true, force: true });
    const test = forge(["test", "--mc", "ForgeInvariants"], timeout, { FOUNDRY_INVARIANT_FAILURE_PERSIST_DIR: persist });
    mkdirSync(join(ROOT, "reports/mutants"), { recursive: true });
    writeFileSync(join(ROOT, "reports/mutants", `${m.id}.txt`), test.out);
    if (test.timedOut) return done("TIMEOUT", `no failure within ${timeout} s`);
    if (/\[FAIL/.test(test.out)) {
      // forge counts the runs completed before the failing one; the sequence is the failing run's calls.
      const r = /\(runs: (\d+), calls: (\d+)/.exec(test.out);
      const q = /\[Sequence\] \(original: (\d+), shrunk: (\d+)\)/.exec(test.out);
      const where = `run ${r ? Number(r[1]) + 1 : "?"}${q ? `, call ${q[1]} (shrunk to ${q[2]})` : ""}`;
      return done("killed", failedProperty(test.out), where);
    }
    return done("SURVIVED", "", `${runs} runs x ${depth}`);
  } finally {
    restore();
    restore = undefined;
  }
}

console.log(`[mutants] ${mutants.length} mutant(s), campaign ${runs} runs x depth ${depth} (seed from foundry.toml)`);
const results: Result[] = [];
for (const [i, m] of mutants.entries()) {
  console.log(`[mutants] [${i + 1}/${mutants.length}] ${m.id} ${m.name} (${m.file})`);
  const r = runOne(m);
  results.push(r);
  console.log(`[mutants]   -> ${r.outcome}${r.caughtBy ? ` by ${r.caughtBy}` : ""}${r.runs ? ` after ${r.runs}` : ""} (${r.seconds} s)`);
}

console.log("\n| Mutant | Change | Expected to trip | Campaign | Caught by | Found at | Replay test |");
console.log("| --- | --- | --- | --- | --- | --- | --- |");
for (const r of results) {
  console.log(
    `| ${r.mutant.id} | ${r.mutant.name} (\`${r.mutant.file}\`) | ${r.mutant.expect} | ${r.outcome} | ${r.caughtBy} | ${r.runs} | ${r.replay} |`,
  );
}
const bad = results.filter((r) => r.outcome !== "killed" || r.replay === "PASSES");
console.log(`\n[mutants] ${results.length - bad.length}/${results.length} killed${bad.length ? `; not killed: ${bad.map((r) => r.mutant.id).join(", ")}` : ""}`);
process.exit(bad.length ? 1 : 0);
