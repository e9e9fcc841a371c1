package qcview

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/quantrac/quantrac"
	"github.com/quantrac/quantrac/store"
)

// Measurement is the InfluxDB measurement of the spans.
const Measurement = "qc_spans"

// Querier runs one InfluxQL statement and calls fn with each series of its result
// (store.Querier).
type Querier interface {
	QueryEach(ctx context.Context, influxql string, fn func(store.Series) error) error
}

// Options configure a View.
type Options struct {
	Querier Querier
	// Changed is called when a station's active spans change (a span added or revoked), with
	// the earliest instant the change affects: the earliest From of the spans added or
	// revoked. It is called without the view's lock held. May be nil.
	Changed func(station string, from time.Time)
}

// View holds the active spans of every station. Reading it (Spans, Invalid) takes no lock;
// Refresh and Apply are serialised. A span's fields other than revoked_by and revoked_at never
// change once written (a shortened span is a revocation and a new span), so a station's spans
// are read again only when the number of its spans or of its revoked spans changes.
type View struct {
	q       Querier
	changed func(string, time.Time)

	spans atomic.Pointer[map[string]quantrac.QCSpans] // active spans by station, never modified in place

	mu     sync.Mutex        // guards counts and loaded, serialises updates of spans
	counts map[string]counts // what the last Refresh counted of each station
	loaded bool
}

// counts are what change detection reads of a station's stored spans.
type counts struct{ spans, revoked int64 }

// New returns a View with no span; it does no I/O (Refresh loads the spans).
func New(o Options) *View {
	v := &View{q: o.Querier, changed: o.Changed, counts: map[string]counts{}}
	empty := map[string]quantrac.QCSpans{}
	v.spans.Store(&empty)
	return v
}

// Spans returns the active spans of a station, in no particular order. The slice is shared:
// callers must not modify it.
func (v *View) Spans(station string) quantrac.QCSpans { return (*v.spans.Load())[station] }

// Invalid reports whether the reading of param at t of station is invalid.
func (v *View) Invalid(station, param string, t time.Time) bool {
	ss := v.Spans(station)
	return len(ss) > 0 && ss.Invalid(param, t)
}

// snapshot returns the active spans of every station (shared, not to be modified).
func (v *View) snapshot() map[string]quantrac.QCSpans { return *v.spans.Load() }

// Apply takes a span this process wrote (or revoked: RevokedAt or RevokedBy set) at once,
// without waiting for the next Refresh.
func (v *View) Apply(s quantrac.QCSpan) {
	v.mu.Lock()
	cur := v.Spans(s.Station)
	next := slices.DeleteFunc(slices.Clone(cur), func(o quantrac.QCSpan) bool { return o.ID == s.ID })
	if s.Active() {
		next = append(next, s)
	}
	from, changed := diff(cur, next)
	if changed {
		v.replace(map[string]quantrac.QCSpans{s.Station: next})
	}
	v.mu.Unlock()
	if changed && v.changed != nil {
		v.changed(s.Station, from)
	}
}

// Refresh reads what changed in qc_spans since the last call (everything on the first) and
// calls Changed for each station whose active spans changed since the last Refresh (none
// on the first: the engine is rebuilt from the spans loaded then).
func (v *View) Refresh(ctx context.Context) error {
	changes, err := v.update(ctx)
	if err != nil {
		return err
	}
	if v.changed != nil {
		for _, c := range changes {
			v.changed(c.station, c.from)
		}
	}
	return nil
}

// change is a station whose active spans changed, and the earliest instant it affects.
type change struct {
	station string
	from    time.Time
}

// update reads the spans of the stations whose counts changed and returns the changes (none
// on the first call).
func (v *View) update(ctx context.Context) ([]change, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	now, err := v.count(ctx)
	if err != nil {
		return nil, err
	}
	var stations []string
	for st, c := range now {
		if !v.loaded || v.counts[st] != c {
			stations = append(stations, st)
		}
	}
	for st := range v.counts {
		if _, ok := now[st]; !ok {
			stations = append(stations, st) // its spans are gone from storage
		}
	}
	if len(stations) == 0 {
		v.loaded = true
		return nil, nil
	}
	slices.Sort(stations)
	read, err := v.read(ctx, stations, !v.loaded)
	if err != nil {
		return nil, err
	}
	var changes []change
	next := map[string]quantrac.QCSpans{}
	for _, st := range stations {
		if from, ok := diff(v.Spans(st), read[st]); ok {
			next[st] = read[st]
			changes = append(changes, change{st, from})
		}
	}
	v.replace(next)
	if !v.loaded {
		changes = nil
	}
	v.counts, v.loaded = now, true
	return changes, nil
}

