#!/usr/bin/env bash
# The audit run: what `make audit` does on any machine and what CI runs (.ci/run calls `make audit`), so the two
# cannot drift. Every step is timed and bounded, every step runs even when an earlier one failed, each tool writes
# its result to <report dir>/results/<step>.json, and audit/summary.ts then writes <report dir>/SUMMARY.md.
# Exit 1 if any step failed. Report dir: reports/<YYYY-MM-DD>/ locally, AUDIT_REPORT_DIR overrides (CI: reports/ci).
#   AUDIT_SKIP=gas,invariants   steps to leave out (recorded as SKIP "left out", never PASS)
#   AUDIT_ONLY=slither,halmos   run only these (plus venv)
#
# A step's verdict comes from the tool's own result (audit/gates.ts rules): PASS, FAIL, or SKIP with why. Under
# CI=true a SKIP that audit/gates.json does not allow is a FAIL, and so is a step killed at its bound or one that
# finds no time left in the budget.
#
# Bounds (wall clock, this machine: 2 cores, solcjs):
#   venv        first install ~1.5 min (both venvs), then a stamp check; bound 300 s under CI, 900 s locally
#   configs     bound 120 s     (gate: root audit configs still mirror foundry.toml)
#   scope       bound 60 s      (gate: AUDIT.md's generated scope table and known issues match the tree)
#   slither     bound 300 s     (gate: no untriaged finding of any severity, audit/slither-triage.json)
#   layout      bound 300 s     (gate: append-only vs snapshots/layout/)
#   sizes       bound 300 s     (gate: EIP-170/3860 and snapshots/sizes.json)
#   gas         bound 600 s     (gate: FORGE_SNAPSHOT_CHECK on test/gas/*)
#   coverage    bound 600 s     (gate: >= 95 % lines, >= 90 % branches on src/; overrides refused under CI)
#   halmos      HALMOS_BOUND (240 s under CI, 900 locally) for the whole run, 60 s per solver query (halmos.toml)
#   mythril     MYTHRIL_BUDGET=300 s for all contracts together, bytecode mode, 2 tx (audit/gates.json), +120 s margin
#   invariants  local only (CI runs .ci/invariant-steps.sh): forge, medusa and Echidna through invariants/engines.sh
# On top of the per-step bounds, the whole run has AUDIT_BUDGET seconds (AUDIT_CI_BUDGET, default 1200 = 20 min under
# CI, 7200 locally): a step gets at most what is left, and a step that finds none left fails as "not run". Nothing
# shrinks to fit: Mythril's bound is stated in the summary, and a contract it did not finish fails the step.
set -uo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$PATH"
ci=false
if [ "${CI:-}" = true ] || [ "${CI:-}" = 1 ]; then ci=true; fi
export AUDIT_REPORT_DIR="${AUDIT_REPORT_DIR:-reports/$(date -u +%F)}"
export HALMOS_BOUND="${HALMOS_BOUND:-$([ $ci = true ] && echo 240 || echo 900)}"
export MYTHRIL_BUDGET="${MYTHRIL_BUDGET:-300}"
if [ $ci = true ]; then unset COVERAGE_MIN_LINES COVERAGE_MIN_BRANCHES; fi

