package daemon

import (
	"context"
	"time"

	"github.com/quantrac/quantrac"
	"github.com/quantrac/quantrac/ingest"
	"github.com/quantrac/quantrac/internal/autoqc"
	"github.com/quantrac/quantrac/store"
)

// newQC builds the automatic data-quality checks when the configuration has a qc section
// (nil otherwise): they write their spans straight to InfluxDB, not through the sink, since
// a span is derived from stored readings and is written again by the next check if a write
// fails.
func (d *Daemon) newQC() *autoqc.Runner {
	if d.cfg.QC == nil {
		return nil
	}
	q := store.NewQuerier(d.writerOptions(), nil)
	return autoqc.New(autoqc.Options{
		Settings:   d.cfg.QC.Settings(),
		Spans:      store.NewAutoQCSpans(d.writer, q),
		Readings:   d.rawHistory(),
		Applied:    d.spans.Apply, // this instance judges the station: its spans count at once
		Registry:   d.registry.Load,
		Lookback:   d.cfg.Limits.MaxAge,
		Now:        time.Now,
		Logger:     d.log.With("part", "qc"),
		Registerer: d.reg,
	})
}

// observer is what the pipeline shows each accepted envelope to: the rules and AQI, and the
// automatic checks when they run.
func (d *Daemon) observer() ingest.Observer {
	if d.qc == nil {
		return d.derive
	}
	return observers{d.derive, d.qc}
}

// observers shows an envelope to each in turn.
type observers []ingest.Observer

func (os observers) Observe(e *quantrac.Envelope) {
	for _, o := range os {
		o.Observe(e)
	}
}

// startQC runs the automatic checks until the returned stop is called (after the pipeline
// has drained, so that the last readings are checked too); without a qc section it does
// nothing.
func (d *Daemon) startQC() (stop func()) {
	if d.qc == nil {
		return func() {}
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = d.qc.Run(ctx)
	}()
	return func() {
		cancel()
		<-done
	}
}

// forgetQC drops the checks' state of stations this instance takes over.
func (d *Daemon) forgetQC(ids []string) {
	if d.qc != nil {
		d.qc.Forget(ids)
	}
}
