# The liquidation keeper (ts/keeper/, README "Keeper"). Included by the Makefile through `-include make/*.mk`.
.PHONY: keeper

keeper: install ## Run the liquidation keeper against RPC_URL: KEEPER_ARGS="--pool 0x... [--once]"; key from KEEPER_PRIVATE_KEY, KEEPER_KEY_FILE or KEEPER_KEYSTORE
	@$(BIN)/tsx ts/keeper/main.ts $(KEEPER_ARGS)
