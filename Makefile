# quantrac — the two commands that matter on a fresh machine:
#   make demo   start a local stack (Mosquitto, InfluxDB, quantrac, simulated stations) in ./.demo
#   make demo-cluster  the same on a 3-node NATS JetStream cluster with 2 members + standbys
#   make test   install what is missing, then go vet and go test -race ./... (integration included)

# Go 1.26.8 has known reachable vulnerabilities in net/http, crypto/tls and crypto/x509:
# build and test with the patched toolchain, fetched by the go command from the module proxy.
export GOTOOLCHAIN := go1.27.3
export QUANTRAC_CACHE ?= $(HOME)/.cache/quantrac

GO      ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X main.version=$(VERSION)

.PHONY: all build deps test test-faults test-short demo demo-cluster screenshots lint vulncheck fuzz bench bench-go dashboards check-generated clean

all: build

build:
	$(GO) build -trimpath -ldflags "$(LDFLAGS)" -o bin/quantrac ./cmd/quantrac
	$(GO) build -trimpath -ldflags "$(LDFLAGS)" -o bin/stationsim ./cmd/stationsim

# deps installs Mosquitto (Debian package), builds influxd 1.8.10 and unpacks Prometheus and
# promtool into $(QUANTRAC_CACHE); it does nothing when they are there.
deps:
	@scripts/deps.sh

test: deps
	@. $(QUANTRAC_CACHE)/env && \
	  $(GO) vet ./... && \
	  $(GO) test -race -count=1 -timeout 20m ./...

# test-faults runs the minute-long fault tests that make test leaves out (a broker frozen past
# its keep-alive, a NATS node partitioned from the cluster).
test-faults: deps
	@. $(QUANTRAC_CACHE)/env && QUANTRAC_LONG_FAULTS=1 $(GO) test -count=1 -timeout 20m -run 'TestFaultBrokerFrozenPastKeepAlive|TestClusterNodePartitioned' ./internal/e2e

# test-short is the fast tier: go test -short skips every test that starts a service (Mosquitto,
# InfluxDB, NATS, Prometheus, Chromium) or runs the built binaries; it needs nothing installed.
test-short:
	$(GO) test -short -count=1 ./...

demo: deps build
	@scripts/demo.sh

# demo-cluster: three NATS JetStream nodes, two quantrac members with a standby each, stations
# publishing MQTT to every node and through a relay (README "Scaling out").
demo-cluster: deps build
	@scripts/demo-cluster.sh
# screenshots runs the demo (scripts/demo.sh) under the console's browser test and writes the
# console's screenshots and page weights into docs/ (shown in the README).
screenshots: deps
	@. $(QUANTRAC_CACHE)/env && $(GO) test -count=1 -run '^TestConsoleDemo$$' ./internal/e2e -args -screenshots $(CURDIR)/docs

lint:
	@scripts/lint.sh

vulncheck:
	@scripts/vulncheck.sh

# fuzz runs every fuzz target for FUZZTIME each, then the property test of the exceedance
# record with PROPERTY_STREAMS random streams (it needs the test services of deps).
FUZZTIME ?= 60s
PROPERTY_STREAMS ?= 40
fuzz: deps
	@. $(QUANTRAC_CACHE)/env && PROPERTY_STREAMS=$(PROPERTY_STREAMS) scripts/fuzz.sh $(FUZZTIME)

bench-go:
	$(GO) test -run '^$$' -bench . -benchmem -benchtime 1s ./...

bench: deps build
	@scripts/bench.sh

# dashboards regenerates the Grafana dashboards from Go (dashboards/gen); check-generated
# fails when the committed JSON is stale.
dashboards:
	cd dashboards && $(GO) run ./gen

check-generated:
	@scripts/check-generated.sh

clean:
	rm -rf bin .demo
