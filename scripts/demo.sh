#!/usr/bin/env bash
# demo.sh — `make demo`: a local quantrac stack in ./.demo, on this machine, no Docker.
#
#   Mosquitto (persistence on, large queues)   127.0.0.1:${DEMO_MQTT_PORT:-18830}
#   InfluxDB 1.8.10                             127.0.0.1:${DEMO_INFLUX_PORT:-18086}
#   quantrac (console, API, metrics)            127.0.0.1:${DEMO_WEB_PORT:-19786}
#   Prometheus with quantrac's alert rules      127.0.0.1:${DEMO_PROM_PORT:-19090}
#   stationsim: the stations of deploy/demo/stations.yaml (Lai Châu), first a day of backlog
#   so that 24-hour averages exist, then live readings with violation episodes and bad input.
#
# Runs until Ctrl-C and leaves nothing running. DEMO_DIR (default ./.demo) and QUANTRAC_BIN
# (default ./bin, where `make build` puts quantrac and stationsim) can be moved; the console
# test (internal/e2e) runs this script with its own ports, directory and binaries.
set -euo pipefail
cd "$(dirname "$0")/.."
export GOTOOLCHAIN=go1.27.3
CACHE=${QUANTRAC_CACHE:-$HOME/.cache/quantrac}
# shellcheck disable=SC1091
. "$CACHE/env"

MQTT_PORT=${DEMO_MQTT_PORT:-18830}
INFLUX_PORT=${DEMO_INFLUX_PORT:-18086}
INFLUX_RPC_PORT=${DEMO_INFLUX_RPC_PORT:-18088}
WEB_PORT=${DEMO_WEB_PORT:-19786}
PROM_PORT=${DEMO_PROM_PORT:-19090}
TT10_PORT=${DEMO_TT10_PORT:-19787}
DEMO=${DEMO_DIR:-$PWD/.demo}
BIN=${QUANTRAC_BIN:-$PWD/bin}
mkdir -p "$DEMO"/{mosquitto,influxdb,spool,prometheus,logs,ftp}

DEMO_NAME=demo
# shellcheck source=scripts/demo-lib.sh
. scripts/demo-lib.sh

cat >"$DEMO/mosquitto/mosquitto.conf" <<CONF
listener $MQTT_PORT 127.0.0.1
allow_anonymous true
persistence true
persistence_location $DEMO/mosquitto/
max_queued_messages 1000000
max_inflight_messages 10000
CONF
"$QUANTRAC_MOSQUITTO" -c "$DEMO/mosquitto/mosquitto.conf" >"$DEMO/logs/mosquitto.log" 2>&1 &
pids+=($!)

cat >"$DEMO/influxdb/influxdb.conf" <<CONF
reporting-disabled = true
bind-address = "127.0.0.1:$INFLUX_RPC_PORT"
[meta]
  dir = "$DEMO/influxdb/meta"
[data]
  dir = "$DEMO/influxdb/data"
  wal-dir = "$DEMO/influxdb/wal"
  query-log-enabled = false
[monitor]
  store-enabled = false
[http]
  bind-address = "127.0.0.1:$INFLUX_PORT"
  flux-enabled = true
  log-enabled = false
CONF
"$QUANTRAC_INFLUXD" -config "$DEMO/influxdb/influxdb.conf" >"$DEMO/logs/influxd.log" 2>&1 &
pids+=($!)
wait_for influxdb curl -sf "http://127.0.0.1:$INFLUX_PORT/ping"
curl -sf -XPOST "http://127.0.0.1:$INFLUX_PORT/query" --data-urlencode "q=CREATE DATABASE quantrac" >/dev/null

# A wastewater station that uploads Circular 10/2021 files (as to the department's FTP
# server) instead of speaking MQTT: quantrac tt10 watches the folder.
cat >"$DEMO/tt10-station.yaml" <<'YAML'
stations:
  - id: LC-WW-03
    name: "Trạm nước thải KCN Tam Đường (tệp TT10 qua FTP)"
    kind: wastewater
    location: {lat: 22.3650, lon: 103.6050}
    tags: {province: "Lai Châu", district: "Tam Đường"}
    interval: 5m
    regulations: [QCVN-40:2011/B]
    coefficients: {kq: 0.9, kf: 1.0}
    aliases: [NUO003]
YAML
{ cat deploy/demo/stations.yaml; sed 1d "$DEMO/tt10-station.yaml"; } >"$DEMO/stations.yaml"

cat >"$DEMO/quantrac.yaml" <<CONF
mqtt:
  broker: tcp://127.0.0.1:$MQTT_PORT
  client_id: quantrac-demo
influx:
  url: http://127.0.0.1:$INFLUX_PORT
  bucket: quantrac/autogen
spool: {dir: $DEMO/spool, max_bytes: 1GiB}
stations_file: $DEMO/stations.yaml
qc: {}
CONF
"$BIN/quantrac" check -config "$DEMO/quantrac.yaml"
"$BIN/quantrac" run -config "$DEMO/quantrac.yaml" -web.listen-address "127.0.0.1:$WEB_PORT" >"$DEMO/logs/quantrac.log" 2>&1 &
pids+=($!)
wait_for quantrac curl -sf "http://127.0.0.1:$WEB_PORT/readyz"

prometheus=0
if [ -n "${QUANTRAC_PROMETHEUS:-}" ] && [ -x "$QUANTRAC_PROMETHEUS" ] && [ -f deploy/prometheus/alerts.yml ]; then
	prometheus=1
	cat >"$DEMO/prometheus/prometheus.yml" <<CONF
