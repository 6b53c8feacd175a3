#!/usr/bin/env bash
# Runs the invariant harness (invariants/Tester.sol) under one engine, bounded, with a progress line every
# PROGRESS_EVERY seconds and one summary line at the end:
#   [invariants] <engine>: PASS|FAIL|SKIP <calls> calls in <s> s (<calls/s> calls/s) <detail>
# Usage: bash invariants/engines.sh forge|medusa|echidna
# Knobs (environment):
#   forge    INVARIANT_RUNS (default: foundry.toml's invariants profile, 1,000), INVARIANT_DEPTH (32),
#            INVARIANT_SEED (default: foundry.toml's fixed seed locally; under CI=true a fresh random seed each run,
#            printed with the line that replays it), FORGE_BOUND seconds before the run is killed (default 3600),
#            FORGE_TIME_CAP seconds after which forge itself stops the campaign (a campaign cut short FAILS)
#   medusa   MEDUSA_TIMEOUT seconds of fuzzing (default: medusa.json's 600), MEDUSA_WORKERS (medusa.json's 2),
#            MEDUSA_TEST_LIMIT calls (default: medusa.json's 32,000; 0 = bounded by time only)
#   echidna  ECHIDNA_TIMEOUT seconds (default: echidna.yaml's 600); needs a running Docker engine
# Exit status: 0 pass or allowed skip, 1 fail. The verdict comes from audit/gates.ts (rules in audit/gates.json):
# an engine that cannot run is SKIP locally, but FAIL under CI=true unless allowSkip lists it (Echidna without
# Docker); medusa with 0 properties or 0 calls, a killed run and a campaign cut short FAIL. The summary line is also
# appended to $INVARIANT_SUMMARY when set (.ci/invariant-steps.sh collects them).
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
engine="${1:-}"
PROGRESS_EVERY="${PROGRESS_EVERY:-30}"
FORGE_DIR="$ROOT/node_modules/@foundry-rs/forge-$(uname -s | tr 'A-Z' 'a-z')-$(uname -m | sed 's/x86_64/amd64/;s/aarch64/arm64/')/bin"
export NO_COLOR=1
log_dir="${INVARIANT_LOG_DIR:-reports/invariants}"
mkdir -p "$log_dir"

summary() {
  local line="[invariants] $engine: $*"
  echo "$line"
  if [ -n "${INVARIANT_SUMMARY:-}" ]; then echo "$line" >> "$INVARIANT_SUMMARY"; fi
}

# Prints the verdict of audit/gates.ts (`gates.ts forge|medusa|skip ...`) as the summary line and exits with its
# status (0 PASS or allowed SKIP, 1 FAIL). $1 is text put before the verdict's detail (the seed, say).
verdict() {
  local prefix="$1" out rc; shift
  out=$("$ROOT/node_modules/.bin/tsx" "$ROOT/audit/gates.ts" "$@")
  rc=$?
  if [ -z "$out" ]; then out="FAIL the verdict script failed (exit $rc): tsx audit/gates.ts $*"; rc=1; fi
  summary "${out%% *} ${prefix}${out#* }"
  exit $(( rc == 0 ? 0 : 1 ))
}

# Runs "$@" with its output in $log, printing a progress line every PROGRESS_EVERY seconds; sets $rc and $took.
run_logged() {
  local log="$1" what="$2"; shift 2
  local start=$SECONDS
  "$@" > "$log" 2>&1 &
  local pid=$!
  while kill -0 "$pid" 2>/dev/null; do
    sleep 1
    if [ $(( (SECONDS - start) % PROGRESS_EVERY )) -eq 0 ] && kill -0 "$pid" 2>/dev/null; then
      echo "[invariants] $engine: $what: running, $((SECONDS - start)) s$(progress_hint "$log")"
    fi
  done
  wait "$pid"
  rc=$?
  took=$((SECONDS - start))
}

progress_hint() {
  case "$engine" in
    medusa) grep -o 'calls: *[0-9]* ([^)]*)' "$1" 2>/dev/null | tail -n 1 | sed 's/^/, /' ;;
    *) echo "" ;;
  esac
}

rate() { # calls seconds
  if [ "${2:-0}" -gt 0 ]; then echo "$(( $1 / $2 ))"; else echo "$1"; fi
}

