package main

import (
	"bytes"
	"cmp"
	"compress/gzip"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	influxdb2 "github.com/influxdata/influxdb-client-go/v2"

	"github.com/quantrac/quantrac"
	"github.com/quantrac/quantrac/internal/sim"
	"github.com/quantrac/quantrac/store"
)

// wcDB is the database writecost writes to.
const wcDB = "wc"

// wcBaseConf are the settings writecost adds to qbench's influxdb.conf for every variant.
var wcBaseConf = []confSetting{
	{"data", "cache-snapshot-write-cold-duration", `"2s"`},
	{"data", "compact-full-write-cold-duration", `"5s"`},
}

// wcVariant is one way of writing the load.
type wcVariant struct {
	Name      string `json:"name"`
	Spec      string `json:"spec"` // the settings that differ from base
	Batch     int    `json:"batch"`
	Precision string `json:"precision"` // ns or s
	Gzip      bool   `json:"gzip"`
	Client    string `json:"client"` // v2, plain or quantrac
	Writers   int    `json:"writers"`
	// Burn is how many goroutines of qbench spin on the CPU during the measured writes: a
	// busy machine, as in the end-to-end benchmark where Mosquitto, quantrac and stationsim
	// share the cores with influxd.
	Burn int      `json:"burn,omitempty"`
	Env  []string `json:"env,omitempty"`
	conf []confSetting
}

// wcBuiltin are the variants -variants names; each is base with its spec applied.
var wcBuiltin = []struct{ name, spec string }{
	{"base", ""},
	{"batch1k", "batch=1000"},
	{"batch2k", "batch=2000"},
	{"batch20k", "batch=20000"},
	{"s", "precision=s"},
	{"gzip", "gzip=true"},
	{"plain", "client=plain"},
	{"plain-s", "client=plain,precision=s"},
	{"quantrac", "client=quantrac"},
	{"writers1", "writers=1"},
	{"busy", "burn=1"},
	{"stock", "monitor.store-enabled=true,http.log-enabled=true"},
	{"tracing", "http.write-tracing=true"},
	{"tsi1", "data.index-version=tsi1"},
	{"fsync50ms", "data.wal-fsync-delay=50ms"},
	{"snap256m", "data.cache-snapshot-memory-size=256m"},
	{"compact1", "data.max-concurrent-compactions=1"},
	{"gogc200", "env.GOGC=200"},
	{"gogc400", "env.GOGC=400"},
	{"gogc800", "env.GOGC=800"},
	{"memlimit", "env.GOGC=off,env.GOMEMLIMIT=1GiB"},
}

// parseVariant applies spec ("key=value,key=value") to base. Keys: batch, precision (ns, s),
// gzip (true, false), client (v2: influxdb-client-go's blocking write API; plain: net/http
// POST /write; quantrac: store.Writer as built), writers, burn (see wcVariant), env.NAME (influxd's environment) and section.key (an influxdb.conf setting; values other
// than numbers and booleans are quoted).
func parseVariant(name, spec string) (wcVariant, error) {
	v := wcVariant{Name: name, Spec: spec, Batch: 5000, Precision: "ns", Client: "v2", Writers: 2}
	for _, kv := range strings.FieldsFunc(spec, func(r rune) bool { return r == ',' }) {
		k, val, ok := strings.Cut(strings.TrimSpace(kv), "=")
		if !ok {
			return v, fmt.Errorf("variant %s: %q is not key=value", name, kv)
		}
		var err error
		switch {
		case k == "batch":
			v.Batch, err = strconv.Atoi(val)
			if err == nil && v.Batch < 1 {
				err = errors.New("not positive")
			}
		case k == "writers":
			v.Writers, err = strconv.Atoi(val)
			if err == nil && v.Writers < 1 {
				err = errors.New("not positive")
			}
		case k == "burn":
			v.Burn, err = strconv.Atoi(val)
			if err == nil && v.Burn < 0 {
				err = errors.New("negative")
			}
		case k == "precision":
			if val != "ns" && val != "s" {
				err = errors.New("ns or s")
			}
			v.Precision = val
		case k == "gzip":
			v.Gzip, err = strconv.ParseBool(val)
		case k == "client":
			if val != "v2" && val != "plain" && val != "quantrac" {
				err = errors.New("v2, plain or quantrac")
			}
			v.Client = val
		case strings.HasPrefix(k, "env."):
			v.Env = append(v.Env, strings.TrimPrefix(k, "env.")+"="+val)
		case strings.Contains(k, "."):
			sec, key, _ := strings.Cut(k, ".")
			v.conf = append(v.conf, confSetting{sec, key, tomlValue(val)})
		default:
			err = errors.New("unknown key")
		}
		if err != nil {
			return v, fmt.Errorf("variant %s: %s: %w", name, kv, err)
		}
	}
	if v.Client == "quantrac" && (v.Precision != "ns" || v.Gzip) {
		return v, fmt.Errorf("variant %s: client=quantrac writes as store.Writer does: no precision or gzip", name)
	}
	return v, nil
}

