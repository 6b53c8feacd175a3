#!/usr/bin/env bash
# The Debian packages the tests and tools need beyond npm, installed when missing (root with apt-get) in one apt-get
# call, skipped when present, and a clear line otherwise:
#   fonts-dejavu-core  the replay's and the status page's plots render text with DejaVu Sans (REPLAY_FONT overrides)
#   redis-server       the indexer's, oracle service's and monitor's tests run against a real redis-server
#   chromium           the monitor's status page is tested in a real headless browser (playwright-core drives it)
# Usage: bash .ci/system-setup.sh [fonts] [redis] [chromium]   (no argument: all three)
set -euo pipefail
if [ "${1:-}" = "--help" ] || [ "${1:-}" = "-h" ]; then
  sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//'
  exit 0
fi
font="${REPLAY_FONT:-/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf}"
wanted=("$@")
[ ${#wanted[@]} -eq 0 ] && wanted=(fonts redis chromium)
missing=()
for w in "${wanted[@]}"; do
  case "$w" in
    fonts) [ -f "$font" ] || missing+=(fonts-dejavu-core) ;;
    redis) command -v redis-server >/dev/null 2>&1 || missing+=(redis-server) ;;
    chromium) command -v chromium >/dev/null 2>&1 || missing+=(chromium) ;;
    *) echo "system-setup: unknown component '$w' (expected fonts, redis or chromium)" >&2; exit 2 ;;
  esac
done
# All present: nothing to do, nothing printed (so a command's --help through make prints only the help).
[ ${#missing[@]} -eq 0 ] && exit 0
if ! command -v apt-get >/dev/null 2>&1 || [ "$(id -u)" -ne 0 ]; then
  echo "system-setup: missing ${missing[*]}; install them as root (apt-get install -y ${missing[*]})" >&2
  exit 1
fi
echo "system-setup: installing ${missing[*]}"
timeout 600 apt-get update -qq >/dev/null || { echo "system-setup: apt-get update failed" >&2; exit 1; }
DEBIAN_FRONTEND=noninteractive timeout 900 apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
  || { echo "system-setup: apt-get install ${missing[*]} failed" >&2; exit 1; }
[ -f "$font" ] || [[ " ${wanted[*]} " != *" fonts "* ]] || { echo "system-setup: fonts-dejavu-core installed but $font is still missing" >&2; exit 1; }
echo "system-setup: installed ${missing[*]}"
