package autoqc

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/quantrac/quantrac"
	"github.com/quantrac/quantrac/qc"
)

// Spans keeps automatic spans: InfluxDB measurement qc_spans.
type Spans interface {
	// WriteSpan writes a span; a span with the same station, parameter, source and
	// created_at is the same point, overwritten.
	WriteSpan(ctx context.Context, s quantrac.QCSpan) error
	// RevokeSpan marks the span with that id revoked: by whom, and when.
	RevokeSpan(ctx context.Context, id, by string, at time.Time) error
	// AutoSpans returns a station's automatic spans, active and revoked, that end at or
	// after from and start at or before to.
	AutoSpans(ctx context.Context, station string, from, to time.Time) ([]quantrac.QCSpan, error)
}

// Readings reads a station's stored valid readings after since, in time order
// (store.History).
type Readings interface {
	Readings(ctx context.Context, kind quantrac.Kind, station string, since time.Time, fn func(quantrac.Reading) error) error
}

// Defaults of Options.
const (
	// DefaultEvery is how long readings wait before their station is checked: a station
	// sending a backlog is checked once per interval, not once per message.
	DefaultEvery = 5 * time.Second
	// DefaultMargin is how much older than the longest flat-line duration a window reaches:
	// a reading up to that late is checked from memory, an older one from InfluxDB.
	DefaultMargin = time.Hour
	// DefaultLookback bounds how far back a flat line is followed in InfluxDB (the longest
	// limits.max_age quantrac accepts readings for by default).
	DefaultLookback = 720 * time.Hour
)

// Options configure a Runner.
type Options struct {
	Settings   qc.Settings
	Spans      Spans
	Readings   Readings
	Registry   func() *quantrac.Registry
	Every      time.Duration // default DefaultEvery
	Margin     time.Duration // default DefaultMargin
	Lookback   time.Duration // default DefaultLookback
	Now        func() time.Time
	Logger     *slog.Logger
	Registerer prometheus.Registerer
	// Applied, when set, is told of each span written or revoked once it is stored (the
	// daemon's view of the spans in force takes it at once).
	Applied func(quantrac.QCSpan)
}

// Runner runs the automatic checks on the stations whose readings arrive and keeps their
// automatic spans in step with them. Observe is safe for concurrent use; Run owns the
// checks.
type Runner struct {
	o       Options
	checker *qc.Checker
	keep    time.Duration // how far behind its newest reading a window reaches

	mu      sync.Mutex
	windows map[string]*window
	queue   []string // stations with readings waiting, in arrival order
	wake    chan struct{}

	spans  *prometheus.CounterVec
	errors prometheus.Counter
}

// New returns a runner; it does no I/O.
func New(o Options) *Runner {
	if o.Every <= 0 {
		o.Every = DefaultEvery
	}
	if o.Margin <= 0 {
		o.Margin = DefaultMargin
	}
	if o.Lookback <= 0 {
		o.Lookback = DefaultLookback
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	r := &Runner{o: o, checker: qc.New(o.Settings), keep: longestFlatline(o.Settings) + o.Margin,
		windows: map[string]*window{}, wake: make(chan struct{}, 1)}
	r.spans = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "quantrac_qc_auto_spans_total",
		Help: "Automatic QC span changes written to qc_spans, by check and change (created, grown, revoked).",
	}, []string{"check", "change"})
	r.errors = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "quantrac_qc_auto_errors_total",
		Help: "Station checks that could not read or write InfluxDB (retried at the next round).",
	})
	if o.Registerer != nil {
		o.Registerer.MustRegister(r.spans, r.errors)
	}
	return r
}

// longestFlatline is the longest flat-line duration of any parameter.
func longestFlatline(s qc.Settings) time.Duration {
	d := s.Flatline
	for _, p := range s.Params {
		d = max(d, p.Flatline)
	}
	return d
}

// Observe holds the valid readings of a message in its station's window and queues the
// station for a check. It allocates only for a station or parameter seen the first time.
func (r *Runner) Observe(e *quantrac.Envelope) {
	if len(e.Readings) == 0 {
		return
	}
	station := e.Readings[0].Station
	w := r.window(station)
	w.mu.Lock()
	queue := false
	for i := range e.Readings {
		rd := &e.Readings[i]
		if rd.Valid() {
			queue = w.add(rd.Param, rd.Time, rd.Value) || queue
		}
	}
	w.mu.Unlock()
	if queue {
		r.mu.Lock()
		r.queue = append(r.queue, station)
		r.mu.Unlock()
	}
}

