#!/usr/bin/env bash
# Runs a command and, whenever it has printed nothing for 15 s, prints one progress line: its name, the time elapsed
# and, for a forge step, how many files it is compiling (forge's own count). No step of `make install` or
# `make test` is silent for longer than HEARTBEAT_S (15) seconds.
#   bash .ci/heartbeat.sh <name> [--log FILE] [--quiet] -- <command> [args...]
#     --log FILE   also write the command's output to FILE
#     --quiet      the output goes to FILE only (the terminal gets the heartbeat and the exit status)
# Exit status: the command's.
set -uo pipefail
name="$1"; shift
log=""; quiet=0
while [ $# -gt 0 ] && [ "$1" != "--" ]; do
  case "$1" in
    --log) log="$2"; shift 2 ;;
    --quiet) quiet=1; shift ;;
    *) echo "heartbeat: unknown argument $1" >&2; exit 2 ;;
  esac
done
[ "${1:-}" = "--" ] && shift
[ $# -gt 0 ] || { echo "heartbeat: no command given" >&2; exit 2; }
every="${HEARTBEAT_S:-15}"
[ -n "$log" ] || log="$(mktemp)"
mkdir -p "$(dirname "$log")" && : > "$log"
stamp="$(mktemp)"
t0=$(date +%s)

mtime() { stat -c %Y "$1" 2>/dev/null || stat -f %m "$1"; }

(
  while sleep "$every"; do
    now=$(date +%s)
    [ $(( now - $(mtime "$stamp") )) -ge $(( every - 1 )) ] || continue
    files=$(grep -Eo 'Compiling [0-9]+ files' "$log" 2>/dev/null | tail -n 1 | grep -Eo '[0-9]+')
    extra=""
    [ -n "$files" ] && ! grep -q 'Compiler run\|No files changed' "$log" 2>/dev/null && extra=", compiling $files files (solcjs is slow: minutes)"
    echo "[$name] still running: $(( now - t0 )) s elapsed${extra}"
    touch "$stamp"
  done
) &
beat=$!
trap 'kill "$beat" 2>/dev/null' EXIT

if [ "$quiet" = 1 ]; then
  "$@" > "$log" 2>&1
  status=$?
else
  "$@" 2>&1 | while IFS= read -r line; do printf '%s\n' "$line"; printf '%s\n' "$line" >> "$log"; touch "$stamp"; done
  status=${PIPESTATUS[0]}
fi
kill "$beat" 2>/dev/null
wait "$beat" 2>/dev/null
exit "$status"
