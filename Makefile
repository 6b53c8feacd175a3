# Every target installs what it needs on first use. `make` alone lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help
-include .env

BIN   := $(CURDIR)/node_modules/.bin
FORGE := $(CURDIR)/bin/forge
export PATH := $(BIN):$(PATH)
STAMP := node_modules/.install-stamp

.PHONY: help install build test test-sol test-ts fmt fmt-check gas gas-check sizes demo bench clean

help: ## List every target with one line each
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z0-9_-]+:.*## / {printf "  \033[36m%-14s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(STAMP): package.json package-lock.json
	@node ts/preflight.mjs node
	@# `npm install`, not `npm ci`: the lockfile npm writes here lists only this platform's optional forge/anvil/cast
	@# binaries, and `npm ci` refuses such a lockfile. `npm install` follows the lockfile and leaves it unchanged.
	@# A registry download can stall without ever timing out (seen here: one tarball hung for 10+ minutes), so each
	@# attempt is bounded and a stalled or failed one is retried, three attempts in all.
	@for i in 1 2 3; do \
	  timeout --kill-after=10 600 npm install --no-audit --no-fund --loglevel=error --fetch-timeout=120000 --fetch-retries=4 && break; \
	  if [ $$i -eq 3 ]; then echo "make install: 'npm install' failed 3 times: check that the npm registry is reachable, then run 'make install' again" >&2; exit 1; fi; \
	  echo "make install: 'npm install' attempt $$i failed or stalled (10 min bound); retrying" >&2; \
	done
	@touch $(STAMP)

install: $(STAMP) ## Install the pinned toolchain and libraries from npm (idempotent)
	@node ts/preflight.mjs all

build: install ## Compile every contract (prints which solc is used)
	@bin/solc --which
	@$(FORGE) build

test: install replay-setup ## Run every test: forge unit/fuzz, gas snapshots (isolated transactions), then the TypeScript suite
	@bin/solc --which
	@$(FORGE) test
	@FORGE_SNAPSHOT_CHECK=$${FORGE_SNAPSHOT_CHECK:-$${CI:-false}} FOUNDRY_PROFILE=gas $(FORGE) test
	@FOUNDRY_PROFILE=invariants FOUNDRY_INVARIANT_RUNS=$${INVARIANT_RUNS:-100} $(FORGE) test
	@$(BIN)/tsc --noEmit -p . && echo "tsc: the TypeScript tooling type-checks"
	@$(BIN)/vitest run

test-sol: install ## Run the forge tests only (no gas snapshots)
	@$(FORGE) test

test-ts: install replay-setup ## Type-check and run the TypeScript tests only
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
