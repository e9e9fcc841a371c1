#!/usr/bin/env bash
# registry-memory.sh — what a station costs quantrac before any reading arrives.
# For each station count in COUNTS: a generated registry (stationsim -print-registry, 7 air or
# 8 wastewater parameters per station under QCVN 05:2023 + WHO or QCVN 40:2011), a fresh
# Mosquitto and InfluxDB, then `quantrac run` until /readyz answers; prints the time to ready,
# the resident memory then (VmRSS), its peak (VmHWM), and after one /metrics scrape.
# QUANTRAC=path measures that binary instead of one built from this checkout (an A/B).
set -euo pipefail
cd "$(dirname "$0")/.."
export GOTOOLCHAIN=go1.27.3
CACHE=${QUANTRAC_CACHE:-$HOME/.cache/quantrac}
. "$CACHE/env"
COUNTS=${COUNTS:-"1000 10000 50000 200000"}
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; wait 2>/dev/null; rm -rf "$work"' EXIT
quantrac=${QUANTRAC:-$work/quantrac}
[ -n "${QUANTRAC:-}" ] || go build -o "$quantrac" ./cmd/quantrac
go build -o "$work/stationsim" ./cmd/stationsim
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
kb() { awk -v k="$1:" '$1 == k {print $2}' "/proc/$2/status"; }

mq=$(port) influx=$(port) rpc=$(port) web=$(port)
mkdir -p "$work/mq" "$work/influx"
printf 'listener %s 127.0.0.1\nallow_anonymous true\npersistence false\nuser root\n' "$mq" >"$work/mq.conf"
"$QUANTRAC_MOSQUITTO" -c "$work/mq.conf" >"$work/mq.log" 2>&1 &
printf 'reporting-disabled = true\nbind-address = "127.0.0.1:%s"\n[meta]\n dir = "%s/influx/meta"\n[data]\n dir = "%s/influx/data"\n wal-dir = "%s/influx/wal"\n query-log-enabled = false\n[monitor]\n store-enabled = false\n[http]\n bind-address = "127.0.0.1:%s"\n log-enabled = false\n' "$rpc" "$work" "$work" "$work" "$influx" >"$work/influx.conf"
"$QUANTRAC_INFLUXD" -config "$work/influx.conf" >"$work/influx.log" 2>&1 &
until curl -sf "http://127.0.0.1:$influx/ping" >/dev/null; do sleep 0.2; done

echo "quantrac memory by registry size (no readings yet), load $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%8s %10s %12s %12s %14s %14s\n' stations ready_s rss_MB peak_MB after_scrape_MB KB_per_station
base=""
for n in $COUNTS; do
	d="$work/$n"
	mkdir -p "$d"
	"$work/stationsim" -stations "$n" -print-registry >"$d/stations.yaml"
	curl -sf -XPOST "http://127.0.0.1:$influx/query" --data-urlencode "q=CREATE DATABASE q$n" >/dev/null
	printf 'mqtt: {broker: "tcp://127.0.0.1:%s", client_id: regmem%s}\ninflux: {url: "http://127.0.0.1:%s", bucket: q%s/autogen}\nspool: {dir: %s/spool}\nstations_file: %s/stations.yaml\n' \
		"$mq" "$n" "$influx" "$n" "$d" "$d" >"$d/q.yaml"
	start=$(date +%s.%N)
	"$quantrac" run -config "$d/q.yaml" -web.listen-address "127.0.0.1:$web" >"$d/q.log" 2>&1 &
	pid=$!
	until curl -sf "http://127.0.0.1:$web/readyz" >/dev/null; do
		kill -0 $pid 2>/dev/null || { echo "quantrac exited:"; tail "$d/q.log"; exit 1; }
		sleep 0.1
	done
	end=$(date +%s.%N)
	rss=$(kb VmRSS $pid) peak=$(kb VmHWM $pid)
	curl -sf "http://127.0.0.1:$web/metrics" >/dev/null
	scraped=$(kb VmHWM $pid)
	kill -TERM $pid && wait $pid || true
	python3 -c "
n=$n; t=$end-$start; rss=$rss; peak=$peak; s=$scraped
print(f'{n:8d} {t:10.2f} {rss/1024:12.0f} {peak/1024:12.0f} {s/1024:14.0f} {rss/n:14.1f}')"
done