// tomlValue writes val as a TOML value: numbers and booleans as they are, the rest quoted.
func tomlValue(val string) string {
	if val == "true" || val == "false" {
		return val
	}
	if _, err := strconv.ParseInt(val, 10, 64); err == nil {
		return val
	}
	return strconv.Quote(val)
}

type wcOptions struct {
	influxdBin, perfBin  string
	stations, points     int
	warmup, repeat       int
	variants             []wcVariant
	profile              string
	settle               bool
	outDir, stamp, work  string
	keep                 bool
	settleMin, settleMax time.Duration
	idleTick, warmIdle   time.Duration // idle detection's tick; least wait after the warm-up
	stderr               io.Writer
	custom, cmdArg       []string
}

func parseWriteCostFlags(args []string, stderr io.Writer) (*wcOptions, error) {
	o := &wcOptions{stderr: stderr, cmdArg: args}
	fs := flag.NewFlagSet("qbench writecost", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: qbench writecost [flags]\n\nInfluxDB's CPU per point written, by variant. Built-in variants:\n")
		for _, b := range wcBuiltin {
			fmt.Fprintf(stderr, "  %-10s %s\n", b.name, cmp.Or(b.spec, "batch=5000,precision=ns,gzip=false,client=v2,writers=2, qbench's influxdb.conf"))
		}
		fmt.Fprintln(stderr)
		fs.PrintDefaults()
	}
	fs.StringVar(&o.influxdBin, "influxd", os.Getenv("QUANTRAC_INFLUXD"), "influxd 1.8 binary (default $QUANTRAC_INFLUXD)")
	fs.IntVar(&o.stations, "stations", 1000, "stations (stationsim's, seed 1: two thirds air, one third wastewater)")
	fs.IntVar(&o.points, "points", 200000, "points measured per run (messages' reading points and AQI points)")
	fs.IntVar(&o.warmup, "warmup", 10000, "points written before the measurement in every run (creates the series, as in a running database)")
	fs.IntVar(&o.repeat, "repeat", 2, "runs of every variant, interleaved")
	variants := fs.String("variants", "all", "built-in variants to run, comma-separated (all: every one; empty: only -variant ones)")
	fs.Func("variant", "a custom variant `name:key=value,...` on top of base (repeatable; see parseVariant)", func(s string) error {
		o.custom = append(o.custom, s)
		return nil
	})
	fs.StringVar(&o.profile, "profile", "base", "variant to profile with perf in one more run, not counted (empty: none)")
	fs.StringVar(&o.perfBin, "perf", "perf", "perf binary")
	fs.BoolVar(&o.settle, "persist", true, "also measure the snapshot and compactions after the writes")
	fs.DurationVar(&o.settleMin, "persist.min", 9*time.Second, "shortest wait after the writes (≥ the full-compaction cold time, 5 s, plus the planner's tick)")
	fs.DurationVar(&o.settleMax, "persist.max", 90*time.Second, "longest wait for influxd to go idle after the writes")
	fs.StringVar(&o.outDir, "out", "bench-results", "directory of the results files")
	fs.StringVar(&o.stamp, "stamp", time.Now().Format("2006-01-02T150405"), "name of the results files (<stamp>-writecost.{json,md})")
	fs.StringVar(&o.work, "work", "", "working directory (default: a new temporary one)")
	fs.BoolVar(&o.keep, "keep", false, "keep the working directory")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	// Idle is a clock tick (10 ms) of CPU or less in each of two seconds; after the warm-up,
	// wait for the shard's cold snapshot (2 s after the last write) too.
	o.idleTick, o.warmIdle = time.Second, 4*time.Second
	if o.influxdBin == "" {
		return nil, errors.New("set -influxd (or source ~/.cache/quantrac/env from scripts/deps.sh)")
	}
	if o.stations < 1 || o.points < 1 || o.warmup < 0 || o.repeat < 1 {
		return nil, errors.New("-stations, -points and -repeat must be positive, -warmup not negative")
	}
	var names []string // of built-in variants
	switch *variants {
	case "all":
		for _, b := range wcBuiltin {
			names = append(names, b.name)
		}
	case "": // only -variant ones
	default:
		names = strings.Split(*variants, ",")
	}
	for _, n := range names {
		i := slices.IndexFunc(wcBuiltin, func(b struct{ name, spec string }) bool { return b.name == n })
		if i < 0 {
			return nil, fmt.Errorf("-variants: no built-in variant %q (qbench writecost -h lists them)", n)
		}
		v, err := parseVariant(n, wcBuiltin[i].spec)
		if err != nil {
			return nil, err
		}
		o.variants = append(o.variants, v)
	}
	for _, c := range o.custom {
		name, spec, ok := strings.Cut(c, ":")
		if !ok || name == "" {
			return nil, fmt.Errorf("-variant %q: want name:key=value[,key=value]", c)
		}
		v, err := parseVariant(name, spec)
		if err != nil {
			return nil, err
		}
		o.variants = append(o.variants, v)
	}
	if len(o.variants) == 0 {
		return nil, errors.New("no variants")
	}
	if o.profile != "" && !slices.ContainsFunc(o.variants, func(v wcVariant) bool { return v.Name == o.profile }) {
		return nil, fmt.Errorf("-profile %s: not among the variants run", o.profile)
	}
	return o, nil
}

