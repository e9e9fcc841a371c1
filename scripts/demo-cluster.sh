#!/usr/bin/env bash
# demo-cluster.sh — `make demo-cluster`: quantrac on a NATS JetStream cluster (README.md,
# "Scaling out"), on this machine, no Docker, in ./.demo-cluster.
#
#   nats-server n1..n3 (JetStream R3, MQTT listener)   client 127.0.0.1:1422{1,2,3}
#                                                      MQTT   127.0.0.1:1188{1,2,3}
#                                                      monitoring http://127.0.0.1:1822{1,2,3}
#   InfluxDB 1.8.10                                    127.0.0.1:${DEMO_INFLUX_PORT:-18087}
#   quantrac members m1 and m2, each with a standby    http://127.0.0.1:1979{1,2,3,4}/metrics
#   stations: 90 simulated stations publishing MQTT straight to the three nodes (30 each), and
#   the 4 Lai Châu stations publishing to a station-facing Mosquitto (127.0.0.1:18831) whose
#   `quantrac relay` forwards to the cluster (the path that acknowledges only what the
#   stream stored: README "Scaling out").
#
# The status lines show which instance is pinned for which partitions and stations. Stop an
# instance (kill -9 a pid from .demo-cluster/pids) and watch its standby take over.
# Runs until Ctrl-C and leaves nothing running.
set -euo pipefail
cd "$(dirname "$0")/.."
export GOTOOLCHAIN=go1.27.3
CACHE=${QUANTRAC_CACHE:-$HOME/.cache/quantrac}
# shellcheck disable=SC1091
. "$CACHE/env"
QUANTRAC_NATS_SERVER=${QUANTRAC_NATS_SERVER:-$CACHE/bin/nats-server}
[ -x "$QUANTRAC_NATS_SERVER" ] || { echo "demo-cluster: no nats-server; run scripts/deps.sh (make deps) first" >&2; exit 1; }

INFLUX_PORT=${DEMO_INFLUX_PORT:-18087}
INFLUX_RPC_PORT=${DEMO_INFLUX_RPC_PORT:-18089}
MQTT_PORT=${DEMO_MQTT_PORT:-18831}
DEMO=$PWD/.demo-cluster
mkdir -p "$DEMO"/{influxdb,logs,mosquitto}
: >"$DEMO/pids"

DEMO_NAME=demo-cluster
# shellcheck source=scripts/demo-lib.sh
. scripts/demo-lib.sh
start_bg() { # start_bg NAME CMD... : run in the background, logging to .demo-cluster/logs/NAME.log
	local name=$1
	shift
	"$@" >"$DEMO/logs/$name.log" 2>&1 &
	pids+=($!)
	echo "$name $!" >>"$DEMO/pids"
}

# Three NATS nodes.
for i in 1 2 3; do
	mkdir -p "$DEMO/n$i"
	routes=""
	for j in 1 2 3; do [ "$j" = "$i" ] || routes="$routes\"nats-route://127.0.0.1:1622$j\", "; done
	cat >"$DEMO/n$i/nats.conf" <<CONF
server_name: n$i
listen: "127.0.0.1:1422$i"
http: "127.0.0.1:1822$i"
jetstream { store_dir: "$DEMO/n$i/js", max_file_store: 4GB }
cluster { name: quantrac-demo, listen: "127.0.0.1:1622$i", routes: [${routes%, }] }
mqtt { listen: "127.0.0.1:1188$i" }
CONF
	start_bg "nats-n$i" "$QUANTRAC_NATS_SERVER" -c "$DEMO/n$i/nats.conf"
done
for i in 1 2 3; do wait_for "nats-n$i" curl -sf "http://127.0.0.1:1822$i/healthz?js-enabled-only=true"; done
NATS_URLS='["nats://127.0.0.1:14221", "nats://127.0.0.1:14222", "nats://127.0.0.1:14223"]'

cat >"$DEMO/influxdb/influxdb.conf" <<CONF
reporting-disabled = true
bind-address = "127.0.0.1:$INFLUX_RPC_PORT"
[meta]
  dir = "$DEMO/influxdb/meta"
[data]
  dir = "$DEMO/influxdb/data"
  wal-dir = "$DEMO/influxdb/wal"
  query-log-enabled = false
[http]
  bind-address = "127.0.0.1:$INFLUX_PORT"
  flux-enabled = true
  log-enabled = false
CONF
start_bg influxd "$QUANTRAC_INFLUXD" -config "$DEMO/influxdb/influxdb.conf"
wait_for influxdb curl -sf "http://127.0.0.1:$INFLUX_PORT/ping"
curl -sf -XPOST "http://127.0.0.1:$INFLUX_PORT/query" --data-urlencode "q=CREATE DATABASE quantrac" >/dev/null

# Stations: 90 simulated ones in three groups (one per node), and the Lai Châu ones.
bin/stationsim -stations 90 -seed 5 -print-registry >"$DEMO/sim.yaml"
awk -v dir="$DEMO" '/^  - id:/ {n++} /^stations:/ {for (g = 0; g < 3; g++) print > (dir "/group" g ".yaml"); next}
	n > 0 {print > (dir "/group" ((n - 1) % 3) ".yaml")}' "$DEMO/sim.yaml"
{ cat deploy/demo/stations.yaml; sed 1,/^stations:/d "$DEMO/sim.yaml"; } >"$DEMO/stations.yaml"

