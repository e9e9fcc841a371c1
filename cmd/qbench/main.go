package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// options are qbench's flags.
type options struct {
	stations    []int
	messages    int64
	backlog     int64
	params      int
	conns       int
	step        time.Duration
	violate     float64
	probes      int
	latencyRate float64
	maxInflight int
	maxQueued   int
	timeout     time.Duration

	quantracBin, stationsimBin, mosquittoBin, influxdBin string
	profileBin, perfBin                                  string
	profileStations                                      int
	goBench                                              string
	outDir, workDir, stamp                               string
	keep                                                 bool
	plainCounter                                         bool
}

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "qbench:", err)
		}
		os.Exit(2)
	}
}

func parseFlags(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("qbench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	stations := fs.String("stations", "10,100,1000,10000", "station counts to measure, comma-separated (empty: only the profile)")
	fs.Int64Var(&o.messages, "messages", 200000, "messages per station count for the broker-only and end-to-end phases")
	fs.Int64Var(&o.backlog, "backlog", 100000, "messages of the backlog drained by the catch-up phases")
	fs.IntVar(&o.params, "params", 6, "readings per message (stationsim -params)")
	fs.IntVar(&o.conns, "conns", 4, "stationsim MQTT connections")
	fs.DurationVar(&o.step, "step", 5*time.Minute, "spacing of a station's measurement times (the registry's interval: every message fills one rule-window slot)")
	fs.Float64Var(&o.violate, "violate", 0.01, "stationsim -violate: probability of a violation episode per station-hour")
	fs.IntVar(&o.probes, "probes", 100, "latency probes per station count (0: none)")
	fs.Float64Var(&o.latencyRate, "latency-rate", 1000, "background load in messages/s while probing latency (0: none)")
	fs.IntVar(&o.maxInflight, "mosquitto.max-inflight", 20000, "mosquitto max_inflight_messages (quantrac's default mqtt.max_inflight is 20000)")
	fs.IntVar(&o.maxQueued, "mosquitto.max-queued", 10000000, "mosquitto max_queued_messages")
	fs.BoolVar(&o.plainCounter, "counter.plain-paho", false, "counting subscriber on paho's own connection (unbuffered reads, one write per PUBACK) instead of a buffered one")
	fs.DurationVar(&o.timeout, "timeout", 5*time.Minute, "longest a phase may take")
	fs.StringVar(&o.quantracBin, "quantrac", "bin/quantrac", "quantrac binary")
	fs.StringVar(&o.stationsimBin, "stationsim", "bin/stationsim", "stationsim binary")
	fs.StringVar(&o.mosquittoBin, "mosquitto", os.Getenv("QUANTRAC_MOSQUITTO"), "mosquitto binary (default $QUANTRAC_MOSQUITTO)")
	fs.StringVar(&o.influxdBin, "influxd", os.Getenv("QUANTRAC_INFLUXD"), "influxd 1.8 binary (default $QUANTRAC_INFLUXD)")
	fs.StringVar(&o.profileBin, "profile.quantrac", "", "unstripped quantrac binary to profile with perf (empty: no profile)")
	fs.IntVar(&o.profileStations, "profile.stations", 1000, "station count of the profiled end-to-end run")
	fs.StringVar(&o.perfBin, "perf", "perf", "perf binary")
	fs.StringVar(&o.goBench, "gobench", "", "`go test -bench` output to include in the results")
	fs.StringVar(&o.outDir, "out", "bench-results", "directory of the results files")
	fs.StringVar(&o.stamp, "stamp", time.Now().Format("2006-01-02T150405"), "name of the results files (default: the date)")
	fs.StringVar(&o.workDir, "work", "", "working directory for the services (default: a new temporary one)")
	fs.BoolVar(&o.keep, "keep", false, "keep the working directory (logs, data)")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	for _, s := range strings.FieldsFunc(*stations, func(r rune) bool { return r == ',' }) {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 {
			return o, fmt.Errorf("-stations: %q is not a positive number", s)
		}
		o.stations = append(o.stations, n)
	}
	var errs []error
	if o.messages < 1 || o.backlog < 1 || o.params < 1 || o.conns < 1 || o.step <= 0 {
		errs = append(errs, errors.New("-messages, -backlog, -params, -conns and -step must be positive"))
	}
	if o.mosquittoBin == "" || o.influxdBin == "" {
		errs = append(errs, errors.New("set -mosquitto and -influxd (or source ~/.cache/quantrac/env from scripts/deps.sh)"))
	}
	return o, errors.Join(errs...)
}

// bench is one qbench run.
type bench struct {
	o      options
	dir    string // working directory
	stamp  string // date of the run, in file names
	influx *influx
	res    *Results
	stderr io.Writer
	seen   map[string]bool // commands recorded
}

func run(args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "writecost" {
		return runWriteCost(args[1:], stdout, stderr)
	}
	o, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	b := &bench{o: o, stderr: stderr, seen: map[string]bool{}, stamp: o.stamp}
	b.res = &Results{Date: time.Now().Format(time.RFC3339), Machine: describeMachine(o), Options: o.settings()}
	if err := b.setup(); err != nil {
		return err
	}
	defer b.teardown()
	for _, n := range o.stations {
		r, err := newStationRun(b, n, strconv.Itoa(n))
		if err != nil {
			b.res.Rows = append(b.res.Rows, Row{Stations: n, Errors: []string{err.Error()}})
			b.logf("%d stations: %v", n, err)
			continue
		}
		b.res.Rows = append(b.res.Rows, r.run())
	}
	if o.profileBin != "" && o.profileStations > 0 {
		b.logf("profile: end to end at %d stations under perf", o.profileStations)
		if b.res.Profile, err = b.profile(o.profileStations); err != nil {
			b.logf("profile failed: %v", err)
		}
	}
	if o.goBench != "" {
		if b.res.GoBench, err = parseGoBench(o.goBench); err != nil {
			b.logf("reading %s: %v", o.goBench, err)
		}
	}
	return b.write(stdout)
}

func (o options) settings() Settings {
	return Settings{Stations: o.stations, Messages: o.messages, Backlog: o.backlog, ReadingsPerMessage: o.params,
		Conns: o.conns, Step: o.step.String(), Violate: o.violate, Probes: o.probes, LatencyRate: o.latencyRate,
		MaxInflight: o.maxInflight, MaxQueued: o.maxQueued, PlainCounter: o.plainCounter}
}

// setup makes the working directory and starts InfluxDB.
func (b *bench) setup() error {
	var err error
	if b.dir = b.o.workDir; b.dir == "" {
		if b.dir, err = os.MkdirTemp("", "qbench-"); err != nil {
			return err
		}
	}
	if err := os.MkdirAll(b.o.outDir, 0o755); err != nil {
		return err
	}
	b.logf("working directory %s", b.dir)
	b.influx, err = startInflux(b.o.influxdBin, b.dir)
	return err
}

func (b *bench) teardown() {
	if b.influx != nil {
		_ = b.influx.Stop(syscall.SIGTERM, 30*time.Second)
	}
	if !b.o.keep && b.o.workDir == "" {
		os.RemoveAll(b.dir)
	}
}

// write prints the tables and writes <date>.json and <date>.md into the output directory.
func (b *bench) write(stdout io.Writer) error {
	var md strings.Builder
	writeMarkdown(&md, b.res)
	if err := writeResults(stdout, filepath.Join(b.o.outDir, b.stamp), md.String(), b.res); err != nil {
		return err
	}
	for _, r := range b.res.Rows {
		if len(r.Errors) > 0 {
			return fmt.Errorf("%d stations: %s", r.Stations, firstLineOf(r.Errors[0]))
		}
	}
	return nil
}

// quantracBin is the quantrac binary of the measured phases.
func (b *bench) quantracBin() string { return b.o.quantracBin }

// command records a command line for the results (each distinct one once).
func (b *bench) command(c string) {
	if !b.seen[c] {
		b.seen[c] = true
		b.res.Commands = append(b.res.Commands, c)
	}
}

// logf prints progress on stderr.
func (b *bench) logf(format string, args ...any) {
	fmt.Fprintf(b.stderr, "%s qbench: %s (load %.1f)\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, args...), load1())
}

// writeResults prints the markdown md and writes it and res as JSON to base.md and base.json.
func writeResults(stdout io.Writer, base, md string, res any) error {
	fmt.Fprint(stdout, md)
	js, err := json.MarshalIndent(res, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(base+".json", append(js, '\n'), 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(base+".md", []byte(md), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "results: %s.json, %s.md\n", base, base)
	return nil
}
