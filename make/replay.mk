# The crash replay (ts/replay/, docs/risk/README.md). Included by the Makefile through `-include make/*.mk`.
.PHONY: replay replay-setup replay-bench risk-report

replay-setup: ## Install what the replay's plots need (Debian's fonts-dejavu-core; skipped when present)
	@bash .ci/system-setup.sh fonts

replay: install replay-setup ## Replay a market series against the deployed system: REPLAY_ARGS="--series FILE --params FILE ..." (--help)
	@$(BIN)/tsx ts/replay/main.ts $(REPLAY_ARGS)

replay-bench: install replay-setup ## Speed benchmark: BAYC Jul-Sep 2022 (2,208 h), 50 loans, our defaults; prints market-hours/s
	@$(BIN)/tsx ts/replay/main.ts --loans 50 --out replay/out/bench --quiet $(REPLAY_ARGS)

risk-report: install replay-setup ## Regenerate docs/risk/ (both parameter sets on the real series, the sweep, the LTV frontier): RISK_ARGS="--parts ..."
	@$(BIN)/tsx ts/replay/risk.ts $(RISK_ARGS)
