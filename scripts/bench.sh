#!/usr/bin/env bash
# bench.sh — `make bench`: quantrac's end-to-end load benchmark (BENCHMARKS.md).
#
#   1. Go micro-benchmarks of the hot path (go test -bench, short benchtime), and a pprof
#      profile of the in-process pipeline (cmd/qbench BenchmarkHotPath)
#   2. cmd/qbench: for each station count, Mosquitto + InfluxDB + quantrac + stationsim:
#      broker-only ceiling, end to end, catch-up vs drain ceiling, breach latency; then one
#      more end-to-end run of quantrac under perf (when perf is installed)
#
# It prints the results table and writes bench-results/<date>.{json,md} plus the raw
# micro-benchmark output and profiles beside them. `make bench` builds bin/quantrac and
# bin/stationsim and installs Mosquitto and InfluxDB first (scripts/deps.sh).
#
# Environment:
#   QBENCH_FLAGS     extra qbench flags, e.g. a quick run:
#                    QBENCH_FLAGS="-stations 100 -messages 20000 -backlog 10000 -probes 20"
#   BENCH_GO=0       skip the Go micro-benchmarks
#   BENCH_GO_TIME    their -benchtime (default 200ms)
#   BENCH_PROFILE=0  skip the profiles
#   BENCH_OUT        results directory (default bench-results)
set -euo pipefail
cd "$(dirname "$0")/.."
export GOTOOLCHAIN=${GOTOOLCHAIN:-go1.27.3}
CACHE=${QUANTRAC_CACHE:-$HOME/.cache/quantrac}
# shellcheck disable=SC1091
. "$CACHE/env"

OUT=${BENCH_OUT:-bench-results}
STAMP=$(date +%Y-%m-%dT%H%M%S)
mkdir -p "$OUT"
work=$(mktemp -d "${TMPDIR:-/tmp}/quantrac-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT

say() { echo "bench: $*" >&2; }

say "building qbench"
go build -o "$work/qbench" ./cmd/qbench

flags=(-quantrac bin/quantrac -stationsim bin/stationsim -out "$OUT" -stamp "$STAMP")

if [ "${BENCH_GO:-1}" != 0 ]; then
	# Only the packages that have benchmarks: compiling every test binary would take longer
	# than running them.
	mapfile -t pkgs < <(grep -rl --include='*_test.go' '^func Benchmark' . | xargs -n1 dirname | sort -u)
	say "Go micro-benchmarks (${#pkgs[@]} packages, -benchtime ${BENCH_GO_TIME:-200ms})"
	go test -run '^$' -bench . -benchmem -benchtime "${BENCH_GO_TIME:-200ms}" "${pkgs[@]}" | tee "$OUT/$STAMP-go.txt" >&2
	flags+=(-gobench "$OUT/$STAMP-go.txt")
fi

if [ "${BENCH_PROFILE:-1}" != 0 ]; then
	say "pprof of the in-process hot path (BenchmarkHotPath, 1,000 stations)"
	go test -run '^$' -bench 'HotPath/stations=1000$' -benchtime 2s -cpuprofile "$work/hotpath.pprof" \
		-o "$work/qbench.test" ./cmd/qbench >&2
	# Only the samples under the handler: the benchmark's setup (making messages) is left out.
	go tool pprof -top -nodecount 30 -focus 'ingest.\(\*Handler\).Handle' "$work/qbench.test" "$work/hotpath.pprof" \
		>"$OUT/$STAMP-hotpath-pprof.txt" 2>/dev/null
	cp "$work/hotpath.pprof" "$OUT/$STAMP-hotpath.pprof"
	if command -v perf >/dev/null 2>&1; then
		# Unstripped (no -s -w), so that perf can name Go functions; otherwise as make build.
		go build -trimpath -o "$work/quantrac-prof" ./cmd/quantrac
		flags+=(-profile.quantrac "$work/quantrac-prof" -perf "$(command -v perf)")
	else
		say "perf not found: no profile of the daemon under load (apt-get install linux-perf)"
	fi
fi

say "end-to-end benchmark (cmd/qbench ${QBENCH_FLAGS:-})"
# shellcheck disable=SC2086
"$work/qbench" "${flags[@]}" ${QBENCH_FLAGS:-}
