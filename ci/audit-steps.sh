#!/usr/bin/env bash
# Audit steps for CI (issue #8), meant to be called from .ci/run: `bash ci/audit-steps.sh`.
# Every step is timed and bounded; every step runs even when an earlier one failed, so one CI run shows every
# problem; the script exits 1 if any step failed. Raw outputs land in reports/ci/ (AUDIT_REPORT_DIR).
#
# Bounds (wall clock, this machine: 2 cores, solcjs):
#   venv        first install ~2 min (both venvs), then a stamp check; bound 300 s
#   configs     bound 120 s     (gate: root audit configs still mirror foundry.toml)
#   slither     bound 300 s     (gate: no untriaged high/medium finding)
#   layout      bound 300 s     (gate: append-only vs snapshots/layout/)
#   sizes       bound 300 s     (gate: EIP-170/3860 and snapshots/sizes.json)
#   gas         bound 600 s     (gate: FORGE_SNAPSHOT_CHECK on test/gas/*)
#   coverage    bound 600 s     (gate: >= 95 % lines, >= 90 % branches on src/; overrides refused under CI)
#   halmos      HALMOS_BOUND=240 s for the whole run, 60 s per solver query
#   mythril     MYTHRIL_BUDGET=300 s for all contracts together, bytecode mode, 2 transactions
# On top of the per-step bounds, the whole script has AUDIT_CI_BUDGET seconds (default 900 = 15 min): a step
# gets at most what is left, and steps that find no time left fail as "not run". Measured: < 1 min on today's tree;
# ~12-15 min estimated with the full protocol (docs/audit-tooling.md has the numbers).
set -uo pipefail
cd "$(dirname "$0")/.."
export CI="${CI:-true}"
export PATH="$PWD/node_modules/.bin:$PATH"
export AUDIT_REPORT_DIR="${AUDIT_REPORT_DIR:-reports/ci}"
export HALMOS_BOUND="${HALMOS_BOUND:-240}"
export MYTHRIL_MODE="${MYTHRIL_MODE:-bytecode}"
export MYTHRIL_BUDGET="${MYTHRIL_BUDGET:-300}"
unset COVERAGE_MIN_LINES COVERAGE_MIN_BRANCHES

budget="${AUDIT_CI_BUDGET:-900}"
# Steps to leave out, comma-separated: .ci/run skips "gas" because `make test` already checks the gas snapshots.
skip=",${AUDIT_CI_SKIP:-},"
logs="${AUDIT_REPORT_DIR}/steps"
mkdir -p "$logs"
total_start=$SECONDS
failed=()
times=()
verdicts=()
# The one line a person reads per tool: the script's own "<tool>: OK|FAIL|SKIP: ..." line, else the last line.
verdict() {
  local v
  v=$(grep -E '^[a-z-]+: (OK|FAIL|SKIP): ' "$1" | tail -n 1)
  [ -n "$v" ] || v=$(grep -v '^\s*$' "$1" | tail -n 1)
  echo "${v:0:300}"
}
step() {
  local name="$1" bound="$2"; shift 2
  if [[ "$skip" == *",${name},"* ]]; then
    times+=("$(printf '%-9s %4s    %s' "$name" "-" "skipped (AUDIT_CI_SKIP)")")
    verdicts+=("audit ${name}: SKIP: left out by AUDIT_CI_SKIP")
    return
  fi
  local left=$((budget - (SECONDS - total_start)))
  if [ "$left" -le 0 ]; then
    echo "::audit:: ${name}: not run: the ${budget} s audit budget is spent" >&2
    times+=("$(printf '%-9s %4s    %s' "$name" "-" "NOT RUN (budget spent)")")
    verdicts+=("audit ${name}: FAIL: not run, the ${budget} s audit budget was spent")
    failed+=("$name")
    return
  fi
  [ "$bound" -gt "$left" ] && bound=$left
  local start=$SECONDS
  echo "::audit:: ${name}: start (bound ${bound} s)"
  timeout --kill-after=15 "$bound" "$@" 2>&1 | tee "$logs/${name}.log"
  local rc=${PIPESTATUS[0]}
  local took=$((SECONDS - start))
  times+=("$(printf '%-9s %4d s  %s' "$name" "$took" "$([ $rc -eq 0 ] && echo ok || echo "FAILED (exit $rc)")")")
  if [ $rc -ne 0 ]; then
    [ $rc -eq 124 ] && echo "::audit:: ${name}: hit its ${bound} s bound" >&2
    failed+=("$name")
    verdicts+=("audit ${name}: FAIL (${took} s, exit ${rc}$([ $rc -eq 124 ] && echo ", hit its ${bound} s bound")): $(verdict "$logs/${name}.log")")
  else
    verdicts+=("audit ${name}: PASS (${took} s): $(verdict "$logs/${name}.log")")
  fi
  echo "::audit:: ${name}: ${took} s, exit ${rc}"
}

step venv     300 make --no-print-directory venv
step configs  120 tsx ts/audit/configs.ts
step slither  300 tsx ts/audit/slither.ts
step layout   300 tsx ts/audit/layout.ts
step sizes    300 tsx ts/audit/sizes.ts
step gas      600 tsx ts/audit/gas.ts
step coverage 600 tsx ts/audit/coverage.ts
step halmos   $((HALMOS_BOUND + 60)) tsx ts/audit/halmos.ts
step mythril  $((MYTHRIL_BUDGET + 120)) tsx ts/audit/mythril.ts

echo "::audit:: step times"
printf '  %s\n' "${times[@]}"
echo "::audit:: total $((SECONDS - total_start)) s; reports in ${AUDIT_REPORT_DIR}/"
# One line per tool, for .ci/run's summary (it reads them from here too).
printf '%s\n' "${verdicts[@]}" | tee "${AUDIT_REPORT_DIR}/verdicts.txt"
passed=$(grep -c ': PASS' "${AUDIT_REPORT_DIR}/verdicts.txt" || true)
echo "audit steps: ${passed} passed, ${#failed[@]} failed"
if [ ${#failed[@]} -gt 0 ]; then
  echo "audit: FAIL: ${failed[*]}" >&2
  exit 1
fi
echo "audit: OK"
