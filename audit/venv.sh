#!/usr/bin/env bash
# Creates one audit virtualenv and installs its pinned requirements: audit/venv.sh PYTHON VENV REQUIREMENTS.
# Called by make/audit.mk (stamp files make it run once per change of the requirements file).
set -euo pipefail
py="$1"; venv="$2"; req="$3"
command -v "$py" >/dev/null || { echo "audit venv: '$py' not found: install Python 3.11 (mythril 0.24 needs <= 3.11)" >&2; exit 1; }
ver="$("$py" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
case "$ver" in
  3.10|3.11) ;;
  *) echo "audit venv: $py is Python $ver; the pins in $req were made on 3.11 (mythril needs <= 3.11): set AUDIT_PY=python3.11" >&2; exit 1 ;;
esac
start=$SECONDS
echo "audit venv: creating $venv from $req with Python $ver (first time: ~20 s for .venv/audit, ~90 s for .venv/mythril)"
[ -x "$venv/bin/python" ] || "$py" -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$req" \
  || { echo "audit venv: pip install -r $req failed: check that PyPI is reachable, then run 'make venv' again" >&2; exit 1; }
echo "audit venv: $venv ready in $((SECONDS - start)) s"
