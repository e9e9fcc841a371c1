package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"golang.org/x/sync/errgroup"

	"github.com/quantrac/quantrac"
	"github.com/quantrac/quantrac/config"
	"github.com/quantrac/quantrac/httpapi"
	"github.com/quantrac/quantrac/ingest/payload"
	"github.com/quantrac/quantrac/internal/mqttpub"
	"github.com/quantrac/quantrac/internal/tlsfiles"
	"github.com/quantrac/quantrac/tt10"
)

// tt10Flags are the settings of `quantrac tt10`.
type tt10Flags struct {
	watch, config, listen, webConfig, clientID string
	interval, settle, connectTimeout           time.Duration
	rate                                       float64
	once                                       bool
	log                                        logFlags
}

func (f *tt10Flags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.watch, "watch", "", "folder tree the FTP server writes the stations' data files into (required)")
	fs.StringVar(&f.config, "config", "", "quantrac configuration: mqtt broker, credentials, TLS, topic_template, stations_file, limits")
	fs.DurationVar(&f.interval, "interval", tt10.DefaultInterval, "scan period")
	fs.DurationVar(&f.settle, "settle", 5*time.Second, "a file is complete when its size and modification time have not changed for this long (0: at once, for uploads renamed into place)")
	fs.Float64Var(&f.rate, "rate", 0, "publish at most this many files per second (a large backfill); 0: as fast as the broker acknowledges")
	fs.BoolVar(&f.once, "once", false, "scan once, print a summary line and exit (scripts, tests, cron)")
	fs.StringVar(&f.listen, "web.listen-address", ":9787", "address of the watcher's /metrics, /healthz and /readyz")
	fs.StringVar(&f.webConfig, "web.config.file", "", "exporter-toolkit web config file for TLS and basic auth")
	fs.StringVar(&f.clientID, "mqtt.client-id", "", "MQTT client id (default: mqtt.client_id of the configuration + \"-tt10\")")
	fs.DurationVar(&f.connectTimeout, "connect.timeout", 15*time.Second, "with -once: how long to try to reach the broker")
	f.log.register(fs)
}

// tt10Command runs `quantrac tt10`: it publishes the Circular 10/2021 data files of a folder
// tree to the broker, one message per file (see package tt10).
func tt10Command(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("tt10", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var f tt10Flags
	f.register(fs)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if f.watch == "" || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "quantrac tt10: -watch DIR is required, and takes no arguments")
		return 2
	}
	if fi, err := os.Stat(f.watch); err != nil || !fi.IsDir() {
		fmt.Fprintf(stderr, "quantrac tt10: -watch %s is not a folder\n", f.watch)
		return 1
	}
	cfg, log, code := f.log.load(f.config, stderr)
	if code != 0 {
		return code
	}
	reg, err := quantrac.LoadRegistry(cfg.StationsFile, cfg.RegistryOptions())
	if err != nil {
		// Without the registry every file would be moved to .rejected/ as unknown_station.
		fmt.Fprintln(stderr, "quantrac tt10 needs the station registry:")
		printProblems(stderr, err)
		return 1
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	if f.once {
		return f.runOnce(ctx, cfg, reg, log, stdout, stderr)
	}
	return f.runWatch(ctx, cfg, reg, log, stderr)
}

// build makes the publisher and the watcher; r gathers their metrics.
func (f *tt10Flags) build(cfg *config.Config, registry func() *quantrac.Registry, log *slog.Logger, r prometheus.Registerer) (*mqttpub.Publisher, *tt10.Watcher, error) {
	m := cfg.MQTT
	tc, err := tlsfiles.Files{CAFile: m.TLS.CAFile, CertFile: m.TLS.CertFile, KeyFile: m.TLS.KeyFile, ServerName: m.TLS.ServerName, InsecureSkipVerify: m.TLS.InsecureSkipVerify}.Config("mqtt")
	if err != nil {
		return nil, nil, err
	}
	id := f.clientID
	if id == "" {
		id = m.ClientID + "-tt10" // never the daemon's own id: the broker would drop one of them
	}
	pub := mqttpub.New(mqttpub.Options{Broker: m.Broker, ClientID: id, Username: m.Username, Password: m.Password.Value(),
		TLS: tc, Logger: log, Registerer: r,
		GaugeName: "quantrac_tt10_mqtt_connected", GaugeHelp: "1 while the tt10 watcher is connected to the MQTT broker."})
	w, err := tt10.New(tt10.Options{
		Dir: f.watch, Registry: registry, Publisher: pub, TopicTemplate: m.TopicTemplate,
		Settle: f.settle, Interval: f.interval, Rate: f.rate,
		Limits: payload.Limits{
			MaxReadings: cfg.Limits.MaxReadings, MaxArray: cfg.Limits.MaxArray,
			MaxFutureSkew: cfg.Limits.MaxFutureSkew, MaxAge: cfg.Limits.MaxAge, MaxStringLen: 256,
		},
		MaxFileBytes: cfg.Limits.MaxPayloadBytes, Logger: log, Registerer: r,
	})
	return pub, w, err
}

