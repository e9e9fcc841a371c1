#!/usr/bin/env bash
# fuzz.sh — `make fuzz`: runs every Fuzz target of every package for FUZZTIME each (default
# 60s). Seed corpora live in each package's testdata/fuzz/<FuzzName>/; new crashers are written
# there by go test and fail the run. Then it drives PROPERTY_STREAMS (default 40) random streams
# through the daemon (internal/daemon, property_test.go), whose exceedance record must equal a
# batch evaluator's; a failure prints the seed that reproduces it.
set -euo pipefail
cd "$(dirname "$0")/.."
export GOTOOLCHAIN=go1.27.3
fuzztime=${1:-60s}
failed=0
for pkg in $(go list ./...); do
	for target in $(go test -list '^Fuzz' "$pkg" 2>/dev/null | grep '^Fuzz' || true); do
		echo "== $pkg $target ($fuzztime)"
		if ! go test -run '^$' -fuzz "^${target}\$" -fuzztime "$fuzztime" "$pkg"; then
			failed=1
		fi
	done
done
streams=${PROPERTY_STREAMS:-40}
echo "== internal/daemon property test of the record ($streams streams)"
if ! go test -count=1 -timeout 30m -run '^TestVerdictsAreAViewOfTheStoredReadings' ./internal/daemon -property.streams="$streams"; then
	failed=1
fi
exit $failed