// wcLoad is the generated load: messages in the order quantrac receives them.
type wcLoad struct {
	msgs           [][]byte // each message's lines, nanosecond timestamps
	points         []int    // points of each message
	warmupMsgs     int      // msgs[:warmupMsgs] are the warm-up
	measuredPoints int
	last           time.Time // time of the last message
	air, ww, aqi   int64     // points by measurement, warm-up included
}

// wcStart is the time of the load's first message: a 7-day shard group boundary, so that
// the whole load lands in one shard, as most writes of a running database do.
var wcStart = time.Unix(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Unix()/(7*86400)*(7*86400), 0).UTC()

// wcStep is a station's interval between messages.
const wcStep = 5 * time.Minute

// generateLoad makes warmup+points points of stationsim's stations (seed 1, 6 parameters,
// violate 0.01) as quantrac's line protocol encoder writes them.
func generateLoad(stations, warmup, points int) (*wcLoad, error) {
	sts, err := sim.Stations(stations, simSeed)
	if err != nil {
		return nil, err
	}
	model := sim.Model{Seed: simSeed, Violate: 0.01, Params: 6}
	l := &wcLoad{}
	var msg sim.Message
	var rs []quantrac.Reading
	total := 0
	for k := 0; total < warmup+points; k++ {
		t := wcStart.Add(time.Duration(k) * wcStep)
		for i, st := range sts {
			if total >= warmup+points {
				break
			}
			if total < warmup {
				l.warmupMsgs = len(l.msgs) + 1
			}
			model.Message(&msg, st, t)
			rs = rs[:0]
			for _, r := range msg.Readings {
				rs = append(rs, quantrac.Reading{Station: st.ID, Kind: st.Kind, Param: r.Param, Value: r.Value,
					Time: t, Status: quantrac.StatusMeasuring})
			}
			b, n := store.AppendReadings(nil, st, rs)
			l.last = t
			if st.Kind == quantrac.Air {
				l.air++
			} else {
				l.ww++
			}
			if st.Kind == quantrac.Air && t.Minute() == 0 {
				// quantrac's derive: at every new hour, the hourly index of each scheme.
				for _, scheme := range []string{"us", "vn"} {
					b = store.AppendPoint(b, aqiPoint(st.ID, scheme, i, rs, t))
					n++
					l.aqi++
				}
			}
			l.msgs = append(l.msgs, b)
			l.points = append(l.points, n)
			total += n
		}
	}
	for _, n := range l.points[l.warmupMsgs:] {
		l.measuredPoints += n
	}
	return l, nil
}

// aqiPoint is an hourly AQI point shaped as internal/derive writes it (values made up from
// the readings).
func aqiPoint(station, scheme string, i int, rs []quantrac.Reading, t time.Time) *store.Point {
	v := int64(rs[0].Value*2) + int64(i%7)
	cats := []struct{ en, vi, color string }{
		{"Good", "Tốt", "#00e400"}, {"Moderate", "Trung bình", "#ffff00"}, {"Poor", "Kém", "#ff7e00"},
		{"Bad", "Xấu", "#ff0000"}, {"Very bad", "Rất xấu", "#8f3f97"},
	}
	c := cats[min(int(v/50), len(cats)-1)]
	p := &store.Point{
		Measurement: store.MeasurementAQI,
		Tags:        []store.Tag{{Key: "period", Value: "hour"}, {Key: "scheme", Value: scheme}, {Key: "station", Value: station}},
		Fields: []store.Field{
			{Key: "aqi", Value: v}, {Key: "category", Value: c.en}, {Key: "category_vi", Value: c.vi},
			{Key: "color", Value: c.color}, {Key: "dominant", Value: rs[0].Param},
		},
		Time: t,
	}
	for j, r := range rs {
		p.Fields = append(p.Fields, store.Field{Key: r.Param, Value: int64(r.Value*1.5) + int64(j)})
	}
	return p
}

