// Package daemon wires quantrac's parts into the running ingester (`quantrac run`).
//
//	Source (MQTT or NATS JetStream) ──> Pipeline (decode workers) ──> envelope ──> Sink ──> InfluxDB / spool
//	                              └──> Observer (rules engine, AQI) adds transitions, indices
//	                                   └─> autoqc (with a qc section): recent readings checked, qc_spans written
//	/metrics, /api/v1 read the engine's state; they are not in the message's path.
//
// The source is chosen by the configuration's source key (source.go). A NATS source is a
// member of a partitioned consumer group: the stations of each partition it acquires are
// rebuilt from InfluxDB before their next reading (the whole engine is rebuilt at start only
// with MQTT).
//
// Parts are built sink-first and stopped source-first, so each stage drains when its input
// closes: on shutdown the source stops consuming, the workers finish the messages taken, the
// sink flushes them and acknowledges, and only then the broker connection closes. The parts
// run under one group: the first to fail stops the others, and Run returns its error.
package daemon

import (
	"context"
	"errors"
	"fmt"
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
	"github.com/quantrac/quantrac/ingest/natsjs"
	"github.com/quantrac/quantrac/ingest/payload"
	"github.com/quantrac/quantrac/internal/autoqc"
	"github.com/quantrac/quantrac/internal/derive"
	"github.com/quantrac/quantrac/qcview"
	"github.com/quantrac/quantrac/report"
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
	cat      *rules.Catalog
	registry atomic.Pointer[quantrac.Registry]
	rebuilt  atomic.Bool // rule state restored from InfluxDB: messages may be consumed
	// staleEvery is how often stations a backfill made stale are looked for (refreshStale).
	staleEvery time.Duration
	staleMu    sync.Mutex // serializes saveStale (the stale ticker, acknowledgements)
	staleSaved string     // the stale stations last kept on disk (saveStale)
	// staleJournaled says the journal holds marks since the last saveStale.
	staleJournaled bool

	source    ingest.Source
	layout    natsjs.Layout // source nats: the stream and group
	pipeline  *ingest.Pipeline
	writer    *store.InfluxWriter
	spool     *spool.Spool
	sink      *store.Sink
	changes   *report.Changes // the days of the points written, nil in a cluster (reportWriter)
	http      *httpapi.Server
	engine    *rules.Engine
	derive    *derive.Deriver
	qc        *autoqc.Runner // nil without a qc section
	spans     *qcview.View   // the data-quality spans in force (qcview.go)
	aqiDue    dueSince       // stations whose indices a span change makes to compute again
	reloadMu  sync.Mutex
	reloadDue []string // stations taken over whose spans could not be read then (refreshQC)

	reloads *prometheus.CounterVec
}

// New builds every part from cfg and binds the HTTP listener. It does no other I/O than
// loading the station registry and opening the spool; when a part fails to build, what was
// built is closed again.
func New(cfg *config.Config, o Options) (d *Daemon, err error) {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.DrainTimeout == 0 {
		o.DrainTimeout = 15 * time.Second
	}
	d = &Daemon{cfg: cfg, opts: o, log: o.Logger, reg: prometheus.NewRegistry(), staleEvery: staleEvery}
	d.registerOwnMetrics()
	if d.cat, err = LoadRules(cfg); err != nil {
		return nil, err
	}
	reg, err := LoadStations(cfg, d.cat, d.log)
	if err != nil {
		return nil, err
	}
	d.registry.Store(reg)
	defer func() {
		if err != nil {
			d.close()
			d = nil
		}
	}()
	if err = d.buildStore(); err != nil {
		return d, err
	}
	d.engine = rules.NewEngine(d.cat, reg, time.Now)
	d.engine.SetCloseDelay(cfg.Limits.CloseDelay)
	d.derive = derive.New(d.engine, reg, time.Now)
	d.derive.KeepStale = d.journalStale
	d.newQCView()
	d.reg.MustRegister(d.derive.Collector()) // the engine's metrics are too many for the registry: see httpapi.Exposition
	d.qc = d.newQC()
	if d.pipeline, err = d.newPipeline(); err != nil {
		return d, err
	}
	if d.source, err = d.newSource(); err != nil {
		return d, err
	}
	var routes []httpapi.Routes
	if routes, err = d.webRoutes(d.cat); err != nil {
		return d, err
	}
	d.http, err = httpapi.New(httpapi.Options{
		Address: o.WebListenAddress, ConfigFile: o.WebConfigFile, Logger: d.log,
		Gatherer: d.reg, Expositions: []httpapi.Exposition{d.engine.Exporter()},
		Ready:  map[string]httpapi.Check{d.cfg.Source: d.sourceReady, "influxdb": d.influxReady, "rules": d.rulesReady},
		Routes: routes,
	})
	return d, err
}

