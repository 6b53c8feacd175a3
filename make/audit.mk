# Audit tooling (issue #8). Included by the main Makefile (`-include make/*.mk`), so BIN, FORGE, STAMP and the
# `install` target come from there. Every target installs what it needs on first use.
#
# Python tools live in two project-local virtualenvs, because their pins conflict (docs/audit-tooling.md):
#   .venv/audit    slither-analyzer, crytic-compile, halmos   (audit/config/requirements-audit.txt)
#   .venv/mythril  mythril                                    (audit/config/requirements-mythril.txt)
# .venv/tools holds links to the tool entry points only. It goes on PATH instead of .venv/audit/bin, whose
# `solc` (solc-select, pulled in by crytic-compile) would otherwise shadow bin/solc's native-solc lookup and
# stall every compile on a network timeout.

AUDIT_PY      ?= python3
AUDIT_VENV    := .venv/audit
MYTH_VENV     := .venv/mythril
AUDIT_STAMP   := $(AUDIT_VENV)/.install-stamp
MYTH_STAMP    := $(MYTH_VENV)/.install-stamp
TSX           := $(BIN)/tsx
AUDIT_TS      := $(TSX) audit

.PHONY: audit-node venv slither mythril halmos coverage layout layout-check sizes-check sizes-snapshot audit audit-ci \
	audit-triage audit-summary audit-scope
# medusa-install, medusa and echidna live in make/invariants.mk with the rest of the invariant campaigns.

# --- installs -------------------------------------------------------------------------------------------------

# The audit targets need forge and tsx from node_modules: `install` (npm install, idempotent behind its stamp) puts
# them there, so every audit target works from a clean clone with nothing run before it.
audit-node: install

$(AUDIT_STAMP): audit/config/requirements-audit.txt
	@bash audit/venv.sh "$(AUDIT_PY)" $(AUDIT_VENV) audit/config/requirements-audit.txt
	@mkdir -p .venv/tools && for t in slither crytic-compile halmos; do ln -sf ../audit/bin/$$t .venv/tools/$$t; done
	@touch $@

$(MYTH_STAMP): audit/config/requirements-mythril.txt
	@bash audit/venv.sh "$(AUDIT_PY)" $(MYTH_VENV) audit/config/requirements-mythril.txt
	@mkdir -p .venv/tools $(MYTH_VENV)/solcx && ln -sf ../mythril/bin/myth .venv/tools/myth
	@# py-solc-x (mythril's compiler lookup) finds this "installed" 0.8.24 through SOLCX_BINARY_PATH and never
	@# downloads: it is our bin/solc (native solc when present, else solcjs).
	@printf '#!/usr/bin/env bash\nexec "%s/bin/solc" "$$@"\n' "$(CURDIR)" > $(MYTH_VENV)/solcx/solc-v0.8.24
	@chmod +x $(MYTH_VENV)/solcx/solc-v0.8.24
	@touch $@

venv: $(AUDIT_STAMP) $(MYTH_STAMP) ## Create the audit virtualenvs (.venv/audit, .venv/mythril) from the pinned requirements, once

# --- tools ----------------------------------------------------------------------------------------------------

slither: audit-node $(AUDIT_STAMP) ## Slither on src/; fails on any finding (every severity) no entry of audit/slither-triage.json covers
	@$(AUDIT_TS)/slither.ts

mythril: audit-node $(AUDIT_STAMP) $(MYTH_STAMP) ## Mythril on every concrete contract in src/ (bounded per contract); triage in audit/mythril-triage.json
	@$(AUDIT_TS)/mythril.ts

halmos: audit-node $(AUDIT_STAMP) ## Halmos symbolic proofs: only check_* functions (test/halmos/), bounded in time
	@$(AUDIT_TS)/halmos.ts

coverage: audit-node ## forge coverage on src/ only; fails under 95 % lines or 90 % branches
	@$(AUDIT_TS)/coverage.ts

layout: audit-node ## Rewrite snapshots/layout/ (storage layout of every Governed contract, incl. ERC-7201 structs)
	@$(AUDIT_TS)/layout.ts --write

layout-check: audit-node ## Fail when a storage layout change is not append-only (vs snapshots/layout/)
	@$(AUDIT_TS)/layout.ts

sizes-snapshot: audit-node ## Rewrite snapshots/sizes.json (runtime and initcode bytes of every concrete src/ contract)
	@$(AUDIT_TS)/sizes.ts --write

sizes-check: audit-node ## Fail above 24,576 runtime bytes or when a size differs from snapshots/sizes.json
	@$(AUDIT_TS)/sizes.ts

audit: audit-node ## From a clean clone: installs what it needs, runs every audit tool bounded, writes reports/<date>/SUMMARY.md
	@bash audit/steps.sh

audit-ci: audit-node ## The same run as CI: CI=true (SKIP is FAIL unless allowed), 20 min budget, gas and invariants left out
	@CI=true AUDIT_SKIP=$${AUDIT_SKIP:-gas,invariants} AUDIT_REPORT_DIR=$${AUDIT_REPORT_DIR:-reports/ci} bash audit/steps.sh

audit-summary: audit-node ## Rewrite SUMMARY.md of the last run (reports/<date>/, AUDIT_REPORT_DIR) without running any tool
	@$(AUDIT_TS)/summary.ts

audit-scope: audit-node ## Refresh AUDIT.md's generated parts (in-scope table with nSLOC, known issues) from the tree
	@$(AUDIT_TS)/scope.ts --write

audit-triage: audit-node ## Untriaged and code-changed Slither/Mythril findings of the last run (RUN=1 reruns, WRITE=1 adds entries, PIN=1 re-pins reviewed code)
	@$(AUDIT_TS)/retriage.ts $(if $(RUN),--run) $(if $(WRITE),--write) $(if $(PIN),--pin) $(if $(ONLY),--only $(ONLY))