// batches groups msgs[from:to] as quantrac's sink does: a batch is sent once it holds at
// least size points.
func (l *wcLoad) batches(from, to, size int) (bodies [][]byte, points []int) {
	var cur []byte
	n := 0
	for i := from; i < to; i++ {
		cur = append(cur, l.msgs[i]...)
		n += l.points[i]
		if n >= size || i == to-1 {
			bodies, points = append(bodies, cur), append(points, n)
			cur, n = nil, 0
		}
	}
	return bodies, points
}

// secondsPrecision rewrites the timestamps of body, generated line protocol whose lines end
// in " <ns>\n", to seconds; every one must be a whole second.
func secondsPrecision(body []byte) ([]byte, error) {
	out := make([]byte, 0, len(body))
	for line := range bytes.Lines(body) {
		sp := bytes.LastIndexByte(line, ' ')
		ts := bytes.TrimSuffix(line[sp+1:], []byte("\n"))
		ns, err := strconv.ParseInt(string(ts), 10, 64)
		if sp < 0 || err != nil || ns%1e9 != 0 {
			return nil, fmt.Errorf("writecost: %q is not a whole second", ts)
		}
		out = append(out, line[:sp+1]...)
		out = strconv.AppendInt(out, ns/1e9, 10)
		out = append(out, '\n')
	}
	return out, nil
}

// wcRun is one measured run of a variant.
type wcRun struct {
	Variant      string  `json:"variant"`
	Round        int     `json:"round"` // 0 is the profiled run
	Points       int     `json:"points"`
	Requests     int     `json:"requests"`
	BytesSent    int64   `json:"bytes_sent"`
	WriteS       float64 `json:"write_s"`       // wall time of the measured writes
	WriteCPU     float64 `json:"write_cpu_s"`   // influxd CPU during them
	PersistCPU   float64 `json:"persist_cpu_s"` // influxd CPU after them, until idle
	PersistS     float64 `json:"persist_s"`     // wall time of that wait
	WriteUS      float64 `json:"write_us_per_point"`
	TotalUS      float64 `json:"total_us_per_point"` // write + persist
	Snapshots    int     `json:"snapshots"`          // cache snapshots (whole run)
	Compactions  int     `json:"compactions"`        // TSM compactions (whole run)
	PeakRSSMB    float64 `json:"influxd_peak_rss_mb"`
	Load1Start   float64 `json:"load1_start"`
	Load1End     float64 `json:"load1_end"`
	SnapshotsW   int     `json:"snapshots_during_writes"`
	CompactionsW int     `json:"compactions_during_writes"`
	Err          string  `json:"error,omitempty"`
}

// WriteCostResults is what writecost writes as JSON.
type WriteCostResults struct {
	Date     string      `json:"date"`
	Machine  Machine     `json:"machine"`
	Command  string      `json:"command"`
	Stations int         `json:"stations"`
	Points   int         `json:"points_per_run"`
	Warmup   int         `json:"warmup_points"`
	BaseConf []string    `json:"base_conf"` // writecost's settings on top of qbench's influxdb.conf
	Variants []wcVariant `json:"variants"`
	Runs     []wcRun     `json:"runs"`
	Profile  *Profile    `json:"profile,omitempty"`
}

type writeCost struct {
	o    *wcOptions
	load *wcLoad
	dir  string
	res  *WriteCostResults
}

// runWriteCost is `qbench writecost`: what InfluxDB 1.8 costs per point quantrac writes,
// as influxd's CPU (utime+stime from /proc) per point, for variants of the write (points per
// request, timestamp precision, gzip, HTTP client) and of influxd's configuration and
// environment. Every run gets a fresh influxd. The load is what quantrac writes for
// stationsim's stations: one point of 6 float fields per message (store.AppendReadings),
// every station one message per 5 minutes, and the hourly AQI points of the air stations
// (≈0.1 per message), in quantrac's batches (whole messages; a batch is sent once it holds
// at least the batch size) written by concurrent writers as quantrac's sink does (2 by
// default). The rounds are interleaved (variant A, B, …, then A, B, … again) so that a change
// of the machine's load spreads over all variants.
//
// Two figures per run: "write", influxd's CPU from the first request to the last response of
// the measured writes, and "+ persist", which adds what influxd spends afterwards writing the
// cache to TSM files and compacting them (the run's influxd snapshots a shard 2 s after its
// last write and compacts it fully 5 s after, instead of after 10 min and 4 h, so that this
// work is inside the run).
func runWriteCost(args []string, stdout, stderr io.Writer) error {
	o, err := parseWriteCostFlags(args, stderr)
	if err != nil {
		return err
	}
	return o.run(stdout)
}

