#!/usr/bin/env bash
# Invariant campaigns for CI (issue #7), meant to be called from .ci/run: `bash .ci/invariant-steps.sh`.
# One harness (invariants/Tester.sol), each available engine in turn, each bounded, every engine runs even when an
# earlier one failed; a progress line every 30 s while an engine runs, then a summary table; exit 1 if any failed.
#
# Budget (measured on this 2-core machine under load, invariants/README.md "Numbers"):
#   forge   INVARIANT_CI_RUNS runs x INVARIANT_CI_DEPTH calls (default 10,000 x 32 = 320,000 calls: 470-675 calls/s
#           on one core, so 475-680 s), killed at FORGE_BOUND (the budget minus 7 minutes kept for medusa); a killed
#           campaign FAILS: it did not fit its budget
#   medusa  MEDUSA_CI_TIMEOUT seconds of fuzzing, time-bounded only (default 180; 13,600 calls under load, 32,000-45,000
#           on a quiet machine) + its own build with build-info (57 s idle, ~2 min under load)
#   echidna ECHIDNA_CI_TIMEOUT seconds (default 180) where a Docker engine runs; one SKIP line where none does (no
#           budget taken; allowed by audit/gates.json allowSkip, the only engine that is)
#   mutants MUTANT_CI_ONLY (default M03,M04,M15,M16: the mutants every campaign kills within its first runs) through
#           invariants/mutants/run.ts with MUTANT_CI_RUNS runs (default 100) and the fixed seed, building into the forge
#           step's out-invariants/ (one rebuild of the pool and harness per mutant, ~1 min each with solcjs): each
#           must be killed, and its replay test must fail on it
# Under CI=true an engine that does not run (medusa without Go) FAILS, as do medusa with 0 properties or 0 calls and a
# forge campaign cut short (audit/gates.ts).
# Seed: the forge campaign runs a fresh seed each time (INVARIANT_CI_SEED to choose one), printed before it starts and
# written to the summary, so a failure names the seed to replay (`INVARIANT_SEED=<seed> make invariant`); foundry.toml
# keeps the fixed seed for local runs.
# INVARIANT_CI_BUDGET (default 1800 s = 30 min; .ci/run passes 1620) caps the whole script: an engine gets at most what
# is left, and one that finds less than 2 minutes left is reported NOT RUN and fails the step.
set -uo pipefail
cd "$(dirname "$0")/.."
export CI="${CI:-true}"
export INVARIANT_LOG_DIR="${INVARIANT_LOG_DIR:-reports/ci/invariants}"
export INVARIANT_SUMMARY="$INVARIANT_LOG_DIR/summary.txt"
mkdir -p "$INVARIANT_LOG_DIR"
: > "$INVARIANT_SUMMARY"

budget="${INVARIANT_CI_BUDGET:-1800}"
start=$SECONDS
failed=()
times=()

left() { echo $((budget - (SECONDS - start))); }

step() {
  local name="$1"; shift
  local l
  # Without a Docker engine the Echidna step only prints its SKIP line: no budget needed, never NOT RUN.
  if [ "$name" = echidna ] && ! docker info >/dev/null 2>&1; then
    bash invariants/engines.sh echidna
    times+=("$(printf '%-8s %5s    %s' "$name" "-" "skipped (no Docker engine)")")
    return
  fi
  l=$(left)
  if [ "$l" -lt 120 ]; then
    echo "[invariants] $name: NOT RUN: less than 2 minutes of the ${budget} s budget left"
    times+=("$(printf '%-8s %5s    %s' "$name" "-" "NOT RUN (budget spent)")")
    failed+=("$name")
    return
  fi
  local t0=$SECONDS
  echo "[invariants] $name: start ($l s of budget left)"
  if [ "$name" = mutants ]; then
    timeout --kill-after=30 "$l" env "$@" bash -c 'node_modules/.bin/tsx invariants/mutants/run.ts --only "$MUTANT_CI_ONLY" --runs "$MUTANT_CI_RUNS" 2>&1 | tee "$INVARIANT_LOG_DIR/mutants.txt"; exit "${PIPESTATUS[0]}"'
  else
    timeout --kill-after=30 "$l" env "$@" bash invariants/engines.sh "$name"
  fi
  local rc=$?
  if [ "$name" = mutants ]; then
    local verdict
    verdict=$(grep -Eo '[0-9]+/[0-9]+ killed.*' "$INVARIANT_LOG_DIR/mutants.txt" | tail -n 1)
    echo "[invariants] mutants: $([ $rc -eq 0 ] && echo PASS || echo FAIL) ${verdict:-no result} ($mutant_only, $((SECONDS - t0)) s; log: $INVARIANT_LOG_DIR/mutants.txt)" >> "$INVARIANT_SUMMARY"
  fi
  local took=$((SECONDS - t0))
  [ $rc -eq 124 ] && echo "[invariants] $name: killed at the budget"
  times+=("$(printf '%-8s %5d s  %s' "$name" "$took" "$([ $rc -eq 0 ] && echo ok || echo "FAILED (exit $rc)")")")
  [ $rc -ne 0 ] && failed+=("$name")
}

# No FORGE_TIME_CAP here: with `invariant.timeout` set, forge 1.7 ignores `runs` and fuzzes until the timeout
# (invariants/README.md "Numbers"), so a cap would only stretch the step. The campaign runs its 10,000 runs and is
# killed at FORGE_BOUND (the budget minus 12 minutes kept for the mutants and medusa), which fails the step: it did
# not fit.
seed="${INVARIANT_CI_SEED:-0x$(od -An -N4 -tx4 /dev/urandom | tr -d ' \n')}"
echo "[invariants] forge seed $seed (a failure replays with: INVARIANT_SEED=$seed INVARIANT_RUNS=${INVARIANT_CI_RUNS:-10000} make invariant)"
echo "[invariants] forge seed $seed" >> "$INVARIANT_SUMMARY"
step forge INVARIANT_RUNS="${INVARIANT_CI_RUNS:-10000}" INVARIANT_DEPTH="${INVARIANT_CI_DEPTH:-32}" INVARIANT_SEED="$seed" \
  FORGE_BOUND="$(( $(left) > 1020 ? $(left) - 720 : $(left) ))"
mutant_only="${MUTANT_CI_ONLY:-M03,M04,M15,M16}"
step mutants MUTANT_CI_ONLY="$mutant_only" MUTANT_CI_RUNS="${MUTANT_CI_RUNS:-100}" \
  MUTANT_OUT=out-invariants MUTANT_CACHE=cache-invariants
step medusa MEDUSA_TIMEOUT="${MEDUSA_CI_TIMEOUT:-180}" MEDUSA_TEST_LIMIT=0
step echidna ECHIDNA_TIMEOUT="${ECHIDNA_CI_TIMEOUT:-180}"

echo "[invariants] summary"
cat "$INVARIANT_SUMMARY"
echo "[invariants] step times"
printf '  %s\n' "${times[@]}"
echo "[invariants] total $((SECONDS - start)) s; logs in $INVARIANT_LOG_DIR/"
if [ ${#failed[@]} -gt 0 ]; then
  echo "invariants: FAIL: ${failed[*]}" >&2
  exit 1
fi
echo "invariants: OK"
