# Every target installs what it needs on first use. `make` alone lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help
# A .env file next to this Makefile, if present, is read (make syntax: `KEY=value` lines; git-ignored) and every
# variable it sets is exported to every command. It is how RPC_URL, keys and the deployment configuration reach
# `make deploy`, `make demo` and `make keeper` without typing them, so a forgotten .env points a target at a real
# network: `make env` lists what it sets (docs/deployment.md, "The `.env` file").
-include .env
ENV_VARS := $(shell sed -n 's/^[[:space:]]*\(export[[:space:]]\{1,\}\)\{0,1\}\([A-Za-z_][A-Za-z0-9_]*\)[[:space:]]*[:?+]\{0,1\}=.*/\2/p' .env 2>/dev/null)
export $(ENV_VARS)

BIN   := $(CURDIR)/node_modules/.bin
FORGE := $(CURDIR)/bin/forge
export PATH := $(BIN):$(PATH)
STAMP := node_modules/.install-stamp

.PHONY: env help system-setup install build test test-sol test-fork test-fork-anvil test-ts fmt fmt-check gas gas-check sizes demo bench clean

env: ## List the variables .env sets for every target (names only; values stay out of the terminal)
	@if [ -f .env ]; then echo "make: .env sets $(or $(ENV_VARS),nothing)"; else echo "make: no .env file: targets see only the environment"; fi

# Colour only on a terminal; the name column as wide as the longest target name.
help: ## List every target with one line each
	@if [ -t 1 ] && [ -z "$${NO_COLOR:-}" ]; then on=$$'\033[36m'; off=$$'\033[0m'; else on=; off=; fi; \
	awk -v on="$$on" -v off="$$off" 'BEGIN {FS = ":.*## "} /^[a-zA-Z0-9_-]+:.*## / {n[++k] = $$1; d[k] = $$2; if (length($$1) > w) w = length($$1)} \
	  END {for (i = 1; i <= k; i++) printf "  %s%-*s%s  %s\n", on, w, n[i], off, d[i]}' $(MAKEFILE_LIST)

$(STAMP): package.json package-lock.json
	@node ts/preflight.mjs node
	@# The committed lockfile lists the forge/anvil/cast binaries of every platform, as npm 11 writes it (one written
	@# with some platforms missing is completed, +535 lines, by the first install): `npm install` leaves it unchanged,
	@# which .ci/run checks with `git diff --exit-code` after installing.
	@# A registry download can stall without ever timing out (seen here: one tarball hung for 10+ minutes), so each
	@# attempt is bounded and a stalled or failed one is retried, three attempts in all.
	@for i in 1 2 3; do \
	  bash .ci/heartbeat.sh "npm install" -- timeout --kill-after=10 600 npm install --no-audit --no-fund --loglevel=error --fetch-timeout=120000 --fetch-retries=4 && break; \
	  if [ $$i -eq 3 ]; then echo "make install: 'npm install' failed 3 times: check that the npm registry is reachable, then run 'make install' again" >&2; exit 1; fi; \
	  echo "make install: 'npm install' attempt $$i failed or stalled (10 min bound); retrying" >&2; \
	done
	@touch $(STAMP)

system-setup: ## Install the Debian packages tests need when missing: fonts-dejavu-core, redis-server, chromium (.ci/system-setup.sh)
	@bash .ci/system-setup.sh

install: $(STAMP) ## Install the pinned toolchain and libraries from npm (idempotent)
	@node ts/preflight.mjs all

build: install ## Compile every contract (prints which solc is used)
	@bin/solc --which
	@$(FORGE) build

test: install system-setup ## Every test: forge unit/fuzz, gas snapshots, invariants, tsc, vitest; ends with "N passed, M failed"
	@bash .ci/test-steps.sh

test-sol: install ## Run the forge tests only (no gas snapshots)
	@$(FORGE) test

test-fork: install ## Fork tests (test/fork/): real mainnet at a pinned block with ETH_RPC_URL=..., else the local replica (docs/fork-tests.md)
	@if [ -n "$${ETH_RPC_URL:-}" ]; then echo "test-fork: forking mainnet (ETH_RPC_URL set) at $${FORK_BLOCK:-the pinned block, test/fork/ForkBase.sol}"; \
	else echo "test-fork: no ETH_RPC_URL: the replica of the mainnet contracts, built locally"; fi
	@$(FORGE) test --match-path 'test/fork/*' -vv

test-fork-anvil: install ## The fork tests' fork mode without mainnet: against a local anvil (chain id 1) holding the replica
	@bash test/fork/replica-anvil.sh

test-ts: install system-setup ## Type-check and run the TypeScript tests only
	@$(BIN)/tsc --noEmit -p .
	@$(BIN)/vitest run

fmt: install ## Format Solidity sources
	@$(FORGE) fmt

fmt-check: install ## Fail when a Solidity source is not formatted
	@$(FORGE) fmt --check

gas: install ## Re-measure and write the gas snapshots in snapshots/
	@FOUNDRY_PROFILE=gas $(FORGE) test

gas-check: install ## Fail when a gas snapshot differs from the committed one
	@FORGE_SNAPSHOT_CHECK=true FOUNDRY_PROFILE=gas $(FORGE) test

sizes: install ## Print deployed bytecode sizes (fails above the 24,576-byte limit)
	@$(FORGE) build --sizes --skip test --skip script

demo: install ## The main job: deploy the whole protocol on a local anvil and drive a real scenario
	@$(BIN)/tsx ts/demo/main.ts

bench: install ## Benchmark the toolchain: cold install, compile with solcjs and with native solc when present
	@$(BIN)/tsx ts/bench/toolchain.ts

clean: ## Remove build outputs (keeps node_modules)
	@rm -rf out cache

-include make/*.mk