// window returns the station's window, made on first use.
func (r *Runner) window(station string) *window {
	r.mu.Lock()
	defer r.mu.Unlock()
	w := r.windows[station]
	if w == nil {
		w = newWindow()
		r.windows[station] = w
	}
	return w
}

// Run checks the queued stations every Options.Every until ctx is done, then once more
// within a few seconds for what arrived last. It returns nil.
func (r *Runner) Run(ctx context.Context) error {
	tick := time.NewTicker(r.o.Every)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			final, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			r.Round(final)
			return nil
		case <-tick.C:
			r.Round(ctx)
		}
	}
}

// Round checks every station queued so far. A station whose check fails (InfluxDB
// unreachable) is queued again for the next round.
func (r *Runner) Round(ctx context.Context) {
	r.mu.Lock()
	queue := r.queue
	r.queue = nil
	r.mu.Unlock()
	var failed []string
	var first error
	for _, id := range queue {
		if ctx.Err() != nil {
			failed = append(failed, id)
			continue
		}
		if err := r.check(ctx, id); err != nil {
			r.errors.Inc()
			failed = append(failed, id)
			if first == nil {
				first = fmt.Errorf("station %s: %w", id, err)
			}
		}
	}
	if len(failed) > 0 {
		r.mu.Lock()
		r.queue = append(failed, r.queue...)
		r.mu.Unlock()
	}
	if first != nil {
		r.o.Logger.Warn("automatic QC checks failed; retrying next round", "stations", len(failed), "first", first)
	}
}

// Pending returns how many stations wait for a check.
func (r *Runner) Pending() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.queue)
}

// check runs the checks on one station's window and reconciles its automatic spans.
func (r *Runner) check(ctx context.Context, id string) error {
	st := r.o.Registry().Station(id)
	if st == nil {
		r.mu.Lock()
		delete(r.windows, id) // removed from the registry
		r.mu.Unlock()
		return nil
	}
	w := r.window(id)
	w.mu.Lock()
	dirty := w.takeDirty()
	w.mu.Unlock()
	if dirty == none {
		return nil
	}
	err := r.checkSince(ctx, st, w, dirty-int64(r.keep))
	w.mu.Lock()
	defer w.mu.Unlock()
	if err != nil {
		w.dirty = min(w.dirty, dirty) // checked again next round
		return err
	}
	w.trim(w.newest - int64(r.keep))
	return nil
}

// checkSince checks the window from since on (and back to the start of any stored run span
// it would see only in part), and reconciles.
func (r *Runner) checkSince(ctx context.Context, st *quantrac.Station, w *window, since int64) error {
	stored, err := r.stored(ctx, st.ID, w, since)
	if err != nil {
		return err
	}
	w.mu.Lock()
	since = w.reach(stored, since)
	w.mu.Unlock()
	found, inScope, err := r.findSpans(ctx, st, w, since)
	if err != nil {
		return err
	}
	w.mu.Lock()
	lo := w.low()
	w.mu.Unlock()
	if stored, err = r.stored(ctx, st.ID, w, lo); err != nil {
		return err
	}
	return r.apply(ctx, w, Reconcile(st.ID, found, stored, inScope, r.o.Now().UTC()), stored)
}

// findSpans makes the window hold every stored reading from since on, runs the checks, and
// follows a run back into InfluxDB while its start may lie before the window.
func (r *Runner) findSpans(ctx context.Context, st *quantrac.Station, w *window, since int64) ([]qc.Span, func(string, qc.Check, time.Time) bool, error) {
	step := r.keep
	for {
		if err := r.load(ctx, st, w, since); err != nil {
			return nil, nil, err
		}
		w.mu.Lock()
		found := r.checker.Station(st.ID, st.Interval, w.snapshot())
		cut := w.cut(found)
		oldest := w.newest - int64(r.o.Lookback)
		if cut && w.from <= oldest {
			w.settleHeads()
			cut = false
		}
		if !cut {
			for i := range found {
				found[i].Reason = withElided(found[i].Reason, w.elidedAt(found[i].Parameter, found[i].From))
			}
			inScope := w.scope()
			w.mu.Unlock()
			return found, inScope, nil
		}
		since = max(w.from-int64(step), oldest)
		step *= 2
		w.mu.Unlock()
	}
}

