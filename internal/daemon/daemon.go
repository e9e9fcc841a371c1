// Package daemon wires quantrac's parts into the running ingester (`quantrac run`).
//
//	Source (MQTT) ──> Pipeline (decode workers) ──> Sink ──> Writer (InfluxDB) / spool
//	                              └──> Observer (rules engine, AQI) ──> /metrics
//
// Parts are built sink-first and stopped source-first, so each stage drains when its input
// closes: on shutdown the source stops consuming, the workers finish the messages taken, the
// sink flushes them and acknowledges, and only then the broker connection closes.
package daemon

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/quantrac/quantrac"
	"github.com/quantrac/quantrac/api"
	"github.com/quantrac/quantrac/archive"
	"github.com/quantrac/quantrac/config"
	"github.com/quantrac/quantrac/console"
	"github.com/quantrac/quantrac/httpapi"
	"github.com/quantrac/quantrac/ingest"
	"github.com/quantrac/quantrac/ingest/payload"
	"github.com/quantrac/quantrac/internal/derive"
	"github.com/quantrac/quantrac/param"
	"github.com/quantrac/quantrac/rules"
	"github.com/quantrac/quantrac/store"
	"github.com/quantrac/quantrac/store/spool"
)

// Options are the daemon's command-line settings.
type Options struct {
	WebListenAddress string
	WebConfigFile    string
	// DrainTimeout bounds the shutdown: what is not durable by then stays unacknowledged
	// and the broker redelivers it.
	DrainTimeout time.Duration
	Version      string
	Logger       *slog.Logger
}

// Daemon is a configured, not yet running ingester.
type Daemon struct {
	cfg      *config.Config
	opts     Options
	log      *slog.Logger
	reg      *prometheus.Registry
	registry atomic.Pointer[quantrac.Registry]

	source   ingest.Source
	pipeline *ingest.Pipeline
	writer   *store.Writer
	spool    *spool.Spool
	sink     *store.Sink
	http     *httpapi.Server
	engine   *rules.Engine
	derive   *derive.Deriver

	reloads *prometheus.CounterVec
}

// New builds every part from cfg and binds the HTTP listener. It does no other I/O than
// loading the station registry.
func New(cfg *config.Config, o Options) (*Daemon, error) {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.DrainTimeout == 0 {
		o.DrainTimeout = 15 * time.Second
	}
	d := &Daemon{cfg: cfg, opts: o, log: o.Logger, reg: prometheus.NewRegistry()}
	d.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	d.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "quantrac_build_info", Help: "Build information.", ConstLabels: prometheus.Labels{"version": o.Version},
	}, func() float64 { return 1 }))
	d.reloads = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "quantrac_registry_reloads_total", Help: "Station registry reloads, by result (success, failure).",
	}, []string{"result"})
	d.reg.MustRegister(d.reloads)

	reg, err := LoadRegistry(cfg, d.log)
	if err != nil {
		return nil, err
	}
	d.registry.Store(reg)
	if err := d.build(); err != nil {
		return nil, err
	}
	return d, nil
}

// LoadRegistry loads the configured station registry; a missing default stations.yaml gives
// an empty registry (every message is then quarantined as unknown_station, and can be
// replayed once the stations are registered).
func LoadRegistry(cfg *config.Config, log *slog.Logger) (*quantrac.Registry, error) {
	reg, err := quantrac.LoadRegistry(cfg.StationsFile)
	if err != nil && !cfg.StationsFileRequired() && errors.Is(err, fs.ErrNotExist) {
		log.Warn("no station registry; every message will be rejected as unknown_station", "stations_file", cfg.StationsFile)
		return quantrac.NewRegistry()
	}
	return reg, err
}

