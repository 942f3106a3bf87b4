# meshmart — every target a user or CI runs. `make help` lists them.
# npm scripts put the pinned Node 24 (the `node` devDependency) first on PATH,
# so targets go through `npm run`/`npm exec` rather than the machine's node.

SHELL := bash
.DEFAULT_GOAL := help
NPM := npm --silent
ARGS ?=
# kafkajs 2.2.4 trips a harmless Node 24 warning (TimeoutNegativeWarning) in every process that uses it.
export NODE_OPTIONS += --disable-warning=TimeoutNegativeWarning

.PHONY: help
help: ## List every target
	@grep -hE '^[a-z][a-zA-Z0-9_-]*:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  \033[36m%-16s\033[0m %s\n", $$1, $$2}'

node_modules/.install-stamp: package.json package-lock.json $(wildcard */package.json services/*/package.json)
	npm ci --no-fund --no-audit --loglevel=error
	@touch $@

.PHONY: install
install: node_modules/.install-stamp ## Install dependencies (npm ci), Node 24 included

.PHONY: gen
gen: install ## Regenerate TypeScript from services/proto with buf
	$(NPM) run gen

.PHONY: dev
dev: install ## Run Postgres, Kafka, Jaeger, Prometheus and every service locally, in the foreground (ARGS="--no-jaeger --no-prometheus"; "--profile perf --port-base 27100" for a second stack)
	$(NPM) run dev -- $(ARGS)

.PHONY: test
test: install ## Type-check, lint, the whole suite on real Postgres, Kafka, an API server and real pods (ARGS=<path filter>)
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

.PHONY: token
token: install ## Print a dev JWT for the gateway (ARGS="--sub <customer> --ttl 1h"; --context <ctx> for a deployed cluster)
	@$(NPM) exec -- tsx scripts/token.ts $(ARGS)

.PHONY: demo
demo: install ## Place a batch of orders through the gateway (make dev, or ARGS="--context <ctx>"), wait for rest, print outcomes, verify
	$(NPM) exec -- tsx services/e2e/src/demo.ts $(ARGS)

.PHONY: verify
verify: install ## Check the seven invariants against the running system (make dev, or ARGS="--context <ctx>"; exit 1 on any failure)
	$(NPM) exec -- tsx services/e2e/src/verify.ts $(ARGS)

.PHONY: rebuild-projection
rebuild-projection: install ## Rebuild the order-history projection from the start of its topics, printing progress until its lag is 0 (make dev, or ARGS="--url http://host:port")
	$(NPM) exec -- tsx services/history/src/rebuild-projection.ts $(ARGS)

.PHONY: load
load: install ## Open-loop order load through the gateway (ARGS="--rate 50 --duration 30s [--arrival poisson] [--context <ctx>]"; --help)
	$(NPM) exec -- tsx services/e2e/src/load/main.ts $(ARGS)

.PHONY: load-job
load-job: install ## The load generator as a Kubernetes Job -> cdk8s/dist/load-job.yaml (ARGS="--rate 50 --duration 60s"; off by default, see cdk8s/src/load-generator-job.ts)
	$(NPM) exec -- tsx cdk8s/src/load-job-main.ts $(ARGS)

.PHONY: trace-saga
trace-saga: install ## Place one order and print its saga hop by hop from the databases' timestamps (ARGS="--gateway URL --database-url URL --count N")
	$(NPM) exec -- tsx scripts/bench/saga-trace.ts $(ARGS)

.PHONY: bench
bench: install ## Every benchmark (RPC, events, the two Kafka clients and their recovery, sagas, overload, memory) -> .local/bench/results.json, report.md, report.html (ARGS="--sections rpc,events --quick"); then bench-hostile and bench-tracing
	$(NPM) exec -- tsx scripts/bench/main.ts $(ARGS)
	$(MAKE) --no-print-directory bench-hostile ARGS=
	$(MAKE) --no-print-directory bench-tracing ARGS=

.PHONY: bench-events
bench-events: install ## Events/s and latency through outbox -> relay -> Kafka -> consumer, beside raw Kafka and Postgres
	$(NPM) exec -- tsx scripts/bench/events.ts $(ARGS)

.PHONY: bench-tracing
bench-tracing: install ## Tracing's cost on the RPC path: the same call with no spans, spans not exported, spans exported to a local Jaeger
	$(NPM) exec -- tsx scripts/bench/tracing.ts $(ARGS)

.PHONY: bench-hostile
bench-hostile: install ## Memory a service holds under hostile clients with the default limits (docs/limits.md)
	$(NPM) exec -- tsx scripts/bench/hostile-memory.ts $(ARGS)

.PHONY: clean
clean: ## Stop local PostgreSQL and Kafka of every profile, then remove .local and build output (keeps node_modules)
	-@if [ -d node_modules ]; then for profile in dev test test-outage bench scenarios; do $(NPM) run infra -- down --profile $$profile; done; fi
	rm -rf .local cdk8s/dist services/*/dist

# --- Kubernetes (kind, Istio, cdk8s) ---
# The scripts take --dry-run (print every command in order, run none):
#   make deploy ARGS=--dry-run      (or DRY_RUN=1 make deploy)
# See docs/kubernetes.md.

.PHONY: synth
synth: install ## Synthesize the Kubernetes + Istio manifests (cdk8s) into cdk8s/dist/
	$(NPM) run synth

.PHONY: observability
observability: install ## Regenerate services/observability/ (the Prometheus rules file, the Grafana dashboards to import) from its code
	$(NPM) run generate -w @meshmart/observability

.PHONY: chart
chart: install ## Regenerate the Helm chart charts/meshmart from the synth
	$(NPM) run chart -w @meshmart/cdk8s

.PHONY: images
images: install ## Build every service image (docker, else podman; ARGS="--load kind|containerd|registry"; --dry-run)
	bash scripts/images.sh $(ARGS)

.PHONY: deploy
deploy: install ## Deploy: a kind cluster by default, ARGS="--context <ctx>" for an existing one (--dry-run prints the plan)
	bash scripts/deploy.sh $(ARGS)

.PHONY: cluster-up
cluster-up: install ## Start a single-node Kubernetes of real processes here (context meshmart-local; needs root)
	$(NPM) exec -- tsx scripts/cluster/src/main.ts up $(ARGS)

.PHONY: cluster-down
cluster-down: install ## Stop the local cluster and remove everything it made (also after a crash)
	$(NPM) exec -- tsx scripts/cluster/src/main.ts down $(ARGS)

.PHONY: cluster-status
cluster-status: install ## Show what the local cluster runs
	$(NPM) exec -- tsx scripts/cluster/src/main.ts status $(ARGS)

.PHONY: port-forward
port-forward: install ## Forward the gateway to localhost:9080 (ARGS="--service catalog" or --all; --dry-run)
	bash scripts/port-forward.sh $(ARGS)

.PHONY: undeploy
undeploy: ## Delete the kind cluster (ARGS=--keep-cluster removes only meshmart and Istio; --dry-run)
	bash scripts/undeploy.sh $(ARGS)

.PHONY: scenarios
scenarios: install ## Fault scenarios with verdicts, journal and HTML report (ARGS="--list | --scenario NAME | --quick | --target local|kind | --dry-run | --report")
	$(NPM) exec -- tsx services/e2e/src/scenarios/main.ts $(ARGS)

.PHONY: dlq
dlq: install ## Dead letters: list, show, redrive (ARGS="list | show <topic> | redrive <topic> [--id ID] [--consumer G] [--profile scenarios]")
	@$(NPM) exec -- tsx services/e2e/src/dlq/main.ts $(ARGS)
