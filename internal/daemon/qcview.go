package daemon

import (
	"context"
	"sync"
	"time"

	"github.com/quantrac/quantrac"
	"github.com/quantrac/quantrac/internal/retry"
	"github.com/quantrac/quantrac/qcview"
	"github.com/quantrac/quantrac/store"
)

// Data-quality spans (README "Data quality"): the view of the spans in force filters what the
// engine and the AQI see, live (derive) and from InfluxDB (history); a change of a station's
// spans re-judges it from the stored readings, and its air-quality indices are computed again.

// newQCView builds the view of the spans over InfluxDB; it does no I/O.
func (d *Daemon) newQCView() {
	d.spans = qcview.New(qcview.Options{Querier: store.NewQuerier(d.writerOptions(), nil), Changed: d.qcChanged})
	d.derive.SetSpans(d.spans)
}

// Spans returns the view of the spans in force, for a part that writes spans (View.Apply).
func (d *Daemon) Spans() *qcview.View { return d.spans }

// qcChanged re-judges a station whose spans changed from the earliest instant they affect:
// its verdicts now (rules.Engine.MarkStale, done by refreshStale), its indices once it is
// re-judged (reviseAQI); the reports kept of the months it touches are built again.
func (d *Daemon) qcChanged(station string, from time.Time) {
	d.log.Info("data-quality spans changed; re-judging the station", "station", station, "from", from)
	d.engine.MarkStale(station, from)
	if m, ok := d.engine.StaleMark(station); ok {
		d.journalStale(m) // kept at once: saved year figures must not outlive a span change
	}
	d.aqiDue.mark(station, from)
	if d.changes != nil {
		d.changes.Changed(from)
	}
}

// refreshQC reads the spans other instances (or the command line) wrote since the last tick.
func (d *Daemon) refreshQC(ctx context.Context) {
	if err := d.spans.Refresh(ctx); err != nil && ctx.Err() == nil {
		d.log.Error("cannot read data-quality spans from InfluxDB; retrying", "err", err)
	}
	d.reloadMu.Lock()
	ids := d.reloadDue
	d.reloadDue = nil
	d.reloadMu.Unlock()
	if len(ids) == 0 {
		return
	}
	changed, err := d.spans.Reload(ctx, ids)
	if err != nil {
		d.reloadLater(ids)
		return
	}
	for st, from := range changed {
		d.engine.MarkStale(st, from)
	}
}

// reloadLater keeps stations whose spans could not be read when they were taken over, for the
// next tick.
func (d *Daemon) reloadLater(ids []string) {
	d.reloadMu.Lock()
	defer d.reloadMu.Unlock()
	d.reloadDue = append(d.reloadDue, ids...)
}

// reviseAQI computes again the air-quality indices of the stations among those just
// re-judged whose spans changed, and writes them.
func (d *Daemon) reviseAQI(ctx context.Context, rejudged []string) {
	var out []quantrac.Index
	for _, st := range rejudged {
		from, ok := d.aqiDue.take(st)
		if !ok {
			continue
		}
		idx, err := d.derive.Revise(ctx, d.history(), st, from, time.Now())
		if err != nil {
			d.aqiDue.mark(st, from)
			d.log.Error("cannot compute the air-quality indices again; retrying", "station", st, "err", err)
			continue
		}
		out = append(out, idx...)
	}
	if len(out) == 0 {
		return
	}
	if err := d.sink.Put(ctx, &quantrac.Envelope{Indices: out}); err != nil && ctx.Err() == nil {
		d.log.Error("cannot store revised air-quality indices", "indices", len(out), "err", err)
	}
}

// dueSince is a set of stations, each with the earliest instant to be computed again.
type dueSince struct {
	mu sync.Mutex
	m  map[string]time.Time
}

func (s *dueSince) mark(station string, from time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = map[string]time.Time{}
	}
	if old, ok := s.m[station]; !ok || from.Before(old) {
		s.m[station] = from
	}
}

func (s *dueSince) take(station string) (time.Time, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	from, ok := s.m[station]
	delete(s.m, station)
	return from, ok
}

// loadQC reads the spans in force before the engine is rebuilt (the rebuild leaves out the
// readings they make invalid), waiting for InfluxDB as long as it takes. It returns only
// ctx's error.
func (d *Daemon) loadQC(ctx context.Context) error {
	b := retry.Backoff{First: time.Second, Max: 30 * time.Second}
	for {
		err := d.spans.Refresh(ctx)
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		delay := b.Next()
		d.log.Error("cannot rebuild rule state from InfluxDB (reading the data-quality spans); not consuming messages until it can (the broker keeps them)", "err", err, "retry_in", delay)
		if !retry.Wait(ctx, delay) {
			return ctx.Err()
		}
	}
}