func (d *Daemon) build() error {
	if err := d.buildStore(true); err != nil {
		return err
	}
	cat, err := rules.LoadCatalog(d.cfg.Rules.Files...)
	if err != nil {
		return err
	}
	if errs := rules.Check(cat, d.registry.Load()); len(errs) > 0 {
		return errors.Join(errs...)
	}
	d.engine = rules.NewEngine(cat, d.registry.Load(), time.Now)
	d.derive = derive.New(d.engine, d.registry.Load(), time.Now)
	d.reg.MustRegister(d.derive.Collector()) // the engine's metrics are too many for the registry: see httpapi.Exposition
	if d.pipeline, err = d.newPipeline(false); err != nil {
		return err
	}
	m := d.cfg.MQTT
	d.source = ingest.NewMQTTSource(ingest.MQTTOptions{
		Broker: m.Broker, ClientID: m.ClientID, Topics: m.Topics, QoS: byte(m.QoS),
		Username: m.Username, Password: m.Password.Value(),
		CAFile: m.TLS.CAFile, CertFile: m.TLS.CertFile, KeyFile: m.TLS.KeyFile, ServerName: m.TLS.ServerName,
		InsecureSkipVerify: m.TLS.InsecureSkipVerify,
		MaxInflight:        m.MaxInflight, Logger: d.log, Registerer: d.reg,
	})
	routes, err := d.webRoutes(cat)
	if err != nil {
		return err
	}
	d.http, err = httpapi.New(httpapi.Options{
		Address: d.opts.WebListenAddress, ConfigFile: d.opts.WebConfigFile, Logger: d.log,
		Gatherer: d.reg, Expositions: []httpapi.Exposition{d.engine.Exporter()},
		Ready:  map[string]httpapi.Check{"mqtt": d.mqttReady, "influxdb": d.influxReady},
		Routes: routes,
	})
	return err
}

// webRoutes builds the JSON API and the console over the engine's state and InfluxDB.
func (d *Daemon) webRoutes(cat *rules.Catalog) ([]httpapi.Routes, error) {
	a := api.New(api.Options{State: d.engine, Registry: d.registry.Load, Catalog: cat,
		Archive: archive.New(store.NewQuerier(d.writerOptions(), nil)), Logger: d.log})
	c, err := console.New(console.Options{API: a, Registry: d.registry.Load, MapTiles: d.cfg.Web.MapTiles, Logger: d.log})
	if err != nil {
		return nil, err
	}
	return []httpapi.Routes{a, c}, nil
}

// writerOptions is the InfluxDB connection of the configuration.
func (d *Daemon) writerOptions() store.WriterOptions {
	in := d.cfg.Influx
	return store.WriterOptions{
		URL: in.URL, Org: in.Org, Bucket: in.Bucket, Token: in.Token.Value(), Timeout: in.Timeout,
		CAFile: in.TLS.CAFile, CertFile: in.TLS.CertFile, KeyFile: in.TLS.KeyFile, ServerName: in.TLS.ServerName,
		InsecureSkipVerify: in.TLS.InsecureSkipVerify,
	}
}

// buildStore builds the InfluxDB writer and the sink, with the disk spool when withSpool
// (the daemon; a replay runs beside it and waits for InfluxDB instead).
func (d *Daemon) buildStore(withSpool bool) error {
	var err error
	if d.writer, err = store.NewWriter(d.writerOptions(), d.reg); err != nil {
		return err
	}
	opts := store.SinkOptions{
		BatchSize: d.cfg.Influx.BatchSize, FlushInterval: d.cfg.Influx.FlushInterval,
		Logger: d.log, Registerer: d.reg,
	}
	if withSpool {
		d.spool, err = spool.Open(spool.Options{
			Dir: d.cfg.Spool.Dir, MaxBytes: int64(d.cfg.Spool.MaxBytes),
			SegmentBytes: min(int64(d.cfg.Spool.MaxBytes)/4, spool.DefaultSegmentBytes),
			Logger:       d.log, Registerer: d.reg,
		})
		if err != nil {
			return fmt.Errorf("spool.dir %s: %w", d.cfg.Spool.Dir, err)
		}
		opts.Spool = d.spool
	}
	d.sink = store.NewSink(d.writer, opts)
	return nil
}

func (d *Daemon) newPipeline(noQuarantine bool) (*ingest.Pipeline, error) {
	cfg := d.cfg
	tmpl, err := ingest.ParseTemplate(cfg.MQTT.TopicTemplate)
	if err != nil {
		return nil, err
	}
	formats := map[string]payload.Format{}
	for filter, name := range cfg.MQTT.Formats {
		if formats[filter], err = payload.ParseFormat(name); err != nil {
			return nil, fmt.Errorf("mqtt.formats: %w", err)
		}
	}
	return ingest.NewPipeline(ingest.PipelineOptions{
		Template: tmpl,
		Registry: d.registry.Load,
		Limits: payload.Limits{
			MaxReadings: cfg.Limits.MaxReadings, MaxArray: cfg.Limits.MaxArray,
			MaxFutureSkew: cfg.Limits.MaxFutureSkew, MaxAge: cfg.Limits.MaxAge, MaxStringLen: 256,
		},
		MaxPayloadBytes: cfg.Limits.MaxPayloadBytes,
		Formats:         formats,
		Sink:            d.sink,
		Observer:        d.observer(),
		NoQuarantine:    noQuarantine,
		Logger:          d.log,
		Registerer:      d.reg,
	}), nil
}