func (o *wcOptions) run(stdout io.Writer) (err error) {
	wc := &writeCost{o: o}
	if wc.dir = o.work; wc.dir == "" {
		if wc.dir, err = os.MkdirTemp("", "qbench-writecost-"); err != nil {
			return err
		}
		if !o.keep {
			defer os.RemoveAll(wc.dir)
		}
	}
	if err := os.MkdirAll(o.outDir, 0o755); err != nil {
		return err
	}
	if wc.load, err = generateLoad(o.stations, o.warmup, o.points); err != nil {
		return err
	}
	wc.res = &WriteCostResults{Date: time.Now().Format(time.RFC3339), Machine: describeMachine(options{influxdBin: o.influxdBin}),
		Command: "qbench writecost " + strings.Join(o.cmdArg, " "), Stations: o.stations, Points: wc.load.measuredPoints,
		Warmup: o.warmup, Variants: o.variants}
	for _, s := range wcBaseConf {
		wc.res.BaseConf = append(wc.res.BaseConf, s.section+"."+s.key+" = "+s.value)
	}
	wc.logf("%d measured points (%d air, %d wastewater, %d aqi) after %d warm-up points; %d variants × %d rounds; working directory %s",
		wc.load.measuredPoints, wc.load.air, wc.load.ww, wc.load.aqi, o.warmup, len(o.variants), o.repeat, wc.dir)
	if o.profile != "" {
		i := slices.IndexFunc(o.variants, func(v wcVariant) bool { return v.Name == o.profile })
		wc.res.Profile, err = wc.profileRun(o.variants[i])
		if err != nil {
			wc.logf("profile: %v", err)
		}
	}
	for round := 1; round <= o.repeat; round++ {
		for _, v := range o.variants {
			r := wc.run(v, round, nil)
			wc.res.Runs = append(wc.res.Runs, r)
			if r.Err != "" {
				wc.logf("%s #%d: %s", v.Name, round, r.Err)
				continue
			}
			wc.logf("%s #%d: write %.2f µs/point (%.2f s CPU in %.2f s), +persist %.2f µs/point; %d snapshots, %d compactions",
				v.Name, round, r.WriteUS, r.WriteCPU, r.WriteS, r.TotalUS, r.Snapshots, r.Compactions)
		}
	}
	return wc.write(stdout)
}

func (wc *writeCost) logf(format string, args ...any) {
	fmt.Fprintf(wc.o.stderr, "%s writecost: %s (load %.1f)\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, args...), load1())
}

// sender writes one batch to InfluxDB.
type sender func(ctx context.Context, body []byte, points int) error

// newSender builds v's client for the InfluxDB at url.
func newSender(v wcVariant, url string) (sender, func(), error) {
	switch v.Client {
	case "quantrac":
		w, err := store.NewWriter(store.WriterOptions{URL: url, Bucket: wcDB + "/autogen", Timeout: time.Minute}, nil)
		if err != nil {
			return nil, nil, err
		}
		return w.Write, w.Close, nil
	case "plain":
		c := &http.Client{Timeout: time.Minute}
		u := url + "/write?db=" + wcDB + "&precision=" + map[string]string{"ns": "n", "s": "s"}[v.Precision]
		return func(ctx context.Context, body []byte, _ int) error {
			req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(body))
			if err != nil {
				return err
			}
			req.Header.Set("Content-Type", "text/plain; charset=utf-8")
			if v.Gzip {
				req.Header.Set("Content-Encoding", "gzip")
			}
			resp, err := c.Do(req)
			if err != nil {
				return err
			}
			msg, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusNoContent {
				return fmt.Errorf("HTTP %d: %s", resp.StatusCode, msg)
			}
			return nil
		}, c.CloseIdleConnections, nil
	default:
		prec := time.Nanosecond
		if v.Precision == "s" {
			prec = time.Second
		}
		opts := influxdb2.DefaultOptions().SetPrecision(prec).SetUseGZip(v.Gzip).SetMaxRetries(0).SetHTTPRequestTimeout(60)
		c := influxdb2.NewClientWithOptions(url, "", opts)
		api := c.WriteAPIBlocking("", wcDB+"/autogen")
		return func(ctx context.Context, body []byte, _ int) error { return api.WriteRecord(ctx, string(body)) }, c.Close, nil
	}
}

// bodies returns v's requests for msgs[from:to]: batched, in v's precision, and gzipped for
// the plain client (influxdb-client-go compresses itself).
func (wc *writeCost) bodies(v wcVariant, from, to int) ([][]byte, []int, error) {
	bodies, points := wc.load.batches(from, to, v.Batch)
	for i := range bodies {
		var err error
		if v.Precision == "s" {
			if bodies[i], err = secondsPrecision(bodies[i]); err != nil {
				return nil, nil, err
			}
		}
		if v.Gzip && v.Client == "plain" {
			var buf bytes.Buffer
			zw := gzip.NewWriter(&buf)
			_, _ = zw.Write(bodies[i])
			if err := zw.Close(); err != nil {
				return nil, nil, err
			}
			bodies[i] = buf.Bytes()
		}
	}
	return bodies, points, nil
}

