# meshmart — every target a user or CI runs. `make help` lists them.
# npm scripts put the pinned Node 24 (the `node` devDependency) first on PATH,
# so targets go through `npm run`/`npm exec` rather than the machine's node.

SHELL := bash
.DEFAULT_GOAL := help
NPM := npm --silent
ARGS ?=

.PHONY: help
help: ## List every target
	@grep -hE '^[a-z][a-zA-Z0-9_-]*:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  \033[36m%-16s\033[0m %s\n", $$1, $$2}'

node_modules/.install-stamp: package.json package-lock.json $(wildcard */package.json services/*/package.json)
	npm ci --no-fund --no-audit
	@touch $@

.PHONY: install
install: node_modules/.install-stamp ## Install dependencies (npm ci), Node 24 included

.PHONY: gen
gen: install ## Regenerate TypeScript from services/proto with buf
	$(NPM) run gen

.PHONY: dev
dev: install ## Run Postgres, Kafka and every service locally, in the foreground
	$(NPM) run dev -- $(ARGS)

.PHONY: test
test: install ## Type-check, lint and run the whole suite against real Postgres and Kafka
	$(NPM) run typecheck
	$(NPM) run lint
	$(NPM) run test -- $(ARGS)

.PHONY: typecheck
typecheck: install ## Type-check the whole workspace (tsc --noEmit)
	$(NPM) run typecheck

.PHONY: lint
lint: install ## Lint TypeScript (eslint) and protos (buf lint)
	$(NPM) run lint

.PHONY: infra-up
infra-up: install ## Start local Postgres and Kafka only (data in .local/dev)
	$(NPM) run infra -- up

.PHONY: infra-down
infra-down: install ## Stop local Postgres and Kafka
	$(NPM) run infra -- down

.PHONY: clean
clean: ## Remove local data, caches and build output (keeps node_modules)
	rm -rf .local dist cdk8s/dist
