#!/usr/bin/env bash
# Invariant campaigns for CI (issue #7), meant to be called from .ci/run: `bash ci/invariant-steps.sh`.
# One harness (invariants/Tester.sol), each available engine in turn, each bounded, every engine runs even when an
# earlier one failed; a progress line every 30 s while an engine runs, then a summary table; exit 1 if any failed.
#
# Budget (measured on this 2-core machine, invariants/README.md "Numbers"):
#   forge   INVARIANT_CI_RUNS runs x INVARIANT_CI_DEPTH calls (default 10,000 x 32 = 320,000 calls: 474 s measured,
#           ~675 calls/s on one core), stopped cleanly by forge after the forge cap (the budget minus 7 minutes kept
#           for medusa); a campaign the cap cuts short FAILS (INVARIANT_STRICT=1): it did not fit its budget
#   medusa  MEDUSA_CI_TIMEOUT seconds of fuzzing, time-bounded only (default 180; 32,000-45,000 calls measured)
#           + its own build with build-info (57 s measured on an idle machine, up to ~4 min under load)
#   echidna ECHIDNA_CI_TIMEOUT seconds (default 180) where a Docker engine runs; one SKIP line where none does
# INVARIANT_CI_BUDGET (default 1500 s = 25 min) caps the whole script: an engine gets at most what is left, and one
# that finds less than 2 minutes left is reported NOT RUN and fails the step. Measured end to end: 676 s.
set -uo pipefail
cd "$(dirname "$0")/.."
export CI="${CI:-true}"
export INVARIANT_LOG_DIR="${INVARIANT_LOG_DIR:-reports/ci/invariants}"
export INVARIANT_SUMMARY="$INVARIANT_LOG_DIR/summary.txt"
mkdir -p "$INVARIANT_LOG_DIR"
: > "$INVARIANT_SUMMARY"

budget="${INVARIANT_CI_BUDGET:-1500}"
start=$SECONDS
failed=()
times=()

left() { echo $((budget - (SECONDS - start))); }

step() {
  local name="$1"; shift
  local l
  l=$(left)
  if [ "$l" -lt 120 ]; then
    echo "[invariants] $name: NOT RUN: less than 2 minutes of the ${budget} s budget left"
    times+=("$(printf '%-8s %5s    %s' "$name" "-" "NOT RUN (budget spent)")")
    failed+=("$name")
    return
  fi
  local t0=$SECONDS
  echo "[invariants] $name: start ($l s of budget left)"
  timeout --kill-after=30 "$l" env "$@" bash invariants/engines.sh "$name"
  local rc=$?
  local took=$((SECONDS - t0))
  [ $rc -eq 124 ] && echo "[invariants] $name: killed at the budget"
  times+=("$(printf '%-8s %5d s  %s' "$name" "$took" "$([ $rc -eq 0 ] && echo ok || echo "FAILED (exit $rc)")")")
  [ $rc -ne 0 ] && failed+=("$name")
}

step forge INVARIANT_RUNS="${INVARIANT_CI_RUNS:-10000}" INVARIANT_DEPTH="${INVARIANT_CI_DEPTH:-32}" \
  FORGE_TIME_CAP="$(( $(left) > 720 ? $(left) - 420 : 300 ))" INVARIANT_STRICT="${INVARIANT_STRICT:-1}"
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