// send writes the bodies with v.Writers concurrent writers and returns the bytes sent.
func send(s sender, writers int, bodies [][]byte, points []int) (int64, error) {
	next := make(chan int)
	var (
		mu    sync.Mutex
		errs  []error
		bytes int64
		wg    sync.WaitGroup
	)
	for range writers {
		wg.Go(func() {
			for i := range next {
				err := s(context.Background(), bodies[i], points[i])
				mu.Lock()
				bytes += int64(len(bodies[i]))
				if err != nil {
					errs = append(errs, err)
				}
				mu.Unlock()
			}
		})
	}
	for i := range bodies {
		next <- i
	}
	close(next)
	wg.Wait()
	return bytes, errors.Join(errs...)
}

// run measures one run of v. With onMeasure, it is called with influxd's pid right before
// the measured writes and returns what to call once they and the persist wait are over.
func (wc *writeCost) run(v wcVariant, round int, onMeasure func(pid int) (func(), error)) (r wcRun) {
	r = wcRun{Variant: v.Name, Round: round, Load1Start: load1()}
	defer func() { r.Load1End = load1() }()
	fail := func(err error) wcRun { r.Err = err.Error(); return r }
	dir := filepath.Join(wc.dir, fmt.Sprintf("%s-%d", v.Name, round))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fail(err)
	}
	if !wc.o.keep {
		defer os.RemoveAll(dir)
	}
	warmB, warmP, err := wc.bodies(v, 0, wc.load.warmupMsgs)
	if err != nil {
		return fail(err)
	}
	bodies, points, err := wc.bodies(v, wc.load.warmupMsgs, len(wc.load.msgs))
	if err != nil {
		return fail(err)
	}
	in, err := startInfluxWith(wc.o.influxdBin, dir, v.Env, append(slices.Clone(wcBaseConf), v.conf...)...)
	if err != nil {
		return fail(err)
	}
	defer func() { _ = in.Stop(syscall.SIGTERM, 30*time.Second) }()
	logPath := filepath.Join(dir, "influxd.log")
	if err := in.createDB(wcDB); err != nil {
		return fail(err)
	}
	s, closeSender, err := newSender(v, in.url)
	if err != nil {
		return fail(err)
	}
	defer closeSender()
	if _, err := send(s, v.Writers, warmB, warmP); err != nil {
		return fail(fmt.Errorf("warm-up: %w", err))
	}
	// Once influxd is idle, the start's work and the warm-up's are done, the warm-up's
	// cache snapshot included (the shard is cold 2 s after its last write).
	if _, err := waitIdle(in.proc, wc.o.idleTick, wc.o.warmIdle, 30*time.Second); err != nil {
		return fail(err)
	}
	var stopProfile func()
	if onMeasure != nil {
		if stopProfile, err = onMeasure(in.PID()); err != nil {
			return fail(err)
		}
	}
	snap0, comp0 := countLog(logPath)
	stopSpin := spin(v.Burn)
	cpu0, t0 := in.mustCPU(), time.Now()
	r.BytesSent, err = send(s, v.Writers, bodies, points)
	cpu1, t1 := in.mustCPU(), time.Now()
	stopSpin()
	if err != nil {
		return fail(err)
	}
	snap1, comp1 := countLog(logPath)
	r.Points, r.Requests = wc.load.measuredPoints, len(bodies)
	r.WriteS, r.WriteCPU = t1.Sub(t0).Seconds(), cpu1-cpu0
	r.WriteUS = r.WriteCPU / float64(r.Points) * 1e6
	r.SnapshotsW, r.CompactionsW = snap1-snap0, comp1-comp0
	r.TotalUS = r.WriteUS
	if wc.o.settle {
		cpu2, err := waitIdle(in.proc, wc.o.idleTick, wc.o.settleMin, wc.o.settleMax)
		if err != nil {
			return fail(err)
		}
		r.PersistS, r.PersistCPU = time.Since(t1).Seconds(), cpu2-cpu1
		r.TotalUS = (cpu2 - cpu0) / float64(r.Points) * 1e6
	}
	if stopProfile != nil {
		stopProfile()
	}
	snap2, comp2 := countLog(logPath)
	r.Snapshots, r.Compactions = snap2-snap0, comp2-comp0
	r.PeakRSSMB = float64(must(in.PeakRSS())) / (1 << 20)
	if err := wc.verify(in); err != nil {
		return fail(err)
	}
	return r
}

