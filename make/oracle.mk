# The oracle service (ts/oracle/, docs/oracle-service.md). Included by the Makefile through `-include make/*.mk`.
.PHONY: oracle

oracle: install ## Run the oracle service against RPC_URL (state in REDIS_URL, else memory): ARGS="[--once] [--write-feeds] ..."; reporter key from ORACLE_REPORTER_PRIVATE_KEY, _KEY_FILE or _KEYSTORE
	@$(BIN)/tsx ts/oracle/main.ts $(ARGS)