budget="${AUDIT_BUDGET:-${AUDIT_CI_BUDGET:-$([ $ci = true ] && echo 1200 || echo 7200)}}"
# Steps to leave out, comma-separated: .ci/run skips "gas" (make test checks the snapshots) and "invariants"
# (.ci/invariant-steps.sh runs the longer campaigns). AUDIT_CI_SKIP is the older name.
skip=",${AUDIT_SKIP:-${AUDIT_CI_SKIP:-}},"
only="${AUDIT_ONLY:+,${AUDIT_ONLY},}"
logs="${AUDIT_REPORT_DIR}/steps"
results="${AUDIT_REPORT_DIR}/results"
mkdir -p "$logs" "$results"
rm -f "$results"/*.json
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
# The recorded verdict of a finished step: the tool's result JSON (status and headline) when it wrote one, else the
# exit status and the log's last line. A step without a result that exited 0 (venv) is PASS.
record() {
  local name="$1" rc="$2" took="$3" bound="$4" file="$results/$1.json" status headline
  if [ -f "$file" ]; then
    status=$(node -e 'const r=JSON.parse(require("fs").readFileSync(process.argv[1],"utf8"));console.log(r.status)' "$file")
    headline=$(node -e 'const r=JSON.parse(require("fs").readFileSync(process.argv[1],"utf8"));console.log(String(r.headline).replace(/\s+/g," ").slice(0,300))' "$file")
  else
    status=$([ "$rc" -eq 0 ] && echo pass || echo fail)
    headline=$(verdict "$logs/${name}.log")
  fi
  if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then status=fail; headline="timed out: killed at its ${bound} s bound (log ${logs}/${name}.log)"; fi
  if [ "$rc" -ne 0 ] && [ "$status" != fail ]; then status=fail; headline="exit ${rc}: ${headline}"; fi
  case "$status" in
    pass) verdicts+=("audit ${name}: PASS (${took} s): ${headline}") ;;
    skip) verdicts+=("audit ${name}: SKIP (${took} s): ${headline}") ;;
    *)    verdicts+=("audit ${name}: FAIL (${took} s, exit ${rc}): ${headline}"); failed+=("$name") ;;
  esac
  times+=("$(printf '%-10s %4d s  %s' "$name" "$took" "$status")")
}
step() {
  local name="$1" bound="$2"; shift 2
  if [[ "$skip" == *",${name},"* ]] || { [ -n "$only" ] && [ "$name" != venv ] && [[ "$only" != *",${name},"* ]]; }; then
    times+=("$(printf '%-10s %4s    %s' "$name" "-" "left out (AUDIT_SKIP/AUDIT_ONLY)")")
    verdicts+=("audit ${name}: SKIP: left out by AUDIT_SKIP/AUDIT_ONLY for this run")
    node -e 'require("fs").writeFileSync(process.argv[1], JSON.stringify({tool: process.argv[2], status: "skip", headline: "left out by AUDIT_SKIP/AUDIT_ONLY for this run", leftOut: true}))' "$results/$name.json" "$name"
    return
  fi
  local left=$((budget - (SECONDS - total_start)))
  if [ "$left" -le 0 ]; then
    echo "::audit:: ${name}: not run: the ${budget} s audit budget is spent" >&2
    times+=("$(printf '%-10s %4s    %s' "$name" "-" "NOT RUN (budget spent)")")
    verdicts+=("audit ${name}: FAIL: not run, the ${budget} s audit budget was spent")
    failed+=("$name")
    return
  fi
  [ "$bound" -gt "$left" ] && bound=$left
  local start=$SECONDS
  echo "::audit:: ${name}: start (bound ${bound} s)"
  AUDIT_RESULT_FILE="$results/${name}.json" timeout --kill-after=15 "$bound" "$@" 2>&1 | tee "$logs/${name}.log"
  local rc=${PIPESTATUS[0]}
  local took=$((SECONDS - start))
  [ $rc -eq 124 ] && echo "::audit:: ${name}: hit its ${bound} s bound" >&2
  record "$name" "$rc" "$took" "$bound"
  echo "::audit:: ${name}: ${took} s, exit ${rc}"
}

# A cold venv is pip downloads and builds: 71 s on a quiet machine, 215 s for .venv/audit alone at load 20. CI keeps
# its 300 s; a local first run gets 900 s, so a slow network does not fail an auditor's first `make audit`.
step venv     "$([ $ci = true ] && echo 300 || echo 900)" make --no-print-directory venv
step configs  120 tsx audit/configs.ts
step scope     60 tsx audit/scope.ts
step slither  300 tsx audit/slither.ts
step layout   300 tsx audit/layout.ts
step sizes    300 tsx audit/sizes.ts
step gas      600 tsx audit/gas.ts
step coverage 600 tsx audit/coverage.ts
step halmos   $((HALMOS_BOUND + 60)) tsx audit/halmos.ts
step mythril  $((MYTHRIL_BUDGET + 120)) tsx audit/mythril.ts
step invariants 3600 tsx audit/invariants.ts

echo "::audit:: step times"
printf '  %s\n' "${times[@]}"
echo "::audit:: total $((SECONDS - total_start)) s; reports in ${AUDIT_REPORT_DIR}/"
# One line per tool, for .ci/run's summary (it reads them from here too).
printf '%s\n' "${verdicts[@]}" | tee "${AUDIT_REPORT_DIR}/verdicts.txt"
passed=$(grep -c ': PASS' "${AUDIT_REPORT_DIR}/verdicts.txt" || true)
skipped=$(grep -c ': SKIP' "${AUDIT_REPORT_DIR}/verdicts.txt" || true)
echo "audit steps: ${passed} passed, ${#failed[@]} failed, ${skipped} skipped"
tsx audit/summary.ts || { echo "audit: FAIL: could not write ${AUDIT_REPORT_DIR}/SUMMARY.md" >&2; exit 1; }
if [ ${#failed[@]} -gt 0 ]; then
  echo "audit: FAIL: ${failed[*]}" >&2
  exit 1
fi
echo "audit: OK: read ${AUDIT_REPORT_DIR}/SUMMARY.md"