// runOnce scans once and prints "summary: done=… waiting=… failed=…". It exits 1 when the
// broker cannot be reached or stops acknowledging.
func (f *tt10Flags) runOnce(ctx context.Context, cfg *config.Config, reg *quantrac.Registry, log *slog.Logger, stdout, stderr io.Writer) int {
	pub, w, err := f.build(cfg, func() *quantrac.Registry { return reg }, log, nil)
	if err != nil {
		printProblems(stderr, err)
		return 1
	}
	cctx, cancel := context.WithTimeout(ctx, f.connectTimeout)
	err = pub.ConnectRetry(cctx)
	cancel()
	if err != nil {
		fmt.Fprintf(stderr, "quantrac tt10: cannot connect to %s: %v\n", cfg.MQTT.Broker, err)
		return 1
	}
	defer pub.Close()
	sum, err := w.Scan(ctx)
	fmt.Fprintf(stdout, "summary: %s\n", sum)
	if err != nil {
		fmt.Fprintf(stderr, "quantrac tt10: %v\n", err)
		return 1
	}
	return 0
}

// runWatch scans every -interval until SIGTERM, serving metrics; SIGHUP reloads the registry.
func (f *tt10Flags) runWatch(ctx context.Context, cfg *config.Config, reg *quantrac.Registry, log *slog.Logger, stderr io.Writer) int {
	var current atomic.Pointer[quantrac.Registry]
	current.Store(reg)
	pr := prometheus.NewRegistry()
	pr.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	pub, w, err := f.build(cfg, current.Load, log, pr)
	if err != nil {
		printProblems(stderr, err)
		return 1
	}
	srv, err := httpapi.New(httpapi.Options{Address: f.listen, ConfigFile: f.webConfig, Gatherer: pr, Logger: log,
		Ready: map[string]httpapi.Check{"mqtt": func(context.Context) error {
			if !pub.Connected() {
				return fmt.Errorf("not connected to the MQTT broker")
			}
			return nil
		}}})
	if err != nil {
		printProblems(stderr, err)
		return 1
	}
	httpCtx, httpStop := context.WithCancel(context.Background())
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		if err := srv.Run(httpCtx); err != nil {
			return fmt.Errorf("HTTP server on %s: %w", srv.Addr(), err)
		}
		return nil
	})
	g.Go(func() error { reloadOnHUP(gctx, cfg.StationsFile, cfg.RegistryOptions(), &current, log); return nil })
	g.Go(func() error {
		defer httpStop()
		log.Info("tt10 watcher running", "dir", f.watch, "broker", cfg.MQTT.Broker, "stations", reg.Len(), "web", srv.Addr())
		defer pub.Close()
		if err := pub.ConnectRetry(gctx); err != nil {
			return nil // stopped before the broker answered
		}
		return w.Run(gctx)
	})
	if err := g.Wait(); err != nil {
		log.Error("tt10 watcher failed", "err", err)
		return 1
	}
	log.Info("tt10 watcher stopped")
	return 0
}

// reloadOnHUP swaps in a new registry on each SIGHUP until ctx is done; a registry that does
// not load is logged and the old one kept.
func reloadOnHUP(ctx context.Context, file string, opts quantrac.RegistryOptions, current *atomic.Pointer[quantrac.Registry], log *slog.Logger) {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	for {
		select {
		case <-ctx.Done():
			return
		case <-hup:
			reg, err := quantrac.LoadRegistry(file, opts)
			if err != nil {
				log.Error("registry reload failed; keeping the old one", "err", err)
				continue
			}
			current.Store(reg)
			log.Info("station registry reloaded", "stations", reg.Len())
		}
	}
}