# Builds the harness with build-info into $1 (cache $2), which crytic-compile reads for medusa and Echidna.
# crytic-compile reads every file in build-info/, and an incremental build would leave a stale file next to a
# partial one: so the existing build is reused only when it is one file newer than every source, and otherwise the
# folder is emptied and everything is rebuilt (--force, ~2.5 min with solcjs). Sets $rc and $took.
build_info() {
  local out="$1" cache="$2" log="$log_dir/$engine-build.txt" t0=$SECONDS
  local bi
  bi=$(ls "$out"/build-info/*.json 2>/dev/null | head -n 1)
  if [ -n "$bi" ] && [ "$(ls "$out/build-info" | wc -l)" -eq 1 ] && [ -z "$(find src invariants test foundry.toml \
    remappings.txt -newer "$bi" \( -name '*.sol' -o -name '*.toml' -o -name '*.txt' \) -print -quit 2>/dev/null)" ]; then
    echo "[invariants] $engine: reusing $out/ (no source changed since its build)"
    rc=0
  else
    echo "[invariants] $engine: build (profile invariants, build-info, $out/)"
    rm -rf "$out/build-info"
    run_logged "$log" build env FOUNDRY_PROFILE=invariants FOUNDRY_OUT="$out" FOUNDRY_CACHE_PATH="$cache" \
      "$ROOT/bin/forge" build --build-info --force
    if grep -q 'Compiler run failed\|solc exited' "$log" || [ "$(ls "$out/build-info" 2>/dev/null | wc -l)" -ne 1 ]; then rc=1; fi
  fi
  took=$((SECONDS - t0))
}

# "1h2m3s" -> seconds (medusa's elapsed time).
to_secs() {
  local t="$1" h=0 m=0 s=0
  [[ $t =~ ([0-9]+)h ]] && h=${BASH_REMATCH[1]}
  [[ $t =~ ([0-9]+)m ]] && m=${BASH_REMATCH[1]}
  [[ $t =~ ([0-9]+)s ]] && s=${BASH_REMATCH[1]}
  echo $((h * 3600 + m * 60 + s))
}

case "$engine" in
forge)
  runs="${INVARIANT_RUNS:-}"
  depth="${INVARIANT_DEPTH:-}"
  envs=(FOUNDRY_PROFILE=invariants)
  [ -n "$runs" ] && envs+=(FOUNDRY_INVARIANT_RUNS="$runs")
  [ -n "$depth" ] && envs+=(FOUNDRY_INVARIANT_DEPTH="$depth")
  seed="${INVARIANT_SEED:-}"
  # CI explores: a fresh seed each run (printed, with how to replay it); locally the committed seed reproduces.
  if [ -z "$seed" ] && { [ "${CI:-}" = true ] || [ "${CI:-}" = 1 ]; }; then seed="0x$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"; fi
  [ -n "$seed" ] && envs+=(FOUNDRY_FUZZ_SEED="$seed")
  [ -n "$seed" ] && echo "[invariants] forge: seed $seed (replay: INVARIANT_SEED=$seed INVARIANT_RUNS=${runs:-<runs>} bash invariants/engines.sh forge)"
  [ -n "${FORGE_TIME_CAP:-}" ] && envs+=(FOUNDRY_INVARIANT_TIMEOUT="$FORGE_TIME_CAP")
  echo "[invariants] forge: build (profile invariants)"
  run_logged "$log_dir/forge-build.txt" build env "${envs[@]}" "$ROOT/bin/forge" build
  if [ "$rc" -ne 0 ] || grep -q 'Compiler run failed\|solc exited' "$log_dir/forge-build.txt"; then
    tail -n 20 "$log_dir/forge-build.txt"
    summary "FAIL build failed (log: $log_dir/forge-build.txt)"
    exit 1
  fi
  echo "[invariants] forge: campaign ${runs:-profile} runs x depth ${depth:-profile}, replays (build ${took} s)"
  run_logged "$log_dir/forge.txt" campaign timeout "${FORGE_BOUND:-3600}" env "${envs[@]}" "$ROOT/bin/forge" test
  grep -E '^\[(PASS|FAIL)|Suite result|invariant_|Counterexample|firstFailure|^\s+(sender|addr|calldata|args)=' "$log_dir/forge.txt" | head -n 60
  want_runs="${runs:-$(FOUNDRY_PROFILE=invariants "$ROOT/bin/forge" config --json 2>/dev/null | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).invariant.runs))')}"
  verdict "seed ${seed:-foundry.toml}: " forge "$log_dir/forge.txt" "$rc" "$want_runs" "${FORGE_BOUND:-3600}"
  ;;

medusa)
  if ! command -v go >/dev/null 2>&1 && [ ! -x .venv/tools/medusa ]; then
    verdict "" skip medusa "Go is not installed, so medusa cannot be built (make medusa-install needs Go >= 1.25)"
  fi
  make --no-print-directory medusa-install .venv/audit/.install-stamp >/dev/null || { summary "FAIL medusa or crytic-compile install failed (make medusa-install venv)"; exit 1; }
  # medusa.json reads a prebuilt out-medusa/ (crytic-compile --foundry-ignore-compile).
  build_info out-medusa cache-medusa
  if [ "$rc" -ne 0 ]; then
    tail -n 20 "$log_dir/medusa-build.txt"
    summary "FAIL build failed (log: $log_dir/medusa-build.txt)"
    exit 1
  fi
  timeout_s="${MEDUSA_TIMEOUT:-$(node -e 'console.log(require("./medusa.json").fuzzing.timeout)')}"
  extra=()
  [ -n "${MEDUSA_WORKERS:-}" ] && extra+=(--workers "$MEDUSA_WORKERS")
  [ -n "${MEDUSA_TEST_LIMIT:-}" ] && extra+=(--test-limit "$MEDUSA_TEST_LIMIT")
  echo "[invariants] medusa: fuzzing for at most $timeout_s s (build ${took} s)"
  run_logged "$log_dir/medusa.txt" fuzz timeout --kill-after=30 $((timeout_s + 300)) \
    env PATH="$FORGE_DIR:$ROOT/.venv/tools:$PATH" FOUNDRY_PROFILE=invariants \
    .venv/tools/medusa fuzz --config medusa.json --timeout "$timeout_s" --no-color "${extra[@]}"
  grep -E 'FAILED|Test summary|\[FAILED\]' "$log_dir/medusa.txt" | head -n 40
  # A failure is replayable from the CI log alone: the shrunk call sequence and the postcondition that failed (paste
  # the calls into invariants/CryticToFoundry.t.sol as a test_replay_*).
  awk '/\[Call Sequence\]/{on=1} /\[Execution Trace\]/{on=0} on' "$log_dir/medusa.txt" | head -n 80
  grep -o 'PropertyFailed(.*' "$log_dir/medusa.txt" | head -n 5
  verdict "" medusa "$log_dir/medusa.txt" "$rc"
  ;;

echidna)
  if ! docker info >/dev/null 2>&1; then
    verdict "" skip echidna "no running Docker engine here"
  fi
  # The image has neither forge nor node: build on the host; Echidna's crytic-compile reads out-echidna/.
  build_info out-echidna cache-echidna
  if [ "$rc" -ne 0 ]; then summary "FAIL build failed (log: $log_dir/echidna-build.txt)"; exit 1; fi
  timeout_s="${ECHIDNA_TIMEOUT:-600}"
  run_logged "$log_dir/echidna.txt" fuzz docker run --rm -v "$ROOT":/src -w /src ghcr.io/crytic/echidna/echidna:latest \
    echidna . --contract Tester --config echidna.yaml --timeout "$timeout_s"
  grep -E 'echidna_|passing|failed|Unique|Total calls' "$log_dir/echidna.txt" | tail -n 30
  calls=$(grep -Eo 'Total calls: [0-9]+' "$log_dir/echidna.txt" | tail -n 1 | grep -Eo '[0-9]+' || echo 0)
  if [ "$rc" -eq 0 ] && ! grep -q 'failed' "$log_dir/echidna.txt"; then
    summary "PASS ${calls} calls in ${took} s ($(rate "${calls:-0}" "$took") calls/s)"
  else
    summary "FAIL exit $rc (log: $log_dir/echidna.txt)"
    exit 1
  fi
  ;;

*)
  echo "usage: bash invariants/engines.sh forge|medusa|echidna" >&2
  exit 2
  ;;
esac