func must[T any](v T, _ error) T { return v }

// spin keeps n goroutines busy on the CPU until the returned function is called.
func spin(n int) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			x := 0
			for {
				select {
				case <-done:
					spinSink.Add(int64(x))
					return
				default:
					for i := range 100000 {
						x += i
					}
				}
			}
		})
	}
	return func() { close(done); wg.Wait() }
}

// spinSink keeps spin's loop from being optimised away.
var spinSink atomic.Int64

// waitIdle waits at least minWait, then until p has used less than one clock tick of CPU in
// each of two consecutive ticks, at most maxWait; it returns p's CPU seconds then.
func waitIdle(p *proc, tick, minWait, maxWait time.Duration) (float64, error) {
	start := time.Now()
	prev, quiet := p.mustCPU(), 0
	for {
		time.Sleep(tick)
		if p.Exited() {
			return 0, fmt.Errorf("influxd exited: %s", p.Tail(10))
		}
		c := p.mustCPU()
		if c-prev <= 1.0/clockTicks {
			quiet++
		} else {
			quiet = 0
		}
		prev = c
		if quiet >= 2 && time.Since(start) >= minWait {
			return c, nil
		}
		if time.Since(start) > maxWait {
			return 0, fmt.Errorf("influxd not idle %v after the writes", maxWait)
		}
	}
}

// countLog counts influxd's cache snapshots and finished TSM compactions in its log.
func countLog(path string) (snapshots, compactions int) {
	b, _ := os.ReadFile(path)
	return bytes.Count(b, []byte("Snapshot for path written")), bytes.Count(b, []byte("Finished compacting files"))
}

// verify checks that influxd holds the load exactly: the number of points of each
// measurement and the first and last reading times.
func (wc *writeCost) verify(in *influx) error {
	l := wc.load
	where := fmt.Sprintf(" WHERE time >= %d AND time <= %d", wcStart.UnixNano(), l.last.UnixNano())
	checks := []struct {
		q    string
		want []int64 // count, or the times of first and last
	}{
		{"SELECT count(pm25) FROM air" + where, []int64{l.air}},
		{"SELECT count(flow) FROM wastewater" + where, []int64{l.ww}},
		{"SELECT count(aqi) FROM aqi" + where, []int64{l.aqi}},
		{"SELECT first(pm25) FROM air WHERE time >= 0", []int64{wcStart.UnixNano()}},
		{"SELECT last(pm25) FROM air WHERE time >= 0", []int64{l.last.UnixNano()}},
	}
	for _, c := range checks {
		r, err := in.query(wcDB, c.q)
		if err != nil {
			return err
		}
		var got int64 = -1
		if len(r.Results) == 1 && len(r.Results[0].Series) == 1 && len(r.Results[0].Series[0].Values) == 1 {
			row := r.Results[0].Series[0].Values[0]
			col := 1 // count
			if strings.Contains(c.q, "first(") || strings.Contains(c.q, "last(") {
				col = 0 // time
			}
			got, _ = row[col].Int64()
		}
		if c.want[0] == 0 && got == -1 {
			continue // no AQI points in a short load
		}
		if got != c.want[0] {
			return fmt.Errorf("verify: %s = %d, want %d", c.q, got, c.want[0])
		}
	}
	return nil
}

// profileRun runs v once more under perf record -g (not counted in the results) and keeps
// the top of the reports.
func (wc *writeCost) profileRun(v wcVariant) (*Profile, error) {
	// perfReports is the end-to-end benchmark's: it names files <out>/<stamp>-perf-*.txt.
	b := &bench{o: options{outDir: wc.o.outDir, perfBin: wc.o.perfBin}, stamp: wc.o.stamp + "-writecost-" + v.Name,
		res: &Results{}, seen: map[string]bool{}, stderr: wc.o.stderr}
	data := filepath.Join(wc.o.outDir, b.stamp+".perf.data")
	var perfErr error
	r := wc.run(v, 0, func(pid int) (func(), error) {
		args := []string{"record", "-F", strconv.Itoa(perfFrequency), "-g", "-p", strconv.Itoa(pid), "-o", data}
		b.command("perf " + strings.Join(args, " "))
		perf, err := startProc("perf", filepath.Join(wc.dir, "perf.log"), wc.o.perfBin, args)
		if err != nil {
			return nil, err
		}
		time.Sleep(500 * time.Millisecond) // perf attaches to every thread
		return func() { perfErr = perf.Stop(syscall.SIGINT, 60*time.Second) }, nil
	})
	if r.Err != "" {
		return nil, errors.New(r.Err)
	}
	if perfErr != nil {
		return nil, perfErr
	}
	wc.logf("profile of %s: write %.2f µs/point, +persist %.2f µs/point (under perf, not counted)", v.Name, r.WriteUS, r.TotalUS)
	return b.perfReports(wc.o.stations, data)
}