func (d *Daemon) registerOwnMetrics() {
	d.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	d.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "quantrac_build_info", Help: "Build information.", ConstLabels: prometheus.Labels{"version": d.opts.Version},
	}, func() float64 { return 1 }))
	d.reloads = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "quantrac_registry_reloads_total", Help: "Station registry reloads (SIGHUP), by result (success, error).",
	}, []string{"result"})
	d.reloads.WithLabelValues("success")
	d.reloads.WithLabelValues("error")
	d.reg.MustRegister(d.reloads)
}

// webRoutes builds the JSON API and the console over the engine's state and InfluxDB.
func (d *Daemon) webRoutes(cat *rules.Catalog) ([]httpapi.Routes, error) {
	q := store.NewQuerier(d.writerOptions(), nil)
	qc := store.NewQC(q, d.writer)
	basicAuth := func() bool { return httpapi.HasBasicAuth(d.opts.WebConfigFile) }
	a := api.New(api.Options{State: d.engine, Registry: d.registry.Load, Catalog: cat,
		Archive: archive.New(q).WithSpans(d.spans), Changes: d.changes, Logger: d.log,
		Spans: qc, Approvals: qc, Editors: d.cfg.Web.Editors, BasicAuth: basicAuth, OnSpan: d.spans.Apply})
	c, err := console.New(console.Options{API: a, Registry: d.registry.Load, MapTiles: d.cfg.Web.MapTiles, Logger: d.log,
		Editors: d.cfg.Web.Editors, BasicAuth: basicAuth})
	if err != nil {
		return nil, err
	}
	return []httpapi.Routes{a, c}, nil
}

// writerOptions is the InfluxDB connection of the configuration.
func (d *Daemon) writerOptions() store.WriterOptions { return writerOptionsOf(d.cfg) }

func writerOptionsOf(cfg *config.Config) store.WriterOptions {
	in := cfg.Influx
	return store.WriterOptions{
		URL: in.URL, Org: in.Org, Bucket: in.Bucket, Token: in.Token.Value(), Timeout: in.Timeout,
		CAFile: in.TLS.CAFile, CertFile: in.TLS.CertFile, KeyFile: in.TLS.KeyFile, ServerName: in.TLS.ServerName,
		InsecureSkipVerify: in.TLS.InsecureSkipVerify,
	}
}

// buildStore builds the InfluxDB writer, opens the disk spool and builds the sink.
func (d *Daemon) buildStore() error {
	var err error
	if d.writer, err = store.NewWriter(d.writerOptions(), d.reg); err != nil {
		return err
	}
	d.spool, err = spool.Open(spool.Options{
		Dir: d.cfg.Spool.Dir, MaxBytes: int64(d.cfg.Spool.MaxBytes),
		SegmentBytes: min(int64(d.cfg.Spool.MaxBytes)/4, spool.DefaultSegmentBytes),
		Logger:       d.log, Registerer: d.reg,
	})
	if err != nil {
		return fmt.Errorf("spool.dir %s: %w", d.cfg.Spool.Dir, err)
	}
	var w store.LineWriter = d.writer
	if d.cfg.Source != config.SourceNATS {
		d.changes = report.NewChanges()
		w = reportWriter{d.writer, d.changes}
	}
	d.sink = store.NewSink(w, store.SinkOptions{
		BatchSize: d.cfg.Influx.BatchSize, FlushInterval: d.cfg.Influx.FlushInterval,
		Spool: d.spool, Logger: d.log, Registerer: d.reg,
		Quarantined: func(station string, oldest time.Time) { d.engine.MarkStale(station, oldest) },
	})
	return nil
}

// reportWriter records the days of the points written, so that the reports kept of those
// days are built again (report.Cache). Only where this process is the only writer of its
// stations' data: in a NATS cluster the other members write too, and nothing is kept.
type reportWriter struct {
	*store.InfluxWriter
	changes *report.Changes
}

func (w reportWriter) Write(ctx context.Context, body []byte, points int) error {
	err := w.InfluxWriter.Write(ctx, body, points)
	w.changes.Wrote(body, time.Now())
	return err
}

func (d *Daemon) newPipeline() (*ingest.Pipeline, error) {
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
			AcceptReceiveTime: cfg.Limits.AcceptReceiveTime,
		},
		MaxPayloadBytes: cfg.Limits.MaxPayloadBytes,
		Formats:         formats,
		Store:           d.sink,
		Observer:        d.observer(),
		Status:          d.derive,
		Logger:          d.log,
		Registerer:      d.reg,
	}), nil
}

// close releases what New built: the InfluxDB client, the spool (and its lock), the listener.
func (d *Daemon) close() {
	if d.writer != nil {
		d.writer.Close()
	}
	if d.spool != nil {
		if err := d.spool.Close(); err != nil && !errors.Is(err, spool.ErrClosed) {
			d.log.Error("closing the spool", "err", err)
		}
	}
	if d.http != nil {
		_ = d.http.Close()
	}
}

// Addr is the HTTP listen address (useful with port 0).
func (d *Daemon) Addr() string { return d.http.Addr() }

// Registry returns the current station registry.
func (d *Daemon) Registry() *quantrac.Registry { return d.registry.Load() }
