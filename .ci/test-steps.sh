#!/usr/bin/env bash
# `make test`: every step in turn, each with a progress line at least every 15 s (.ci/heartbeat.sh), the invariant
# run's call table kept in a log file, and one total at the end over every runner: `N passed, M failed` (forge's
# unit/fuzz, gas and invariant runs, and vitest), the same count .ci/run makes. A failing step does not hide the
# others' results: every step runs, and the exit status is non-zero when any failed.
# Logs: reports/test/<step>.log.
set -uo pipefail
cd "$(dirname "$0")/.."
dir=reports/test
mkdir -p "$dir"
rm -f "$dir"/*.log
FORGE="$PWD/bin/forge"
BIN="$PWD/node_modules/.bin"
failed_steps=()

step() { # step <name> [--quiet] -- <command...>
  local name="$1"; shift
  local quiet=()
  [ "$1" = "--quiet" ] && { quiet=(--quiet); shift; }
  shift # --
  echo "== $name =="
  if ! bash .ci/heartbeat.sh "$name" --log "$dir/$name.log" "${quiet[@]}" -- "$@"; then failed_steps+=("$name"); fi
}

bin/solc --which
step forge -- "$FORGE" test
step gas -- env FORGE_SNAPSHOT_CHECK="${FORGE_SNAPSHOT_CHECK:-${CI:-false}}" FOUNDRY_PROFILE=gas "$FORGE" test
# The invariant profile prints a call table per invariant (about 90 lines): to the log; the terminal gets the
# per-suite results and the totals.
step invariants --quiet -- env FOUNDRY_PROFILE=invariants FOUNDRY_INVARIANT_RUNS="${INVARIANT_RUNS:-100}" "$FORGE" test
grep -E '^(Ran [0-9]+ test suite|Suite result|\[FAIL|Failing tests|Encountered)' "$dir/invariants.log" | sed 's/\x1b\[[0-9;]*m//g'
echo "  (the invariant call tables: $dir/invariants.log)"
# forge test compiles sparsely (only what its tests import, as the profile filters test/gas/*): the TypeScript
# tests also load stand-ins no forge test imports (test/mocks/OwnedNFTs.sol, script/local/Multicall.sol, ...), so
# the rest is built here (incremental: the few files the test runs left out).
step build -- "$FORGE" build
# The demo (issue 21; it had broken on main unseen): `make demo` end to end on an embedded anvil (RPC_URL unset: never a
# chain from a developer's environment), real Seaport sales through the indexer and the oracle service. About 45 s;
# bounded to 5 min. The output goes to its log and the summary to the terminal; the demo exits 1 when any scenario
# expectation fails (ts/demo/main.ts `expect`), which counts as one failed step.
step demo --quiet -- env -u RPC_URL timeout 300 "$BIN/tsx" ts/demo/main.ts
sed -n '/^summary$/,$p' "$dir/demo.log"; grep -E '^demo failed' "$dir/demo.log" || true
echo "  (the demo's steps: $dir/demo.log)"
# The subgraph (issue 24): graph codegen && graph build, offline (one WASM module; ~18 s of CPU, most of it the
# AssemblyScript compiler). A failure counts as one failed step.
step subgraph -- bash subgraph/scripts/build.sh local
step tsc -- bash -c "'$BIN/tsc' --noEmit -p . && echo 'tsc: the TypeScript tooling type-checks'"
step vitest -- "$BIN/vitest" run

# Totals: forge prints 'N tests passed, M failed' per run; vitest 'Tests  N passed (T)' or 'Tests  M failed | N passed'.
plain() { sed 's/\x1b\[[0-9;]*m//g' "$@" 2>/dev/null; }
forge_pass=$(plain "$dir"/forge.log "$dir"/gas.log "$dir"/invariants.log | grep -Eo '[0-9]+ tests passed, [0-9]+ failed' | awk '{p+=$1} END {print p+0}')
forge_fail=$(plain "$dir"/forge.log "$dir"/gas.log "$dir"/invariants.log | grep -Eo '[0-9]+ tests passed, [0-9]+ failed' | awk '{f+=$4} END {print f+0}')
ts_line=$(plain "$dir/vitest.log" | grep -E '^\s+Tests\s' | tail -n 1)
ts_pass=$(echo "$ts_line" | grep -Eo '[0-9]+ passed' | grep -Eo '[0-9]+' || true)
ts_fail=$(echo "$ts_line" | grep -Eo '[0-9]+ failed' | grep -Eo '[0-9]+' || true)
# A step that failed without any failing test (a compile error, tsc) still counts as one failure.
extra=0
for s in "${failed_steps[@]}"; do
  case "$s" in
    forge|gas|invariants) plain "$dir/$s.log" | grep -Eq '[0-9]+ tests passed, [1-9][0-9]* failed' || extra=$((extra + 1)) ;;
    vitest) [ "${ts_fail:-0}" -gt 0 ] || extra=$((extra + 1)) ;;
    *) extra=$((extra + 1)) ;;
  esac
done
echo "== total =="
echo "forge: ${forge_pass} passed, ${forge_fail} failed; vitest: ${ts_pass:-0} passed, ${ts_fail:-0} failed${failed_steps[*]:+; failed steps: ${failed_steps[*]}}"
echo "$(( forge_pass + ${ts_pass:-0} )) passed, $(( forge_fail + ${ts_fail:-0} + extra )) failed"
[ ${#failed_steps[@]} -eq 0 ]
