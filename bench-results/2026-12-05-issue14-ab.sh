#!/bin/bash
# Issue 14 A/B at 10,000 stations (BENCHMARKS.md, "Issue 14"): main's code and branch rules,
# back to back on the same machine. main/ and new/ each hold quantrac, stationsim and qbench
# built from that tree (go build -trimpath ./cmd/quantrac ./cmd/stationsim; go build ./cmd/qbench).
#   usage: ab.sh main new     (or: ab.sh new main)
cd "$(dirname "$0")/.."
eval "$(scripts/deps.sh --env)"
AB=${AB:-/tmp/rules-ab}
for b in "$@"; do
  echo "== $b $(date +%T) load $(cut -d' ' -f1-3 /proc/loadavg)"
  "$AB/$b/qbench" -quantrac "$AB/$b/quantrac" -stationsim "$AB/$b/stationsim" \
    -stations 10000 -probes 100 -out "$AB/out" -stamp "$b-10k-$(date +%H%M)" 2>&1 | tail -22
done