// Reload reads the spans of the given stations again, whatever their counts: a cluster member
// taking stations over reads them as they are now (an automatic span that grew in place while
// another member judged them has the same counts). It calls Changed for none — the caller
// rebuilds the stations, or re-judges those it returns: the stations whose spans changed, with
// the earliest instant each change affects.
func (v *View) Reload(ctx context.Context, stations []string) (map[string]time.Time, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	read, err := v.read(ctx, stations, false)
	if err != nil {
		return nil, err
	}
	next, changed := map[string]quantrac.QCSpans{}, map[string]time.Time{}
	for _, st := range stations {
		next[st] = read[st]
		if from, ok := diff(v.Spans(st), read[st]); ok {
			changed[st] = from
		}
	}
	v.replace(next)
	return changed, nil
}

// replace sets the active spans of the stations of m. v.mu is held.
func (v *View) replace(m map[string]quantrac.QCSpans) {
	next := maps.Clone(v.snapshot())
	for st, ss := range m {
		if len(ss) == 0 {
			delete(next, st)
		} else {
			next[st] = ss
		}
	}
	v.spans.Store(&next)
}

// diff reports whether two sets of active spans differ (by id and extent), and the earliest
// From among the spans in one and not the other.
func diff(old, cur quantrac.QCSpans) (time.Time, bool) {
	var from time.Time
	changed := false
	note := func(s *quantrac.QCSpan) {
		if !changed || s.From.Before(from) {
			from = s.From
		}
		changed = true
	}
	for _, pair := range [2][2]quantrac.QCSpans{{old, cur}, {cur, old}} {
		for i := range pair[0] {
			s := &pair[0][i]
			if !slices.ContainsFunc(pair[1], func(o quantrac.QCSpan) bool { return sameSpan(s, &o) }) {
				note(s)
			}
		}
	}
	return from, changed
}

// sameSpan reports whether a and b say the same about the same readings.
func sameSpan(a, b *quantrac.QCSpan) bool {
	return a.ID == b.ID && a.Parameter == b.Parameter && a.Action == b.Action && a.From.Equal(b.From) &&
		a.To.Equal(b.To) && a.CreatedAt.Equal(b.CreatedAt)
}

// count reads how many spans, and revoked spans, each station has stored (two queries).
func (v *View) count(ctx context.Context) (map[string]counts, error) {
	out := map[string]counts{}
	for i, q := range []string{
		`SELECT count("id") FROM "qc_spans" GROUP BY "station"`,
		`SELECT count("id") FROM "qc_spans" WHERE "revoked_at" != '' GROUP BY "station"`,
	} {
		err := v.q.QueryEach(ctx, q, func(s store.Series) error {
			for _, row := range s.Values {
				n, ok := number(row, 1)
				if !ok {
					continue
				}
				c := out[s.Tags["station"]]
				if i == 0 {
					c.spans = n
				} else {
					c.revoked = n
				}
				out[s.Tags["station"]] = c
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("qc spans: %w", err)
		}
	}
	return out, nil
}

// read reads the active spans of the given stations (all: of every station).
func (v *View) read(ctx context.Context, stations []string, all bool) (map[string]quantrac.QCSpans, error) {
	q := `SELECT * FROM "qc_spans"`
	if !all {
		q += ` WHERE "station" =~ ` + stationRegexp(stations)
	}
	out := map[string]quantrac.QCSpans{}
	err := v.q.QueryEach(ctx, q, func(s store.Series) error {
		for _, row := range s.Values {
			sp, ok := parseSpan(s.Columns, row)
			if ok && sp.Active() {
				out[sp.Station] = append(out[sp.Station], sp)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("qc spans: %w", err)
	}
	return out, nil
}
