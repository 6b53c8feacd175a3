# Governance and deployment (issue #6). Included by the main Makefile (`-include make/*.mk`): BIN, FORGE and the
# `install` target come from there. Keys come from the environment or a foundry keystore, never from the command line
# (docs/deployment.md).

.PHONY: deploy upgrade-propose upgrade-execute verify-deployment bindings

deploy: install ## Deploy Safe + timelock + every proxy (RPC_URL, or a throwaway embedded anvil), verify, write deployments/<chainId>.json (DEPLOY_ARGS="--force|--resume")
	@$(BIN)/tsx ts/deploy/deploy.ts $(DEPLOY_ARGS)

upgrade-propose: install ## Safe schedules an upgrade of CONTRACT=<LendingPool|Valuation|TraitPricer|DutchAuction> (layout gate first)
	@$(BIN)/tsx ts/deploy/upgrade.ts propose "$(CONTRACT)"

upgrade-execute: install ## After the delay, Safe executes the upgrade of CONTRACT to UPGRADE_IMPLEMENTATION; updates deployments/
	@$(BIN)/tsx ts/deploy/upgrade.ts execute "$(CONTRACT)"

verify-deployment: install ## Re-verify deployments/<chainId>.json against the chain at RPC_URL
	@$(BIN)/tsx ts/deploy/verify.ts

bindings: install ## Regenerate ts/generated/contracts.ts (typed ABIs) with @wagmi/cli from the forge artifacts
	@$(FORGE) build
	@$(BIN)/wagmi generate
