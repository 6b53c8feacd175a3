# Invariant campaigns (issue #7): one harness (invariants/Tester.sol) under forge, medusa and Echidna, the mutation
# check, and the bounded CI step. Included by the main Makefile (`-include make/*.mk`): FORGE, STAMP and `install`
# come from there; `.venv/audit/.install-stamp` (crytic-compile, which medusa compiles through) from make/audit.mk.
# invariants/README.md has the property list, the engines' numbers and the mutant results.

MEDUSA        := .venv/tools/medusa
MEDUSA_STAMP  := .venv/tools/.medusa-$(shell sed -n 's/^\s*github.com\/crytic\/medusa \(v[0-9.]*\).*/\1/p' invariants/medusa/go.mod 2>/dev/null)

.PHONY: invariant medusa-install medusa echidna mutants invariant-ci

invariant: install ## Invariant campaign under forge + the replay tests (INVARIANT_RUNS, default 1,000 runs x 32 calls)
	@bash invariants/engines.sh forge

# `go install github.com/crytic/medusa@vX` fails through the Go module proxy here (403 on the version list it reads
# for deprecation checks), so invariants/medusa/go.mod pins the version and this builds it (docs/audit-tooling.md).
$(MEDUSA_STAMP): invariants/medusa/go.mod invariants/medusa/go.sum
	@command -v go >/dev/null || { echo "medusa-install: Go is not on PATH: install Go >= 1.25" >&2; exit 1; }
	@echo "medusa: building the pinned version from invariants/medusa (first time ~75 s: module download + compile)"
	@mkdir -p .venv/tools && cd invariants/medusa && go build -o ../../$(MEDUSA) github.com/crytic/medusa
	@rm -f .venv/tools/.medusa-* && touch $@
	@$(MEDUSA) --version

medusa-install: $(MEDUSA_STAMP) ## Build the pinned medusa fuzzer into .venv/tools/medusa (Go module proxy)

medusa: install ## Invariant campaign under medusa (medusa.json; MEDUSA_TIMEOUT seconds, default 600)
	@bash invariants/engines.sh medusa

echidna: install ## Invariant campaign under Echidna in Docker (echidna.yaml); one clear line where Docker is missing
	@bash invariants/engines.sh echidna

mutants: install ## Mutation check: each hand-made core mutant must make the forge campaign fail (MUTANT_RUNS, --only)
	@$(BIN)/tsx invariants/mutants/run.ts $(if $(only),--only $(only),)

invariant-ci: install ## What CI runs: bounded forge, medusa and Echidna campaigns with a summary (.ci/invariant-steps.sh)
	@bash .ci/invariant-steps.sh
