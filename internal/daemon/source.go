package daemon

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/quantrac/quantrac/config"
	"github.com/quantrac/quantrac/ingest"
	"github.com/quantrac/quantrac/ingest/natsjs"
	"github.com/quantrac/quantrac/internal/tlsfiles"
	"github.com/quantrac/quantrac/param"
	"github.com/quantrac/quantrac/rules"
	"github.com/quantrac/quantrac/store"
)

// newSource builds the configured message source: MQTT (the default) or a NATS JetStream
// consumer group member whose partitions' stations are rebuilt from InfluxDB when acquired.
func (d *Daemon) newSource() (ingest.Source, error) {
	if d.cfg.Source != config.SourceNATS {
		m := d.cfg.MQTT
		return ingest.NewMQTTSource(ingest.MQTTOptions{
			Broker: m.Broker, ClientID: m.ClientID, Topics: m.Topics, QoS: byte(m.QoS),
			Username: m.Username, Password: m.Password.Value(),
			CAFile: m.TLS.CAFile, CertFile: m.TLS.CertFile, KeyFile: m.TLS.KeyFile, ServerName: m.TLS.ServerName,
			InsecureSkipVerify: m.TLS.InsecureSkipVerify,
			MaxInflight:        m.MaxInflight, Logger: d.log, Registerer: d.reg,
		}), nil
	}
	layout, err := NATSLayout(d.cfg)
	if err != nil {
		return nil, err
	}
	d.layout = layout
	return natsjs.New(natsjs.Options{
		Conn:        NATSConn(d.cfg, d.log),
		Layout:      layout,
		Member:      d.cfg.NATS.Member,
		MaxInflight: d.cfg.MQTT.MaxInflight,
		OnAcquire:   d.acquire,
		OnRelease:   d.release,
		Logger:      d.log,
		Registerer:  d.reg,
	}), nil
}

// NATSLayout is the stream and consumer group of the configuration (quantrac run, cluster
// and relay share it).
func NATSLayout(cfg *config.Config) (natsjs.Layout, error) {
	n := cfg.NATS
	part, err := natsjs.PartitioningFor(cfg.MQTT.TopicTemplate, n.Partitions)
	if err != nil {
		return natsjs.Layout{}, fmt.Errorf("mqtt.topic_template: %w", err)
	}
	return natsjs.Layout{Stream: n.Stream, Subjects: n.Subjects, Replicas: n.Replicas, Group: n.Group, Partitioning: part}, nil
}

// NATSConn is the cluster connection of the configuration.
func NATSConn(cfg *config.Config, log *slog.Logger) natsjs.ConnOptions {
	n := cfg.NATS
	return natsjs.ConnOptions{URLs: n.URLs, CredentialsFile: n.CredentialsFile, Logger: log,
		TLS: tlsfiles.Files{CAFile: n.TLS.CAFile, CertFile: n.TLS.CertFile, KeyFile: n.TLS.KeyFile, ServerName: n.TLS.ServerName,
			InsecureSkipVerify: n.TLS.InsecureSkipVerify}}
}

// acquire is the NATS source's OnAcquire: the stations of the partitions this instance
// takes over are rebuilt from InfluxDB before their next reading is evaluated, so that a
// period that straddles the move is decided on all its readings, including those the
// previous owner stored.
func (d *Daemon) acquire(ctx context.Context, partitions []int) error {
	reg := d.registry.Load()
	owned, byAlias := d.layout.Partitioning.Stations(reg, partitions)
	d.log.Info("taking over stations", "partitions", partitions, "stations", len(owned), "ids", sample(owned, 20),
		"also_by_alias", len(byAlias))
	ids := slices.Concat(owned, byAlias)
	if len(ids) == 0 {
		return nil
	}
	d.forgetQC(ids)
	if _, err := d.spans.Reload(ctx, ids); err != nil {
		// Not a reason to hold the partitions back (stations without limits need no InfluxDB):
		// read again every tick, and the stations whose spans differ are re-judged then.
		d.log.Warn("cannot read the data-quality spans of the stations taken over; retrying", "stations", len(ids), "err", err)
		d.reloadLater(ids)
	}
	start := time.Now()
	if err := d.derive.RebuildStations(ctx, d.history(), time.Now(), ids); err != nil {
		return err
	}
	d.log.Info("stations rebuilt from InfluxDB", "partitions", partitions, "stations", len(ids), "took", time.Since(start).Round(time.Millisecond))
	return nil
}

// release is the NATS source's OnRelease: the stations of partitions another instance judges
// now are forgotten, so that this instance exports no verdict for them (two instances
// exporting the same station's limits would fire every alert twice).
func (d *Daemon) release(partitions []int) {
	owned, _ := d.layout.Partitioning.Stations(d.registry.Load(), partitions)
	d.engine.ReleaseStations(owned)
	d.log.Info("handed over stations", "partitions", partitions, "stations", len(owned), "ids", sample(owned, 20))
}

// history reads the valid stored readings back from InfluxDB: those no data-quality span
// makes invalid.
func (d *Daemon) history() rules.History { return d.spans.History(d.rawHistory()) }

// rawHistory reads stored readings back as they came, spans or not: what the automatic checks
// look at (a run they invalidated must stay visible to them).
func (d *Daemon) rawHistory() *store.History {
	return store.NewHistory(store.NewQuerier(d.writerOptions(), nil), d.registry.Load, func(name string) bool {
		p, ok := param.Lookup(name)
		return ok && p.ID == name
	})
}

// sample is the first n of ids, for a log line.
func sample(ids []string, n int) []string {
	if len(ids) > n {
		return append(ids[:n:n], fmt.Sprintf("… %d more", len(ids)-n))
	}
	return ids
}

// brokerName is where messages come from, for the log.
func (d *Daemon) brokerName() string {
	if d.cfg.Source == config.SourceNATS {
		return fmt.Sprintf("nats %v stream %s group %s member %s", d.cfg.NATS.URLs, d.layout.Stream, d.layout.Group, d.cfg.NATS.Member)
	}
	return d.cfg.MQTT.Broker
}
