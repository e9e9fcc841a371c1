// Command quantrac is the environmental-monitoring ingester: MQTT → InfluxDB, regulatory
// limits, air-quality index and alert state as Prometheus metrics.
//
//	quantrac run -config quantrac.yaml     the daemon
//	quantrac check -config quantrac.yaml   validate config, station registry and rule files
//	quantrac rules                          print the built-in regulation catalog
//	quantrac aqi -scheme vn -param pm25 -value 60 -period 24h
//	quantrac replay -since 24h -reason unknown_station
//	quantrac tt10 -watch /srv/ftp/tt10 -config quantrac.yaml
//	quantrac relay -config relay.yaml       station-facing Mosquitto → NATS JetStream
//	quantrac cluster init|members|status -config quantrac.yaml
//	quantrac report -config quantrac.yaml -month 2026-11 [-station ID] [-format html|csv]
//	quantrac qc list|invalidate|revoke|approve -url URL -user U -password-file F ...
//	quantrac version
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"

	"github.com/quantrac/quantrac/config"
	"github.com/quantrac/quantrac/internal/daemon"
)

// version is set by the build (-ldflags "-X main.version=…").
var version = "dev"

func main() { os.Exit(dispatch(os.Args[1:], os.Stdout, os.Stderr)) }

const usage = `usage: quantrac <command> [flags]

commands:
  run      run the ingester (-config, -web.listen-address, -web.config.file, -log.level, -log.format)
  check    validate the configuration, station registry and rule files (-config)
  rules    print the built-in regulation catalog
  aqi      compute an air-quality index (-scheme vn|us -param P ...)
  replay   re-ingest quarantined messages (-config -since D -reason R)
  tt10     publish Circular 10/2021 station data files from an FTP folder (-watch DIR -config F ...)
  relay    forward a station-facing MQTT broker to the NATS JetStream stream, acking MQTT once stored (-config)
  cluster  create the NATS stream and consumer group, change its members, show who owns what (init|members|status)
  report   the monthly compliance report (-config F -month YYYY-MM [-station ID] [-format html|csv])
  qc       list, invalidate, revoke QC spans, approve months, as a client of a running quantrac (list|invalidate|revoke|approve)
  version  print the version
Run "quantrac <command> -h" for a command's flags.
`

func dispatch(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "run":
		return runCommand(rest, stderr)
	case "check":
		return checkCommand(rest, stdout, stderr)
	case "rules":
		return rulesCommand(rest, stdout, stderr)
	case "aqi":
		return aqiCommand(rest, stdout, stderr)
	case "replay":
		return replayCommand(rest, stdout, stderr)
	case "tt10":
		return tt10Command(rest, stdout, stderr)
	case "relay":
		return relayCommand(rest, stderr)
	case "cluster":
		return clusterCommand(rest, stdout, stderr)
	case "report":
		return reportCommand(rest, stdout, stderr)
	case "qc":
		return qcCommand(rest, stdout, stderr)
	case "version", "-version", "--version":
		fmt.Fprintf(stdout, "quantrac %s\n", version)
		return 0
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	}
	fmt.Fprintf(stderr, "quantrac: unknown command %q\n\n%s", cmd, usage)
	return 2
}

// logFlags are the logging flags every long-running command takes.
type logFlags struct{ level, format string }

func (l *logFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&l.level, "log.level", "info", "log level: debug, info, warn, error")
	fs.StringVar(&l.format, "log.format", "text", "log format: text or json")
}

func (l *logFlags) logger(w io.Writer) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(l.level)); err != nil {
		return nil, fmt.Errorf("-log.level: %w", err)
	}
	opts := &slog.HandlerOptions{Level: level}
	switch l.format {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("-log.format: %q is not text or json", l.format)
}

// load builds the logger and loads the configuration file; a non-zero code is the exit code
// after the problem was printed (2 for a bad flag, 1 for a bad configuration).
func (l *logFlags) load(cfgFile string, stderr io.Writer) (*config.Config, *slog.Logger, int) {
	log, err := l.logger(stderr)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return nil, nil, 2
	}
	cfg, err := config.Load(cfgFile)
	if err != nil {
		printProblems(stderr, err)
		return nil, nil, 1
	}
	return cfg, log, 0
}

func runCommand(args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfgFile := fs.String("config", "", "configuration file (default: built-in defaults)")
	var o daemon.Options
	fs.StringVar(&o.WebListenAddress, "web.listen-address", ":9786", "address of /metrics, /healthz, /readyz and /api")
	fs.StringVar(&o.WebConfigFile, "web.config.file", "", "exporter-toolkit web config file for TLS and basic auth")
	fs.DurationVar(&o.DrainTimeout, "shutdown.timeout", 0, "how long SIGTERM waits for in-flight data to become durable (default 15s)")
	var lf logFlags
	lf.register(fs)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	cfg, log, code := lf.load(*cfgFile, stderr)
	if code != 0 {
		return code
	}
	o.Logger, o.Version = log, version
	if os.Getenv("GOGC") == "" {
		// The daemon's heap is mostly long-lived rule state (hours, limits, AQI): a GC at 1.5×
		// instead of 2× the live heap keeps 10,000 stations under 300 MB for ~1 % more CPU
		// (BENCHMARKS.md). GOGC in the environment overrides it.
		debug.SetGCPercent(50)
	}
	d, err := daemon.New(cfg, o)
	if err != nil {
		printProblems(stderr, err)
		return 1
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	go func() {
		for range hup {
			if err := d.Reload(); err != nil {
				log.Error("SIGHUP", "err", err)
			}
		}
	}()
	if err := d.Run(ctx); err != nil {
		log.Error("quantrac failed", "err", err)
		return 1
	}
	return 0
}

// printProblems prints one line per problem of a joined error.
func printProblems(w io.Writer, err error) {
	var joined interface{ Unwrap() []error }
	if errors.As(err, &joined) {
		for _, e := range joined.Unwrap() {
			printProblems(w, e)
		}
		return
	}
	for _, line := range strings.Split(err.Error(), "\n") {
		fmt.Fprintln(w, line)
	}
}
