#!/usr/bin/env bash
# The fork tests' real-fork mode, exercised without a mainnet RPC: starts an anvil with chain id 1 on a free loopback
# port, builds the same replica there as ForkBase builds in-process (each creation code run AT its mainnet address,
# then the runtime set), mints the apes the tests take from holders, and runs test/fork/ with ETH_RPC_URL pointing at
# it, so createSelectFork, the holder transfers and the mocked feed rounds run as they would against mainnet.
set -euo pipefail
if [ "${1:-}" = "--help" ] || [ "${1:-}" = "-h" ] || [ "${2:-}" = "--help" ] || [ "${2:-}" = "-h" ]; then
  cat <<'USAGE'
usage: test/fork/replica-anvil.sh [--help]
  Runs `forge test --match-path 'test/fork/*'` in fork mode against a local anvil (chain id 1) that holds the replica
  of Seaport 1.6, its ConduitController, Safe 1.4.1, WETH9, the BAYC floor feed and BAYC at their mainnet addresses.
  Needs no network. The anvil is started on a free loopback port and stopped (by PID) at the end.
  Make target: `make test-fork-anvil`.
USAGE
  exit 0
fi
[ $# -eq 0 ] || case "$1" in
  -*) echo "replica-anvil: unknown argument $1 (--help lists the options)" >&2; exit 2 ;;
  *) echo "replica-anvil: unexpected argument $1 (--help lists the options)" >&2; exit 2 ;;
esac
cd "$(dirname "$0")/../.."
FORGE="$PWD/bin/forge"; CAST="$PWD/bin/cast"; ANVIL="$PWD/bin/anvil"

SEAPORT=0x0000000000000068F116a894984e2DB1123eB395
CONDUIT_CONTROLLER=0x00000000F9490004C11Cef243f5400493c00Ad63
SAFE_SINGLETON=0x41675C099F32341bf84BFc5382aF534df5C7461a
SAFE_PROXY_FACTORY=0x4e1DCf7AD4e460CfD30791CCC4F9c8a4f820ec67
SAFE_FALLBACK_HANDLER=0xfd0732Dc9E303f09fCEf3a7388Ad10A83459Ec99
WETH9=0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2
BAYC=0xBC4CA0EdA7647A8aB7C2061c2E118A18a936f13D
BAYC_FLOOR_FEED=0x352f2Bc3039429fC2fe62004a1575aE74001CfcE
SEAPORT_ARTIFACTS=node_modules/@opensea/seaport-js/src/artifacts/seaport/contracts
SAFE_ARTIFACTS=node_modules/@safe-global/safe-contracts/build/artifacts/contracts

# The feed's and BAYC's forge artifacts (compiled with the fork tests).
"$FORGE" build test/fork/MainnetFlows.t.sol >/dev/null

# hexfield <json file> <js path>: a hex string field of a JSON file, with 0x.
hexfield() { node -e 'const j=require(require("path").resolve(process.argv[1])); let v=eval("j"+process.argv[2]); if(typeof v!=="string"){v=v.object} process.stdout.write(v.startsWith("0x")?v:"0x"+v)' "$1" "$2"; }

port=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
"$ANVIL" --port "$port" --host 127.0.0.1 --chain-id 1 --hardfork cancun --silent &
anvil_pid=$!
trap 'kill "$anvil_pid" 2>/dev/null; wait "$anvil_pid" 2>/dev/null || true' EXIT
RPC="http://127.0.0.1:$port"
for _ in $(seq 1 100); do "$CAST" chain-id --rpc-url "$RPC" >/dev/null 2>&1 && break; sleep 0.1; done
FROM=0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266 # anvil's first (unlocked) account

# construct_at <address> <creation code with constructor arguments>: the constructor runs at the address (a call to
# the creation code as the account's code), its storage is kept, then the returned runtime replaces the code.
construct_at() {
  "$CAST" rpc --rpc-url "$RPC" anvil_setCode "$1" "$2" >/dev/null
  local runtime
  runtime=$("$CAST" call --rpc-url "$RPC" "$1" 0x)
  "$CAST" send --rpc-url "$RPC" --unlocked --from "$FROM" "$1" 0x >/dev/null
  "$CAST" rpc --rpc-url "$RPC" anvil_setCode "$1" "$runtime" >/dev/null
}

construct_at "$CONDUIT_CONTROLLER" "$(hexfield "$SEAPORT_ARTIFACTS/conduit/ConduitController.sol/LocalConduitController.json" .bytecode)"
construct_at "$SEAPORT" "$(hexfield "$SEAPORT_ARTIFACTS/Seaport.sol/Seaport.json" .bytecode)$("$CAST" abi-encode 'f(address)' "$CONDUIT_CONTROLLER" | cut -c3-)"
construct_at "$SAFE_SINGLETON" "$(hexfield "$SAFE_ARTIFACTS/Safe.sol/Safe.json" .bytecode)"
construct_at "$SAFE_PROXY_FACTORY" "$(hexfield "$SAFE_ARTIFACTS/proxies/SafeProxyFactory.sol/SafeProxyFactory.json" .bytecode)"
construct_at "$SAFE_FALLBACK_HANDLER" "$(hexfield "$SAFE_ARTIFACTS/handler/CompatibilityFallbackHandler.sol/CompatibilityFallbackHandler.json" .bytecode)"
construct_at "$WETH9" "$(hexfield node_modules/@uniswap/v2-periphery/build/WETH9.json .evm.bytecode)"
construct_at "$BAYC_FLOOR_FEED" "$(hexfield out/MockV3Aggregator.sol/MockV3Aggregator.json .bytecode)$("$CAST" abi-encode 'f(uint8,int256)' 18 14000000000000000000 | cut -c3-)"
construct_at "$BAYC" "$(hexfield out/LocalAssets.sol/DemoApes.json .bytecode)"
# The apes ForkBase._giveApe takes from their holders (ids from 1000; no flow uses more than 16).
holder=0x70997970C51812dc3A010C7d01b50e0d17dc79C8
for id in $(seq 1000 1015); do
  "$CAST" send --rpc-url "$RPC" --unlocked --from "$FROM" "$BAYC" 'mint(address,uint256)' "$holder" "$id" >/dev/null
done
block=$("$CAST" block-number --rpc-url "$RPC")
echo "replica-anvil: replica on anvil (chain id 1, $RPC), forking it at block $block"
ETH_RPC_URL="$RPC" FORK_BLOCK="$block" "$FORGE" test --match-path 'test/fork/*' -vv
