# The subgraph (subgraph/, docs/subgraph.md). Included by the Makefile through `-include make/*.mk`.
.PHONY: subgraph subgraph-abis subgraph-fixtures

SUBGRAPH_NETWORK ?= local

subgraph: install ## graph codegen && graph build of subgraph/ (offline) for SUBGRAPH_NETWORK of subgraph/networks.json (default local)
	@bash subgraph/scripts/build.sh $(SUBGRAPH_NETWORK)

subgraph-abis: build ## Re-extract subgraph/abis/*.json from the forge build and Seaport's artifacts (after an event changes)
	@$(BIN)/tsx subgraph/scripts/abis.ts

subgraph-fixtures: install ## Re-record subgraph/fixtures/seaport-fills.json: real Seaport 1.6 fills on an embedded anvil
	@$(BIN)/tsx subgraph/scripts/fixtures.ts
