package main

import (
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
)

// Results is everything one qbench run measured; it is written as JSON.
type Results struct {
	Date     string    `json:"date"`
	Machine  Machine   `json:"machine"`
	Options  Settings  `json:"options"`
	Commands []string  `json:"commands"` // every external command run, in order (first of each kind)
	Rows     []Row     `json:"rows"`
	Profile  *Profile  `json:"profile,omitempty"`
	GoBench  []GoBench `json:"go_bench,omitempty"`
}

// Settings are the options a run used.
type Settings struct {
	Stations           []int   `json:"stations"`
	Messages           int64   `json:"messages"`
	Backlog            int64   `json:"backlog"`
	ReadingsPerMessage int     `json:"readings_per_message"`
	Conns              int     `json:"conns"`
	Step               string  `json:"step"`
	Violate            float64 `json:"violate"`
	Probes             int     `json:"probes"`
	LatencyRate        float64 `json:"latency_rate"`
	MaxInflight        int     `json:"mosquitto_max_inflight_messages"`
	MaxQueued          int     `json:"mosquitto_max_queued_messages"`
	PlainCounter       bool    `json:"counter_plain_paho"`
}

// Row is the result of one station count.
type Row struct {
	Stations int `json:"stations"`
	// Broker is the broker-only ceiling: stationsim → Mosquitto → counting subscriber.
	Broker Phase `json:"broker_only"`
	// EndToEnd is stationsim → Mosquitto → quantrac → InfluxDB, until every point is
	// queryable.
	EndToEnd Phase `json:"end_to_end"`
	// CatchUp is quantrac draining a backlog queued while it was down.
	CatchUp Phase `json:"catch_up"`
	// DrainCeiling is the counting subscriber draining the same backlog.
	DrainCeiling Phase `json:"drain_ceiling"`
	// Startup is quantrac's start before the catch-up: process start until it connects to
	// the broker (rule windows rebuilt from InfluxDB meanwhile).
	StartupS   float64 `json:"startup_s"`
	StartupCPU float64 `json:"startup_cpu_s"`
	Latency    Latency `json:"latency"`

	RatioEndToEnd float64 `json:"ratio_end_to_end"` // EndToEnd ÷ Broker messages/s
	RatioCatchUp  float64 `json:"ratio_catch_up"`   // CatchUp ÷ DrainCeiling messages/s
	// Quantrac's CPU over the end-to-end phase.
	CPUPerMessageUS   float64 `json:"quantrac_cpu_us_per_message"`
	CPUPer100kMsgs    float64 `json:"quantrac_cpu_s_per_100k_messages"`
	CPUPer100kReading float64 `json:"quantrac_cpu_s_per_100k_readings"`
	CatchUpCPUPerMsg  float64 `json:"quantrac_catch_up_cpu_us_per_message"`
	// PeakRSSMB is quantrac's VmHWM over its runs up to the first /metrics scrape (ingesting,
	// catching up); PeakRSSScrapeMB the VmHWM right after one scrape of /metrics.
	PeakRSSMB       float64 `json:"quantrac_peak_rss_mb"`
	PeakRSSScrapeMB float64 `json:"quantrac_peak_rss_after_scrape_mb"`
	// Accounting is quantrac's own counters after the catch-up (messages by result,
	// readings, rejections, points written, write errors).
	Accounting map[string]float64 `json:"accounting,omitempty"`
	// Redelivered is how many more messages than the backlog quantrac accepted after its
	// restart: end-to-end messages whose PUBACK had not reached the broker when it stopped
	// (a settle pause after the last point was queryable). Harmless (points overwrite
	// themselves), but work done twice.
	Redelivered    int64    `json:"redelivered"`
	MetricsBytes   int      `json:"metrics_bytes"`   // size of /metrics
	MetricsSeconds float64  `json:"metrics_seconds"` // how long one scrape of /metrics took
	Errors         []string `json:"errors,omitempty"`
}

