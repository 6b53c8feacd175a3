# The Seaport sales indexer (ts/indexer/, docs/indexer.md). Included by the Makefile through `-include make/*.mk`.
.PHONY: indexer indexer-bench

indexer: install ## Index Seaport 1.6 sales into Redis (REDIS_URL) or memory: ARGS="--rpc <url> --collections a,b --asset 0x.. [--once]"
	@$(BIN)/tsx ts/indexer/main.ts $(ARGS)

indexer-bench: install ## Benchmark the indexer on an embedded anvil + redis-server: 10,000 real Seaport sales backfilled, live delay, restart; BENCH_ARGS="--sales N"
	@$(BIN)/tsx ts/bench/indexer.ts $(BENCH_ARGS)
