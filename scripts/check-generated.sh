#!/usr/bin/env bash
# check-generated.sh — fails when generated files are stale, as CI should: a generated file
# is committed, and CI checks it matches its generator.
#
#   docs/architecture.md     its package → imports table, between the architecture.sh markers,
#                            is the output of scripts/architecture.sh (from `go list`): a new
#                            package or import makes it stale. Needs no services.
#   dashboards/json/*.json   written by `go run ./gen` in dashboards/ (its own Go module, so
#                            the Grafana Foundation SDK stays out of the main go.mod); the
#                            limits drawn come from rules/catalog, so a catalog change makes
#                            them stale too.
#
# It also vets and tests the generator module, which `go test ./...` at the top does not
# reach. Regenerate with: scripts/architecture.sh -write; (cd dashboards && go run ./gen)
set -euo pipefail
cd "$(dirname "$0")/.."
export GOTOOLCHAIN=${GOTOOLCHAIN:-go1.27.3}

scripts/architecture.sh -check

cd dashboards
go vet ./...
go test -count=1 ./...
if ! go run ./gen -check; then
	echo "check-generated: dashboards/json is stale: run (cd dashboards && go run ./gen) and commit the result" >&2
	exit 1
fi
echo "check-generated: dashboards/json is up to date"