// Phase is one measured transfer of messages.
type Phase struct {
	Messages     int64   `json:"messages"`
	Seconds      float64 `json:"seconds"`
	MsgPerS      float64 `json:"msg_per_s"`
	ReadingsPerS float64 `json:"readings_per_s"`
	// CPU seconds each process spent during the phase (quantrac, mosquitto, influxd,
	// stationsim, qbench: the counting subscriber runs in qbench).
	CPU map[string]float64 `json:"cpu_s"`
	// Load1 is the 1-minute load average when the phase started and ended: the machine is
	// shared, and a high load means the figures are low.
	Load1Start float64 `json:"load1_start"`
	Load1End   float64 `json:"load1_end"`
	// Queried is how many messages were found (InfluxDB count or subscriber count).
	Queried int64 `json:"queried"`
	// Resolution is the completion-time resolution: the InfluxDB poll interval plus the
	// duration of one count query (0 for the in-process subscriber).
	ResolutionS float64 `json:"resolution_s,omitempty"`
	// CountQueries and CountQueryS are the InfluxDB count queries qbench sent to detect the
	// end of the phase and their total duration: work influxd did for the benchmark, not
	// for quantrac (included in its CPU seconds).
	CountQueries int     `json:"count_queries,omitempty"`
	CountQueryS  float64 `json:"count_query_s,omitempty"`
	Publisher    float64 `json:"stationsim_msg_per_s,omitempty"` // stationsim's own rate
	// TailS is, end to end, how long after stationsim's last PUBACK the last point became
	// queryable: what quantrac still had in flight (including up to flush_interval of the
	// last partial batch).
	TailS float64 `json:"tail_s,omitempty"`
}

// Latency is the publish → violation-visible delay of permit-limit breaches.
type Latency struct {
	Probes         int     `json:"probes"`
	Missed         int     `json:"missed"`
	P50ms          float64 `json:"p50_ms"`
	P99ms          float64 `json:"p99_ms"`
	MaxMs          float64 `json:"max_ms"`
	PollMs         float64 `json:"mean_poll_ms"`    // mean duration of one /api/v1/violations GET
	BodyBytes      int     `json:"api_body_bytes"`  // size of the last answer
	BackgroundRate float64 `json:"background_msgs"` // stationsim's rate meanwhile
	Load1          float64 `json:"load1"`
}

// Machine describes where the run happened.
type Machine struct {
	CPU       string `json:"cpu"`
	Cores     int    `json:"cores"`
	MemoryGB  string `json:"memory"`
	Kernel    string `json:"kernel"`
	OS        string `json:"os"`
	Go        string `json:"go"`
	Mosquitto string `json:"mosquitto"`
	InfluxDB  string `json:"influxdb"`
}

// Profile holds the top of a perf profile of quantrac under the end-to-end load.
type Profile struct {
	Stations int      `json:"stations"`
	Samples  string   `json:"samples"`
	Self     []string `json:"self"`     // perf report --no-children: where the CPU is spent
	Children []string `json:"children"` // perf report --children: cumulative, by caller
	DSO      []string `json:"dso"`      // by binary: quantrac vs kernel vs vdso
	Files    []string `json:"files"`
}

// GoBench is one line of `go test -bench` output.
type GoBench struct {
	Pkg     string             `json:"pkg"`
	Name    string             `json:"name"`
	N       int64              `json:"n"`
	Metrics map[string]float64 `json:"metrics"` // unit → value: ns/op, B/op, allocs/op, …
}

// rate is n per second over s seconds.
func rate(n int64, s float64) float64 {
	if s <= 0 {
		return 0
	}
	return float64(n) / s
}

// ratio is a ÷ b, or 0.
func ratio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}

// percentile returns the p-th percentile (0–100) of xs by the nearest-rank method.
func percentile(xs []float64, p float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	k := int(math.Ceil(p/100*float64(len(s)))) - 1
	return s[min(max(k, 0), len(s)-1)]
}

// load1 returns the 1-minute load average.
func load1() float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return math.NaN()
	}
	f := strings.Fields(string(b))
	v, _ := strconv.ParseFloat(f[0], 64)
	return v
}