global: {scrape_interval: 5s, evaluation_interval: 5s}
rule_files: ["$PWD/deploy/prometheus/alerts.yml"]
scrape_configs:
  - job_name: quantrac
    static_configs: [{targets: ["127.0.0.1:$WEB_PORT"]}]
  - job_name: quantrac-tt10
    static_configs: [{targets: ["127.0.0.1:$TT10_PORT"]}]
CONF
	"$QUANTRAC_PROMETHEUS" --config.file "$DEMO/prometheus/prometheus.yml" --storage.tsdb.path "$DEMO/prometheus/data" \
		--web.listen-address "127.0.0.1:$PROM_PORT" >"$DEMO/logs/prometheus.log" 2>&1 &
	pids+=($!)
fi

# A day of backlog (as a station's datalogger sends after an outage), then live data.
start=$(date -u -d '-24 hours' +%Y-%m-%dT%H:%M:00Z)
"$BIN/stationsim" -broker "tcp://127.0.0.1:$MQTT_PORT" -stations-file deploy/demo/stations.yaml \
	-start "$start" -step 5m -count $((288 * 4)) -rate 2000 -violate 0.3 -seed 1 >"$DEMO/logs/backfill.log" 2>&1
"$BIN/stationsim" -broker "tcp://127.0.0.1:$MQTT_PORT" -stations-file deploy/demo/stations.yaml \
	-rate 2 -duration 8760h -violate 0.2 -bad 0.02 -seed 2 >"$DEMO/logs/stationsim.log" 2>&1 &
pids+=($!)

# The TT10 station: a day of files already on the FTP server, then one file every 5 minutes.
t0=$(($(date +%s) / 300 * 300))
"$BIN/stationsim" -stations-file "$DEMO/tt10-station.yaml" -format tt10 -out "$DEMO/ftp" \
	-start "$(date -u -d @$((t0 - 287 * 300)) +%Y-%m-%dT%H:%M:%SZ)" -step 5m -count 288 -rate 0 -seed 3 \
	>"$DEMO/logs/tt10-backfill.log" 2>&1
"$BIN/quantrac" tt10 -watch "$DEMO/ftp" -config "$DEMO/quantrac.yaml" -settle 2s \
	-web.listen-address "127.0.0.1:$TT10_PORT" >"$DEMO/logs/tt10.log" 2>&1 &
pids+=($!)
wait_for tt10 curl -sf "http://127.0.0.1:$TT10_PORT/readyz"
"$BIN/stationsim" -stations-file "$DEMO/tt10-station.yaml" -format tt10 -out "$DEMO/ftp" \
	-start "$(date -u -d @$((t0 + 300)) +%Y-%m-%dT%H:%M:%SZ)" -step 5m -rate 0.0033334 -duration 8760h \
	-bad 0.05 -seed 4 >"$DEMO/logs/tt10-station.log" 2>&1 &
pids+=($!)

# Every URL printed here answers 200 in a browser (internal/e2e TestConsoleDemo opens each).
month=$(date +%Y-%m)
echo
echo "quantrac demo is running (Ctrl-C stops everything):"
echo "  console      http://127.0.0.1:$WEB_PORT/        (map; ?lang=en for English)"
echo "  station      http://127.0.0.1:$WEB_PORT/stations/LC-AQ-01"
echo "  violations   http://127.0.0.1:$WEB_PORT/violations"
echo "  report       http://127.0.0.1:$WEB_PORT/reports/$month   (printable; CSV linked from the page)"
echo "  API          http://127.0.0.1:$WEB_PORT/api/v1/stations   http://127.0.0.1:$WEB_PORT/api/v1/violations"
echo "  metrics      http://127.0.0.1:$WEB_PORT/metrics"
if [ "$prometheus" -eq 1 ]; then
	echo "  prometheus   http://127.0.0.1:$PROM_PORT/api/v1/alerts   (alerts as JSON; the Debian binary has no web UI)"
fi
echo "  influxdb     http://127.0.0.1:$INFLUX_PORT/query?db=quantrac&q=SELECT%20last(*)%20FROM%20air%20GROUP%20BY%20station"
echo "  tt10 watcher http://127.0.0.1:$TT10_PORT/metrics   files: $DEMO/ftp (.done/, .rejected/)"
echo "  logs         $DEMO/logs/"
echo "  report CLI   $BIN/quantrac report -config $DEMO/quantrac.yaml -month $month -format csv"
echo

while sleep 5; do
	now=$(date +%H:%M:%S)
	points=$(curl -sG "http://127.0.0.1:$INFLUX_PORT/query" --data-urlencode db=quantrac \
		--data-urlencode "q=SELECT count(pm25) FROM air WHERE time > now() - 30d" | grep -o '"values":\[\[[^]]*' | awk -F, '{print $2}')
	firing=$(curl -s "http://127.0.0.1:$WEB_PORT/metrics" | grep -E '^quantrac_violation\{' | grep -c ' 1$' || true)
	files=$(curl -s "http://127.0.0.1:$TT10_PORT/metrics" | awk '/^quantrac_tt10_files_received/ {s += $NF} END {print s + 0}')
	echo "$now  pm25 points in InfluxDB: ${points:-0}   TT10 files ingested: $files   active violations (quantrac_violation == 1): $firing"
	curl -s "http://127.0.0.1:$WEB_PORT/metrics" | grep -E '^quantrac_violation\{' | grep ' 1$' | sed 's/^/    /' | head -5 || true
done