// load reads the station's stored readings the window lacks from since on.
func (r *Runner) load(ctx context.Context, st *quantrac.Station, w *window, since int64) error {
	w.mu.Lock()
	since, need := w.needs(since)
	w.mu.Unlock()
	if !need {
		return nil
	}
	loaded := map[string][]point{}
	err := r.o.Readings.Readings(ctx, st.Kind, st.ID, time.Unix(0, since-1), func(rd quantrac.Reading) error {
		loaded[rd.Param] = append(loaded[rd.Param], point{rd.Time.UnixNano(), rd.Value})
		return nil
	})
	if err != nil {
		return fmt.Errorf("reading the window back from InfluxDB: %w", err)
	}
	w.mu.Lock()
	w.merge(since, loaded)
	w.mu.Unlock()
	return nil
}

// apply writes a plan, keeping the window's copy of the stored spans up to date.
func (r *Runner) apply(ctx context.Context, w *window, plan Plan, stored []quantrac.QCSpan) error {
	for _, s := range plan.Revoke {
		if err := r.o.Spans.RevokeSpan(ctx, s.ID, s.RevokedBy, s.RevokedAt); err != nil {
			return fmt.Errorf("revoking span %s: %w", s.ID, err)
		}
		r.remember(w, s, "revoked")
		r.applied(s)
	}
	for _, s := range plan.Write {
		if err := r.o.Spans.WriteSpan(ctx, s); err != nil {
			return fmt.Errorf("writing span %s: %w", s.ID, err)
		}
		change := "created"
		if slices.ContainsFunc(stored, func(o quantrac.QCSpan) bool { return o.ID == s.ID }) {
			change = "grown"
		}
		r.remember(w, s, change)
		r.applied(s)
	}
	return nil
}

func (r *Runner) applied(s quantrac.QCSpan) {
	if r.o.Applied != nil {
		r.o.Applied(s)
	}
}

// stored returns the station's automatic spans that end at or after lo (or the window's
// start), read from InfluxDB
// the first time and kept up to date with what this runner writes (a station's spans are
// written by its owner only).
func (r *Runner) stored(ctx context.Context, id string, w *window, lo int64) ([]quantrac.QCSpan, error) {
	w.mu.Lock()
	lo = min(lo, w.low())
	if w.stored != nil && w.storedFrom <= lo {
		out := slices.Clone(w.stored)
		w.mu.Unlock()
		return out, nil
	}
	w.mu.Unlock()
	spans, err := r.o.Spans.AutoSpans(ctx, id, time.Unix(0, lo), time.Unix(0, none))
	if err != nil {
		return nil, fmt.Errorf("reading automatic spans: %w", err)
	}
	if spans == nil {
		spans = []quantrac.QCSpan{}
	}
	w.mu.Lock()
	w.stored, w.storedFrom = spans, lo
	w.mu.Unlock()
	return slices.Clone(spans), nil
}

// remember records a span written in the window's copy of the stored spans, and counts it.
func (r *Runner) remember(w *window, s quantrac.QCSpan, change string) {
	c, _ := CheckOf(s.ID)
	r.spans.WithLabelValues(string(c), change).Inc()
	r.o.Logger.Info("automatic QC span "+change, "station", s.Station, "parameter", s.Parameter, "id", s.ID,
		"from", s.From, "to", s.To, "reason", s.Reason)
	w.mu.Lock()
	defer w.mu.Unlock()
	if i := slices.IndexFunc(w.stored, func(o quantrac.QCSpan) bool { return o.ID == s.ID }); i >= 0 {
		w.stored[i] = s
		return
	}
	w.stored = append(w.stored, s)
}

// Forget drops what the runner holds of stations (their windows and copies of stored
// spans): another instance may have checked them meanwhile (a NATS consumer group member
// taking over partitions). Their next readings read both back from InfluxDB.
func (r *Runner) Forget(stations []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, id := range stations {
		delete(r.windows, id)
	}
}
