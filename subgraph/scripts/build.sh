#!/usr/bin/env bash
# `make subgraph`: graph codegen && graph build for one network of subgraph/networks.json (default local), offline.
# graph-cli's --network rewrites subgraph.yaml in place (and re-serialises it without its comments), and
# scripts/networks.ts rewrites src/config.ts for the network: both are put back on exit, so the tree stays as
# committed and build/ holds the network's manifest and WASM (what `graph deploy` uploads).
#   bash subgraph/scripts/build.sh [NETWORK]
set -euo pipefail
for a in "$@"; do
  if [ "$a" = "--help" ] || [ "$a" = "-h" ]; then
    echo "usage: bash subgraph/scripts/build.sh [NETWORK] [--help]   (make subgraph; graph codegen && graph build into subgraph/build; NETWORK from subgraph/networks.json, default local)"
    exit 0
  fi
done
# Bad input is one line and status 2, before anything runs (a flag is never taken for a network name).
case "${1:-}" in -*) echo "subgraph: unknown argument $1 (--help lists the options)" >&2; exit 2 ;; esac
if [ $# -gt 1 ]; then echo "subgraph: unexpected argument $2 (--help lists the options)" >&2; exit 2; fi
cd "$(dirname "$0")/.."
root="$(cd .. && pwd)"
network="${1:-local}"
graph="$root/node_modules/.bin/graph"
tsx="$root/node_modules/.bin/tsx"
[ -x "$graph" ] || { echo "subgraph: graph-cli is not installed: run 'make install'" >&2; exit 1; }
keep=$(mktemp -d)
cp subgraph.yaml src/config.ts "$keep/"
restore() { cp "$keep/subgraph.yaml" subgraph.yaml; cp "$keep/config.ts" src/config.ts; rm -rf "$keep"; }
trap restore EXIT
"$tsx" scripts/networks.ts --network "$network"
rm -rf build generated
"$graph" codegen subgraph.yaml --output-dir generated --skip-migrations >"$keep/codegen.log" 2>&1 || { cat "$keep/codegen.log"; exit 1; }
"$graph" build subgraph.yaml --output-dir build --skip-migrations --network "$network" --network-file networks.json >"$keep/build.log" 2>&1 \
  || { cat "$keep/build.log"; exit 1; }
wasm=$(find build -name '*.wasm' | wc -l)
echo "subgraph: graph codegen && graph build passed for network $network ($wasm WASM module, $(du -sk build | cut -f1) kB in subgraph/build)"
