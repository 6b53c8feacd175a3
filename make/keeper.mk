# The liquidation keeper (ts/keeper/, docs/liquidation.md "The keeper"). Included by the Makefile through `-include make/*.mk`.
.PHONY: keeper bench-keeper

keeper: install ## Run the liquidation keeper against RPC_URL: KEEPER_ARGS="--pool 0x... [--once]"; key from KEEPER_PRIVATE_KEY, KEEPER_KEY_FILE or KEEPER_KEYSTORE
	@$(BIN)/tsx ts/keeper/main.ts $(KEEPER_ARGS)

bench-keeper: install ## Benchmark the keeper on an embedded anvil: passes over 1,000 loans (bound 5 s) and a crash of 1,000 auction starts; BENCH_ARGS="--loans N"
	@$(BIN)/tsx ts/bench/keeper.ts $(BENCH_ARGS)
