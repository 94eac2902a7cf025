# meshd — common tasks. `make help` lists them.

BUILD_DIR ?= $(CURDIR)/build
GO        ?= go
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT    ?= $(shell git rev-parse HEAD 2>/dev/null)

# No -tags or -trimpath: `go build` and `go test` then share one build cache,
# which keeps test runs after a build fast (see shared/STACK.md).
# -rpath $ORIGIN: meshd finds libwasmvm beside itself once the build
# machine's module cache (the other RUNPATH entry, from wasmvm's cgo flags)
# is out of reach; `make install` puts the library there.
LDFLAGS := -X github.com/cosmos/cosmos-sdk/version.Name=meshd \
           -X github.com/cosmos/cosmos-sdk/version.AppName=meshd \
           -X github.com/cosmos/cosmos-sdk/version.Version=$(VERSION) \
           -X github.com/cosmos/cosmos-sdk/version.Commit=$(COMMIT) \
           -extldflags=-Wl,-rpath,$$ORIGIN

# Where `make install` puts meshd, meshd-worker and libwasmvm.
BINDIR ?= $(shell $(GO) env GOPATH)/bin
# The shared library wasmvm's cgo flags link against (evaluated when used).
WASMVM_LIB = $(shell $(GO) list -m -f '{{.Dir}}' github.com/CosmWasm/wasmvm/v3)/internal/api/libwasmvm.$(shell uname -m).so
GOVULNCHECK_VERSION ?= v1.10.0

# Packages with in-process tests (everything except the real-process system tests).
UNIT_PKGS := $(shell $(GO) list ./... 2>/dev/null | grep -v -e /tests/system -e /tests/ibc -e /tests/integration)
# Packages that run real meshd processes. They run after the in-process
# tests, one package at a time, so that no CPU-heavy test starves their nodes.
SYSTEM_PKGS := github.com/llmesh/mesh/tests/system

.DEFAULT_GOAL := help
.PHONY: help build relayer install test test-unit test-integration test-system vulncheck bench lint proto-gen mocks \
        localnet localnet-stop localnet-reset localnet-status clean \
        openapi dashboard test-browser

help: ## list the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  \033[36m%-18s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

build: ## build build/meshd and build/meshd-worker
	@mkdir -p $(BUILD_DIR)
	$(GO) build -ldflags '$(LDFLAGS)' -o $(BUILD_DIR)/meshd ./cmd/meshd
	@if [ -d ./cmd/meshd-worker ]; then $(GO) build -ldflags '$(LDFLAGS)' -o $(BUILD_DIR)/meshd-worker ./cmd/meshd-worker; fi

.PHONY: contracts
contracts: ## rebuild contracts/*/<name>.wasm from source with Debian's rustc 1.63 (apt-get install rustc libstd-rust-dev-wasm32)
	./scripts/build-contracts.sh

relayer: ## build the Go relayer into build/tools/rly if absent (for the IBC system test; ~3 min cold)
	./scripts/build-relayer.sh

install: build ## install meshd, meshd-worker and libwasmvm into BINDIR (default $GOPATH/bin); copy that folder to run them on another machine
	@lib="$(WASMVM_LIB)"; test -f "$$lib" || { echo "install: $$lib not found"; exit 1; }; \
	mkdir -p "$(BINDIR)" && cp -f $(BUILD_DIR)/meshd $(BUILD_DIR)/meshd-worker "$$lib" "$(BINDIR)/" && \
	echo "installed meshd, meshd-worker and $$(basename $$lib) in $(BINDIR)"

test: build relayer ## run every test: unit, app, wasm, IBC, then the system tests on real processes
	$(GO) test -count=1 -timeout 30m $(filter-out $(SYSTEM_PKGS),$(shell $(GO) list ./...))
	MESHD_BIN=$(BUILD_DIR)/meshd $(GO) test -count=1 -p 1 -timeout 45m $(SYSTEM_PKGS)
	$(MAKE) test-browser

test-unit: ## in-process tests only (app, wasm, modules, bench harness)
	$(GO) test -count=1 $(UNIT_PKGS)

test-integration: ## full-app integration tests (PoC over many epochs) and IBC tests (ibc-go testing, meshd on both sides)
	$(GO) test -count=1 ./tests/integration/... ./tests/ibc/...

test-system: build relayer ## system tests: real meshd processes and the real CLI
	MESHD_BIN=$(BUILD_DIR)/meshd $(GO) test -count=1 -p 1 -timeout 45m -v $(SYSTEM_PKGS)

SIM_TESTS := TestApp(StateDeterminism|ImportExport|SimulationAfterImport)

.PHONY: test-sim test-sim-long
test-sim: ## app simulation, standard size: 4 seeds × 100 blocks of 100 random txs (determinism, import/export, after import)
	$(GO) test -count=1 -timeout 3h -v ./app -run '$(SIM_TESTS)' -Enabled=true -NumBlocks=100 -BlockSize=100

test-sim-long: ## app simulation at the SDK's size: 4 seeds × 500 blocks of 200 txs (hours; not for CI)
	$(GO) test -count=1 -timeout 24h -v ./app -run '$(SIM_TESTS)' -Enabled=true -NumBlocks=500 -BlockSize=200

vulncheck: ## govulncheck over every package (needs the network: the Go proxy and vuln.go.dev)
	@command -v govulncheck >/dev/null 2>&1 || $(GO) install golang.org/x/vuln/cmd/govulncheck@$(GOVULNCHECK_VERSION)
	@curl -fsS -m 15 -o /dev/null https://vuln.go.dev/index/db.json || { \
	  echo "vulncheck: the vulnerability database https://vuln.go.dev is unreachable from here; run it on a machine with network access"; exit 1; }
	PATH="$$($(GO) env GOPATH)/bin:$$PATH" govulncheck ./...

bench: ## block execution: meshd vs wasmd's app, same SDK version, one run
	./scripts/bench.sh

proto-gen: ## regenerate Go code from proto/ (buf from npm, plugins from the Go proxy)
	./scripts/protocgen.sh

mocks: ## regenerate the gomock mocks of every module's expected_keepers.go (x/<m>/testutil/)
	go generate ./x/...

lint: ## gofmt and go vet
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); echo "gofmt needed"; exit 1; }
	$(GO) vet ./...

openapi: ## regenerate docs/openapi/mesh.openapi.json from proto/mesh/*/v1/query.proto (served at GET /mesh/openapi.json)
	./scripts/openapi.sh

dashboard: ## build the web dashboard into dashboard/dist (npm ci && npm run build)
	cd dashboard && { test -d node_modules || PUPPETEER_SKIP_DOWNLOAD=1 npm ci --no-audit --no-fund; } && npm run build

test-browser: build ## client + dashboard tests: unit, then headless Chromium on a localnet of their own (skips without node/npm/chromium)
	MESHD=$(BUILD_DIR)/meshd ./dashboard/test/browser/run.sh

localnet: build ## start a single-validator chain (mesh-local-1) in .localnet/ in the background
	MESHD=$(BUILD_DIR)/meshd ./scripts/localnet.sh start

localnet-stop: ## stop the localnet
	./scripts/localnet.sh stop

localnet-reset: ## stop the localnet and delete .localnet/
	./scripts/localnet.sh reset

localnet-status: ## is the localnet running, and at which height
	MESHD=$(BUILD_DIR)/meshd ./scripts/localnet.sh status

clean: ## remove build outputs
	rm -rf $(BUILD_DIR)
