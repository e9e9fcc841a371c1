package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/quantrac/quantrac/internal/sim"
	"github.com/quantrac/quantrac/internal/sim/payload"
	"github.com/quantrac/quantrac/internal/sim/tt10dir"
)

// PasswordEnv is the environment variable read for the MQTT password when -password-file is
// not given.
const PasswordEnv = "STATIONSIM_MQTT_PASSWORD"

// config holds the parsed command line.
type config struct {
	broker, stationsFile       string
	stations                   int
	printRegistry              bool
	rate                       float64
	duration                   time.Duration
	count                      int64
	violate, bad, calibrate    float64
	faults                     []sim.Fault
	faultRate                  float64
	seed                       int64
	format                     payload.Format
	out                        string
	layout                     tt10dir.Layout
	qos, conns, inflight       int
	params                     int
	clientIDPrefix             string
	username, password, caFile string
	start                      time.Time
	step                       time.Duration
	status                     bool
	logLevel                   string
	cpuProfile                 string
}

func parseFlags(args []string, stderr io.Writer) (*config, error) {
	c := &config{}
	fs := flag.NewFlagSet("stationsim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), usageText)
		fs.PrintDefaults()
	}
	var format, layout, start, passwordFile, faults string
	fs.StringVar(&c.broker, "broker", "tcp://127.0.0.1:1883", "MQTT broker `URL` (tcp://, ssl://, ws://)")
	fs.StringVar(&c.stationsFile, "stations-file", "", "simulate the stations of this registry `file` (stations.yaml)")
	fs.IntVar(&c.stations, "stations", 0, "simulate `N` generated stations SIM-AQ-0001…/SIM-WW-0001… of Lai Châu (2/3 air)")
	fs.BoolVar(&c.printRegistry, "print-registry", false, "with -stations: print the registry YAML of the generated stations and exit")
	fs.Float64Var(&c.rate, "rate", 1, "total messages per second over all stations (token bucket); 0 = as fast as possible")
	fs.DurationVar(&c.duration, "duration", 0, "stop after this long (0: until -count or interrupted)")
	fs.Int64Var(&c.count, "count", 0, "stop after `N` data messages in total (0: until -duration or interrupted)")
	fs.Float64Var(&c.violate, "violate", 0, "probability `P` that a violation episode (1.5–3× the limit for 1–8 h) starts in a station-hour")
	fs.Float64Var(&c.bad, "bad", 0, "probability `P` that a message is bad (malformed, unknown station, NaN, negative, future time, oversized, wrong station)")
	fs.Float64Var(&c.calibrate, "calibrate", 0.005, "probability `P` that a message has one reading with status 01 (json and tt10 only)")
	fs.StringVar(&faults, "faults", "", "inject data faults for the quality checks: a comma-separated `list` of stuck, spike, pm_ratio, sentinel, or all")
	fs.Float64Var(&c.faultRate, "fault-rate", 0.01, "with -faults: probability `P` that a stuck run (5–8 h) starts in a station-hour, and that a message carries one of the other faults")
	fs.Int64Var(&c.seed, "seed", 1, "random seed: the same seed gives the same stations and values")
	fs.StringVar(&format, "format", "json", "payload format: json, senml, line or tt10")
	fs.StringVar(&c.out, "out", "", "with -format tt10: write data files under this `dir` instead of publishing")
	fs.StringVar(&layout, "layout", "dated", "file layout under -out: dated (DIR/<station>/yyyy/MM/dd/) or flat")
	fs.IntVar(&c.qos, "qos", 1, "MQTT QoS of data messages, 0 or 1")
	fs.IntVar(&c.conns, "conns", 1, "MQTT connections; stations are spread over them round-robin")
	fs.IntVar(&c.inflight, "inflight", 1000, "publishes awaiting acknowledgement per connection")
	fs.IntVar(&c.params, "params", 0, "parameters per message, the first `N` of the kind's list (default 7 air, 8 wastewater)")
	fs.StringVar(&c.clientIDPrefix, "client-id-prefix", fmt.Sprintf("stationsim-%d-", os.Getpid()), "MQTT client ids are this prefix + connection number")
	fs.StringVar(&c.username, "username", "", "MQTT username")
	fs.StringVar(&passwordFile, "password-file", "", "read the MQTT password from this `file` (else $"+PasswordEnv+")")
	fs.StringVar(&c.caFile, "ca-file", "", "CA certificates (PEM) to verify an ssl:// broker")
	fs.StringVar(&start, "start", "", "measurement time of the first message, RFC 3339 (default now)")
	fs.DurationVar(&c.step, "step", 0, "spacing of one station's measurement times (default stations/rate)")
	fs.BoolVar(&c.status, "status", true, "publish stations/{id}/status online at start and offline at the end")
	fs.StringVar(&c.logLevel, "log.level", "info", "log level: debug, info, warn, error")
	fs.StringVar(&c.cpuProfile, "cpuprofile", "", "write a CPU profile (pprof) of the run to this `file`")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	var err error
	if c.format, err = payload.ParseFormat(format); err != nil {
		return nil, err
	}
	if c.layout, err = tt10dir.ParseLayout(layout); err != nil {
		return nil, err
	}
	if faults != "" {
		if c.faults, err = sim.ParseFaults(faults); err != nil {
			return nil, fmt.Errorf("-faults: %w", err)
		}
	}
	if start != "" {
		if c.start, err = time.Parse(time.RFC3339, start); err != nil {
			return nil, fmt.Errorf("-start: %w", err)
		}
	}
	if c.password, err = readSecret(passwordFile, PasswordEnv); err != nil {
		return nil, err
	}
	return c, c.validate()
}

func (c *config) validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if (c.stationsFile == "") == (c.stations <= 0) {
		bad("give either -stations-file or -stations N")
	}
	if c.printRegistry && c.stations <= 0 {
		bad("-print-registry needs -stations N")
	}
	for name, p := range map[string]float64{"violate": c.violate, "bad": c.bad, "calibrate": c.calibrate, "fault-rate": c.faultRate} {
		if p < 0 || p > 1 {
			bad("-%s %v is not a probability (0..1)", name, p)
		}
	}
	if c.out != "" && c.format != payload.TT10 {
		bad("-out writes data files: it needs -format tt10")
	}
	if c.qos != 0 && c.qos != 1 {
		bad("-qos must be 0 or 1")
	}
	if c.conns < 1 || c.inflight < 1 || c.inflight > 65535 {
		bad("-conns must be ≥ 1 and -inflight 1..65535")
	}
	if c.params < 0 || c.step < 0 || c.count < 0 || c.duration < 0 {
		bad("-params, -step, -count and -duration must not be negative")
	}
	return errors.Join(errs...)
}

// readSecret reads a secret from a file (trimmed), or from the environment variable env.
func readSecret(file, env string) (string, error) {
	if file == "" {
		return os.Getenv(env), nil
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return "", fmt.Errorf("-password-file: %w", err)
	}
	return strings.TrimSpace(string(b)), nil
}