// write prints the table and writes <stamp>-writecost.{json,md}.
func (wc *writeCost) write(stdout io.Writer) error {
	var md strings.Builder
	writeCostMarkdown(&md, wc.res)
	if err := writeResults(stdout, filepath.Join(wc.o.outDir, wc.o.stamp+"-writecost"), md.String(), wc.res); err != nil {
		return err
	}
	for _, r := range wc.res.Runs {
		if r.Err != "" {
			return fmt.Errorf("%s #%d: %s", r.Variant, r.Round, r.Err)
		}
	}
	return nil
}

// writeCostMarkdown writes the table of the runs: per variant every round's µs/point, their
// mean, and the mean ratio to base's run of the same round.
func writeCostMarkdown(w io.Writer, res *WriteCostResults) {
	fmt.Fprintf(w, "## InfluxDB write cost, %s\n\n", res.Date)
	m := res.Machine
	fmt.Fprintf(w, "Machine: %s, %d cores; kernel %s; %s. `%s`: %d stations, %d measured points per run after %d warm-up points; %s on top of qbench's influxdb.conf.\n\n",
		m.CPU, m.Cores, m.Kernel, m.InfluxDB, res.Command, res.Stations, res.Points, res.Warmup, strings.Join(res.BaseConf, ", "))
	fmt.Fprintln(w, "| variant | settings | influxd CPU µs/point, write (runs) | mean | vs base | + persist (runs) | mean | vs base | bytes/point | write s | snapshots / compactions | peak RSS MB | load1 |")
	fmt.Fprintln(w, "|---|---|---|---:|---:|---|---:|---:|---:|---:|---:|---:|---|")
	byRound := func(name string) map[int]wcRun {
		out := map[int]wcRun{}
		for _, r := range res.Runs {
			if r.Variant == name && r.Err == "" {
				out[r.Round] = r
			}
		}
		return out
	}
	base := byRound("base")
	for _, v := range res.Variants {
		runs := byRound(v.Name)
		if len(runs) == 0 {
			fmt.Fprintf(w, "| %s | %s | failed |||||||||||\n", v.Name, v.Spec)
			continue
		}
		rounds := slices.Sorted(maps.Keys(runs))
		var ws, ts, loads []string
		var wsum, tsum, wr, tr, bsum, ssum float64
		var nrel int
		snaps, comps := 0, 0
		rss := 0.0
		for _, k := range rounds {
			r := runs[k]
			ws = append(ws, fmt.Sprintf("%.2f", r.WriteUS))
			ts = append(ts, fmt.Sprintf("%.2f", r.TotalUS))
			wsum += r.WriteUS
			tsum += r.TotalUS
			bsum += float64(r.BytesSent) / float64(r.Points)
			ssum += r.WriteS
			snaps += r.Snapshots
			comps += r.Compactions
			rss = math.Max(rss, r.PeakRSSMB)
			loads = append(loads, fmt.Sprintf("%.1f–%.1f", r.Load1Start, r.Load1End))
			if b, ok := base[k]; ok && b.WriteUS > 0 {
				wr += r.WriteUS / b.WriteUS
				tr += r.TotalUS / b.TotalUS
				nrel++
			}
		}
		n := float64(len(rounds))
		rel := func(sum float64) string {
			if nrel == 0 || v.Name == "base" {
				return ""
			}
			return fmt.Sprintf("%+.0f %%", (sum/float64(nrel)-1)*100)
		}
		fmt.Fprintf(w, "| %s | %s | %s | %.2f | %s | %s | %.2f | %s | %.0f | %.2f | %.1f / %.1f | %.0f | %s |\n",
			v.Name, cmp.Or(v.Spec, "batch 5000, ns, no gzip, influxdb-client-go, 2 writers"), strings.Join(ws, ", "), wsum/n, rel(wr),
			strings.Join(ts, ", "), tsum/n, rel(tr), bsum/n, ssum/n, float64(snaps)/n, float64(comps)/n, rss, strings.Join(loads, ", "))
	}
	fmt.Fprintln(w)
	if p := res.Profile; p != nil {
		fmt.Fprintf(w, "### influxd profile (%s)\n\n", p.Samples)
		fmt.Fprintln(w, "Self time by symbol (top):\n\n```")
		for _, l := range p.Self[:min(len(p.Self), 30)] {
			fmt.Fprintln(w, l)
		}
		fmt.Fprintln(w, "```\n\nIncluding children (top):\n\n```")
		for _, l := range p.Children[:min(len(p.Children), 40)] {
			fmt.Fprintln(w, l)
		}
		fmt.Fprintln(w, "```")
		fmt.Fprintln(w)
	}
}