// Addr is the HTTP listen address (useful with port 0).
func (d *Daemon) Addr() string { return d.http.Addr() }

// Registry returns the current station registry.
func (d *Daemon) Registry() *quantrac.Registry { return d.registry.Load() }

// Run runs until ctx is done, then drains as described in the package doc.
func (d *Daemon) Run(ctx context.Context) error {
	hard, hardStop := context.WithCancel(context.Background())
	defer hardStop()
	httpCtx, httpStop := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := d.http.Run(httpCtx); err != nil {
			d.log.Error("HTTP server failed", "err", err)
		}
	})
	sinkDone := make(chan struct{})
	go func() { _ = d.sink.Run(hard); close(sinkDone) }()
	d.rebuild(ctx)
	pipeDone := make(chan struct{})
	go func() { _ = d.pipeline.Run(hard, d.source.Messages()); close(pipeDone) }()
	srcErr := make(chan error, 1)
	go func() { srcErr <- d.source.Run(ctx) }()
	d.log.Info("quantrac running", "broker", d.cfg.MQTT.Broker, "influx", d.cfg.Influx.URL, "stations", d.registry.Load().Len(), "web", d.http.Addr())

	err := <-srcErr
	d.log.Info("stopping: draining messages already taken", "timeout", d.opts.DrainTimeout)
	timer := time.AfterFunc(d.opts.DrainTimeout, func() {
		d.log.Warn("drain timeout; leaving the rest unacknowledged for the broker to redeliver")
		hardStop()
	})
	defer timer.Stop()
	<-pipeDone
	d.sink.Close()
	<-sinkDone
	d.source.Close()
	httpStop()
	wg.Wait()
	d.writer.Close()
	if err := d.spool.Close(); err != nil {
		d.log.Error("closing the spool", "err", err)
	}
	d.log.Info("stopped")
	return err
}

// Reload reloads the station registry (SIGHUP). On error the old registry stays.
func (d *Daemon) Reload() error {
	reg, err := LoadRegistry(d.cfg, d.log)
	if err != nil {
		d.reloads.WithLabelValues("failure").Inc()
		return err
	}
	d.registry.Store(reg)
	d.derive.SetRegistry(reg)
	d.reloads.WithLabelValues("success").Inc()
	d.log.Info("station registry reloaded", "stations", reg.Len())
	return nil
}

func (d *Daemon) mqttReady(context.Context) error {
	if !d.source.Connected() {
		return errors.New("not connected to the MQTT broker")
	}
	return nil
}

// influxReady holds while InfluxDB answers or the spool can take data for it.
func (d *Daemon) influxReady(ctx context.Context) error {
	if d.writer.Ping(ctx) {
		return nil
	}
	if d.spool.Bytes() < int64(d.cfg.Spool.MaxBytes)*9/10 {
		return nil
	}
	return errors.New("InfluxDB does not answer and the spool is full")
}

// observer is the pipeline's Observer: nil when the daemon has no rules (replay).
func (d *Daemon) observer() ingest.Observer {
	if d.derive == nil {
		return nil
	}
	return d.derive
}

// rebuild restores rule windows and AQI trackers from InfluxDB before consuming, so that a
// violation in progress is reported again after a restart. If InfluxDB is unreachable the
// daemon starts anyway, with empty windows, and says so.
func (d *Daemon) rebuild(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	start := time.Now()
	h := store.NewHistory(store.NewQuerier(d.writerOptions(), nil), d.registry.Load, func(name string) bool {
		p, ok := param.Lookup(name)
		return ok && p.ID == name
	})
	if err := d.derive.Rebuild(ctx, h, time.Now()); err != nil {
		d.log.Error("could not rebuild rule windows from InfluxDB; starting with empty windows", "err", err)
		return
	}
	d.log.Info("rule windows rebuilt from InfluxDB", "took", time.Since(start).Round(time.Millisecond), "active_violations", len(d.engine.Active()))
}