instance() { # instance NAME MEMBER: write the configuration of one quantrac member instance
	cat >"$DEMO/$1.yaml" <<CONF
source: nats
nats:
  urls: $NATS_URLS
  member: "$2"
  partitions: 16
influx:
  url: http://127.0.0.1:$INFLUX_PORT
spool: {dir: $DEMO/spool-$1, max_bytes: 1GiB}
stations_file: $DEMO/stations.yaml
qc: {}
CONF
}
instance m1a m1
instance m1b m1
instance m2a m2
instance m2b m2
bin/quantrac check -config "$DEMO/m1a.yaml"
bin/quantrac cluster init -config "$DEMO/m1a.yaml" -members m1,m2
port=19791
for q in m1a m1b m2a m2b; do
	start_bg "quantrac-$q" bin/quantrac run -config "$DEMO/$q.yaml" -web.listen-address "127.0.0.1:$port"
	port=$((port + 1))
done
for p in 19791 19792 19793 19794; do wait_for quantrac curl -sf "http://127.0.0.1:$p/readyz"; done

# The station-facing Mosquitto and its relay.
cat >"$DEMO/mosquitto/mosquitto.conf" <<CONF
listener $MQTT_PORT 127.0.0.1
allow_anonymous true
persistence true
persistence_location $DEMO/mosquitto/
max_queued_messages 1000000
max_inflight_messages 10000
CONF
start_bg mosquitto "$QUANTRAC_MOSQUITTO" -c "$DEMO/mosquitto/mosquitto.conf"
cat >"$DEMO/relay.yaml" <<CONF
mqtt:
  broker: tcp://127.0.0.1:$MQTT_PORT
  client_id: quantrac-relay-1
nats:
  urls: $NATS_URLS
  partitions: 16
stations_file: $DEMO/stations.yaml
CONF
start_bg relay bin/quantrac relay -config "$DEMO/relay.yaml" -web.listen-address 127.0.0.1:19795
wait_for relay curl -sf http://127.0.0.1:19795/readyz

start=$(date -u -d '-24 hours' +%Y-%m-%dT%H:%M:00Z)
for g in 0 1 2; do
	node=$((g + 1))
	bin/stationsim -broker "tcp://127.0.0.1:1188$node" -stations-file "$DEMO/group$g.yaml" -client-id-prefix "sim-n$node-" \
		-start "$start" -step 5m -count $((288 * 30)) -rate 3000 -violate 0.3 -seed $((10 + g)) >"$DEMO/logs/backfill-n$node.log" 2>&1
	start_bg "stationsim-n$node" bin/stationsim -broker "tcp://127.0.0.1:1188$node" -stations-file "$DEMO/group$g.yaml" \
		-client-id-prefix "live-n$node-" -rate 5 -duration 8760h -violate 0.2 -bad 0.01 -seed $((20 + g))
done
start_bg stationsim-relay bin/stationsim -broker "tcp://127.0.0.1:$MQTT_PORT" -stations-file deploy/demo/stations.yaml \
	-client-id-prefix live-relay- -rate 2 -duration 8760h -violate 0.2 -seed 2

cat <<TXT

quantrac on a NATS JetStream cluster is running (Ctrl-C stops everything):
  members      m1: http://127.0.0.1:19791 (m1a), :19792 (m1b)   m2: :19793 (m2a), :19794 (m2b)
  relay        http://127.0.0.1:19795/metrics
  status       bin/quantrac cluster status -config .demo-cluster/m1a.yaml
  membership   bin/quantrac cluster members -config .demo-cluster/m1a.yaml -add m3   (then start an m3)
  fail over    kill -9 <pid of a pinned instance, from .demo-cluster/pids>
  logs         .demo-cluster/logs/ ("taking over stations" names the stations each instance owns)
TXT

while sleep 5; do
	echo "$(date +%H:%M:%S)"
	port=19791
	for q in m1a m1b m2a m2b; do
		m=$(curl -s "http://127.0.0.1:$port/metrics" || true)
		pinned=$(echo "$m" | awk '/^quantrac_nats_pinned / {print $2}' || true)
		parts=$(echo "$m" | awk '/^quantrac_nats_partitions_assigned / {print $2}')
		lag=$(echo "$m" | awk '/^quantrac_nats_consumer_pending_messages / {print $2}')
		readings=$(echo "$m" | awk '/^quantrac_readings_total/ {s += $NF} END {print s + 0}')
		state=standby
		[ "${pinned:-0}" = "1" ] && state=PINNED
		[ -z "$m" ] && state=down
		stations=$(grep -h "taking over stations" "$DEMO/logs/quantrac-$q.log" 2>/dev/null | tail -1 | sed -n 's/.*stations=\([0-9]*\).*/\1/p' || true)
		printf '  %-4s %-7s partitions of its member: %-3s stations taken over: %-4s readings: %-8s lag: %s\n' \
			"$q" "$state" "${parts:-?}" "${stations:--}" "$readings" "${lag:-?}"
		port=$((port + 1))
	done
done
