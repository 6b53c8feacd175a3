#!/usr/bin/env bash
# Set-up for the crash replay's plots (make replay, make risk-report, the replay test): resvg is given the DejaVu Sans
# font file explicitly, from Debian's fonts-dejavu-core, so text renders the same on every machine. Installs it when
# missing (root with apt-get), skips when present, and fails with one clear line otherwise.
set -euo pipefail
font="${REPLAY_FONT:-/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf}"
# Present: nothing to do, nothing printed (so `make replay REPLAY_ARGS=--help` prints only the help).
[ -f "$font" ] && exit 0
if ! command -v apt-get >/dev/null 2>&1 || [ "$(id -u)" -ne 0 ]; then
  echo "replay-setup: $font is missing; install Debian's fonts-dejavu-core (apt-get install -y fonts-dejavu-core, as root) or set REPLAY_FONT to a TTF file" >&2
  exit 1
fi
echo "replay-setup: installing fonts-dejavu-core"
timeout 600 apt-get update -qq >/dev/null || { echo "replay-setup: apt-get update failed" >&2; exit 1; }
DEBIAN_FRONTEND=noninteractive timeout 600 apt-get install -y -qq fonts-dejavu-core >/dev/null \
  || { echo "replay-setup: apt-get install fonts-dejavu-core failed" >&2; exit 1; }
[ -f "$font" ] || { echo "replay-setup: fonts-dejavu-core installed but $font is still missing" >&2; exit 1; }
echo "replay-setup: font installed ($font)"
