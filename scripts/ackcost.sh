#!/usr/bin/env bash
# ackcost.sh — what acknowledging after durable costs, against acknowledging on receipt.
# Builds quantrac twice (the real one, and one with the measurement-only quantrac_autoack
# tag), and for each: publishes N QoS 1 messages (6 readings each, 100 stations) into a
# fresh Mosquitto while quantrac is stopped, starts it, and times how long it takes until
# every reading is durable (quantrac_readings_durable_total), with quantrac's CPU seconds.
set -euo pipefail
cd "$(dirname "$0")/.."
export GOTOOLCHAIN=go1.27.3
CACHE=${QUANTRAC_CACHE:-$HOME/.cache/quantrac}
. "$CACHE/env"
N=${N:-100000}
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; wait 2>/dev/null; rm -rf "$work"' EXIT
go build -o "$work/quantrac" ./cmd/quantrac
go build -tags quantrac_autoack -o "$work/quantrac-autoack" ./cmd/quantrac
go build -o "$work/stationsim" ./cmd/stationsim
"$work/stationsim" -stations 100 -print-registry >"$work/stations.yaml"
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

run() { # run NAME BINARY
	local name=$1 bin=$2 d="$work/$1"
	mkdir -p "$d/mq" "$d/influx"
	local mq influx rpc web
	mq=$(port) influx=$(port) rpc=$(port) web=$(port)
	printf 'listener %s 127.0.0.1\nallow_anonymous true\npersistence true\npersistence_location %s/mq/\nmax_queued_messages 10000000\nmax_inflight_messages 10000\nuser root\n' "$mq" "$d" >"$d/mq.conf"
	"$QUANTRAC_MOSQUITTO" -c "$d/mq.conf" >"$d/mq.log" 2>&1 &
	printf 'reporting-disabled = true\nbind-address = "127.0.0.1:%s"\n[meta]\n dir = "%s/influx/meta"\n[data]\n dir = "%s/influx/data"\n wal-dir = "%s/influx/wal"\n query-log-enabled = false\n[monitor]\n store-enabled = false\n[http]\n bind-address = "127.0.0.1:%s"\n log-enabled = false\n flux-enabled = true\n' "$rpc" "$d" "$d" "$d" "$influx" >"$d/influx.conf"
	"$QUANTRAC_INFLUXD" -config "$d/influx.conf" >"$d/influx.log" 2>&1 &
	until curl -sf "http://127.0.0.1:$influx/ping" >/dev/null; do sleep 0.2; done
	curl -sf -XPOST "http://127.0.0.1:$influx/query" --data-urlencode "q=CREATE DATABASE quantrac" >/dev/null
	printf 'mqtt: {broker: "tcp://127.0.0.1:%s", client_id: ackcost}\ninflux: {url: "http://127.0.0.1:%s"}\nspool: {dir: %s/spool}\nstations_file: %s\n' "$mq" "$influx" "$d" "$work/stations.yaml" >"$d/q.yaml"
	# Register the persistent session, then stop quantrac so that the backlog queues for it.
	"$bin" run -config "$d/q.yaml" -web.listen-address "127.0.0.1:$web" >"$d/q.log" 2>&1 &
	local pid=$!
	until curl -sf "http://127.0.0.1:$web/readyz" >/dev/null; do sleep 0.2; done
	kill -TERM $pid && wait $pid || true
	"$work/stationsim" -broker "tcp://127.0.0.1:$mq" -stations-file "$work/stations.yaml" -count "$N" -rate 0 \
		-start "$(date -u -d '-20 days' +%Y-%m-%dT%H:%M:%SZ)" -step 5m -params 6 -seed 1 >"$d/sim.log" 2>&1
	local want start end
	want=$(grep -o 'readings=[0-9]*' "$d/sim.log" | cut -d= -f2)
	start=$(date +%s.%N)
	"$bin" run -config "$d/q.yaml" -web.listen-address "127.0.0.1:$web" >>"$d/q.log" 2>&1 &
	pid=$!
	while :; do
		got=$(curl -s "http://127.0.0.1:$web/metrics" | awk '/^quantrac_readings_durable_total/ {print $2}' || true)
		[ "${got%.*}" = "$want" ] 2>/dev/null && break
		sleep 0.05
	done
	end=$(date +%s.%N)
	cpu=$(awk '{print ($14+$15)/100}' "/proc/$pid/stat")
	kill -TERM $pid; wait $pid || true
	kill $(jobs -p) 2>/dev/null || true; wait 2>/dev/null || true
	python3 -c "import sys; n=$N; w=$want; t=$end-$start; c=$cpu; print(f'$name: {n} messages ({w} readings) drained in {t:.2f} s = {n/t:.0f} msg/s, quantrac CPU {c:.2f} s = {c/n*1e6:.1f} µs/msg')"
}
echo "ack-after-durable vs auto-ack, N=$N messages, load $(cut -d' ' -f1-3 /proc/loadavg)"
run after-durable "$work/quantrac"
run auto-ack "$work/quantrac-autoack"
