package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/quantrac/quantrac"
	"github.com/quantrac/quantrac/internal/sim"
)

// simSeed is stationsim's -seed: the same stations and values in every run.
const simSeed = 1

// Client ids and prefixes of the benchmark's MQTT clients.
const (
	quantracClientID = "quantrac-bench"
	counterClientID  = "qbench-counter"
	probeClientID    = "qbench-probe"
	pubPrefix        = "qbench-pub-"
	backgroundPrefix = "qbench-bg-"
)

// stationRun is the benchmark of one station count: its own broker, database, registry and
// quantrac configuration.
type stationRun struct {
	b      *bench
	n      int
	dir    string
	db     string
	broker *broker
	q      *quantracProc // the running quantrac, if any
	// stations are stationsim's generated stations, in its order.
	stations []*quantrac.Station

	cfgPath string
	// t1 is the measurement time of each station's first message of the end-to-end load,
	// tBacklog that of the backlog, which follows it; both lie in the past so that the
	// latency probes and the background load, at the wall clock, come after them.
	t1, tBacklog time.Time
	peakRSS      int64 // VmHWM of the quantrac runs before any /metrics scrape
}

// newStationRun prepares a station count: directory, broker, database, registry with the
// latency probe stations, quantrac configuration (checked with `quantrac check`).
func newStationRun(b *bench, n int, name string) (*stationRun, error) {
	r := &stationRun{b: b, n: n, dir: filepath.Join(b.dir, name), db: "bench_" + name}
	if err := os.MkdirAll(r.dir, 0o755); err != nil {
		return nil, err
	}
	o := b.o
	step := o.step
	perStation := func(m int64) time.Duration { return time.Duration((m+int64(n)-1)/int64(n)) * step }
	span := perStation(o.messages) + perStation(o.backlog)
	r.t1 = time.Now().Add(-span - time.Hour).Truncate(step)
	r.tBacklog = r.t1.Add(perStation(o.messages))
	// Readings may be as old as the start of the load (limits.max_age), plus margin.
	maxAge := (span + 3*time.Hour).Round(time.Hour)

	var err error
	if r.stations, err = sim.Stations(n, simSeed); err != nil {
		return nil, err
	}
	if r.broker, err = startBroker(o.mosquittoBin, r.dir, o.maxInflight, o.maxQueued); err != nil {
		return nil, err
	}
	if err := b.influx.createDB(r.db); err != nil {
		r.close()
		return nil, err
	}
	if err := r.writeConfig(maxAge); err != nil {
		r.close()
		return nil, err
	}
	return r, nil
}

// writeConfig writes stations.yaml (stationsim's registry plus the probe stations) and
// quantrac.yaml, and runs `quantrac check` on them.
func (r *stationRun) writeConfig(maxAge time.Duration) error {
	o := r.b.o
	reg, err := exec.Command(o.stationsimBin, "-stations", strconv.Itoa(r.n), "-print-registry").Output()
	if err != nil {
		return fmt.Errorf("stationsim -print-registry: %w", err)
	}
	reg = append(reg, probeStations(o.probes)...)
	stations := filepath.Join(r.dir, "stations.yaml")
	if err := os.WriteFile(stations, reg, 0o644); err != nil {
		return err
	}
	r.cfgPath = filepath.Join(r.dir, "quantrac.yaml")
	cfg := fmt.Sprintf(`# written by qbench
mqtt:
  broker: %s
  client_id: %s
  qos: 1
influx:
  url: %s
  bucket: %s/autogen
spool: {dir: %s, max_bytes: 1GiB}
stations_file: %s
limits: {max_age: %dh}
`, r.broker.URL(), quantracClientID, r.b.influx.url, r.db, filepath.Join(r.dir, "spool"), stations, int(maxAge.Hours()))
	if err := os.WriteFile(r.cfgPath, []byte(cfg), 0o644); err != nil {
		return err
	}
	out, err := exec.Command(o.quantracBin, "check", "-config", r.cfgPath).CombinedOutput()
	if err != nil {
		return fmt.Errorf("quantrac check -config %s: %w\n%s", r.cfgPath, err, out)
	}
	return nil
}

// probeID names the i-th latency probe station.
func probeID(i int) string { return fmt.Sprintf("QBENCH-LAT-%04d", i+1) }

// probeStations is the registry YAML of the latency probe stations: wastewater stations
// reporting hourly with a permit limit on COD that holds for every sample, so that one high
// reading is a breach as it arrives.
func probeStations(n int) []byte {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, `  - id: %s
    name: qbench latency probe %d
    kind: wastewater
    interval: 1h
    timezone: Asia/Ho_Chi_Minh
    limits:
      - {parameter: cod, max: 75, unit: mg/L}
`, probeID(i), i+1)
	}
	return []byte(b.String())
}

// cpuSnap returns the CPU seconds so far of every process taking part.
func (r *stationRun) cpuSnap() map[string]float64 {
	m := map[string]float64{"mosquitto": r.broker.mustCPU(), "influxd": r.b.influx.mustCPU()}
	if c, err := procCPU(os.Getpid()); err == nil {
		m["qbench"] = c
	}
	if r.q != nil && !r.q.Exited() {
		m["quantrac"] = r.q.mustCPU()
	}
	return m
}

// cpuDelta is after − before for the processes present in both.
func cpuDelta(before, after map[string]float64) map[string]float64 {
	d := map[string]float64{}
	for k, v := range after {
		if b, ok := before[k]; ok {
			d[k] = v - b
		}
	}
	return d
}

// notePeakRSS keeps the running quantrac's peak RSS so far.
func (r *stationRun) notePeakRSS() {
	if r.q == nil {
		return
	}
	if rss, err := r.q.PeakRSS(); err == nil {
		r.peakRSS = max(r.peakRSS, rss)
	}
}

// stopQuantrac stops the running quantrac gracefully.
func (r *stationRun) stopQuantrac() error {
	if r.q == nil {
		return nil
	}
	err := r.q.Stop(syscall.SIGTERM, 60*time.Second)
	r.q = nil
	return err
}

// close stops everything the station count started.
func (r *stationRun) close() {
	if r.q != nil {
		_ = r.q.Stop(syscall.SIGKILL, 10*time.Second)
	}
	if r.broker != nil {
		_ = r.broker.Stop(syscall.SIGTERM, 30*time.Second)
	}
}
