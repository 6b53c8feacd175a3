# The monitor (ts/monitor/, docs/monitor.md): alert rules over a deployment's events and state, and its status page.
# Included by the Makefile through `-include make/*.mk`.
.PHONY: monitor status

monitor: install ## Watch deployments/<chainId>.json at RPC_URL and alert: ARGS="[--config rules.json] [--once] ..." (REDIS_URL optional)
	@$(BIN)/tsx ts/monitor/main.ts $(ARGS)

status: install ## Serve the read-only status page of deployments/<chainId>.json at RPC_URL on a free local port: ARGS="[--port N] ..."
	@$(BIN)/tsx ts/monitor/status.ts $(ARGS)
