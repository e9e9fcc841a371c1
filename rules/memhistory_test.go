package rules

import (
	"cmp"
	"context"
	"slices"
	"time"

	"github.com/quantrac/quantrac"
)

// memHistory is an in-memory History — a fake standing in for InfluxDB, which the daemon's
// store.History queries: it keeps the readings and transitions "written" so far, a point per
// station × parameter × time (a point written twice overwrites itself, as in InfluxDB), and
// aggregates them as store.AggregateQuery's InfluxQL does.
type memHistory struct {
	kinds    map[string]quantrac.Kind
	readings map[readingKey]float64
	trs      map[trKey]Transition
	err      error // returned by every query when set
}

type readingKey struct {
	station, param string
	t              int64
}

type trKey struct {
	station, param, regulation, period string
	t                                  int64
}

func newMemHistory(reg *quantrac.Registry) *memHistory {
	h := &memHistory{kinds: map[string]quantrac.Kind{}, readings: map[readingKey]float64{}, trs: map[trKey]Transition{}}
	for _, st := range reg.Stations() {
		h.kinds[st.ID] = st.Kind
	}
	return h
}

// write stores what the daemon writes for one batch: its valid readings and transitions.
func (h *memHistory) write(rs []quantrac.Reading, trs []Transition) {
	for _, r := range rs {
		if r.Valid() {
			h.readings[readingKey{r.Station, r.Param, r.Time.UnixNano()}] = r.Value
		}
	}
	for _, tr := range trs {
		h.trs[trKey{tr.Station, tr.Parameter, tr.Regulation, tr.Period, tr.WindowEnd.UnixNano()}] = tr
	}
}

func (h *memHistory) Aggregates(_ context.Context, q AggregateQuery, fn func(Aggregate) error) error {
	if h.err != nil {
		return h.err
	}
	type bucket struct {
		station, param string
		end            int64
	}
	aggs := map[bucket]*Aggregate{}
	w, ph := int64(q.Width), int64(q.Phase)
	for k, v := range h.readings {
		if h.kinds[k.station] != q.Kind || (q.Stations != nil && !slices.Contains(q.Stations, k.station)) ||
			(q.Fields != nil && !slices.Contains(q.Fields, k.param)) ||
			k.t <= q.Since.UnixNano() || (!q.Until.IsZero() && k.t > q.Until.UnixNano()) {
			continue
		}
		end := ceilDiv(k.t-ph, w)*w + ph
		b := bucket{k.station, k.param, end}
		a := aggs[b]
		if a == nil {
			a = &Aggregate{Station: k.station, Param: k.param, End: time.Unix(0, end), Min: v, Max: v}
			aggs[b] = a
		}
		a.Count++
		a.Sum += v
		a.Min, a.Max = min(a.Min, v), max(a.Max, v)
	}
	keys := make([]bucket, 0, len(aggs))
	for b := range aggs {
		keys = append(keys, b)
	}
	slices.SortFunc(keys, func(a, b bucket) int {
		return cmp.Or(cmp.Compare(a.station, b.station), cmp.Compare(a.end, b.end), cmp.Compare(a.param, b.param))
	})
	for _, b := range keys {
		if err := fn(*aggs[b]); err != nil {
			return err
		}
	}
	return nil
}

func (h *memHistory) Latest(_ context.Context, kind quantrac.Kind, stations []string, since time.Time, fn func(quantrac.Reading) error) error {
	if h.err != nil {
		return h.err
	}
	newest := map[string]int64{}
	for k := range h.readings {
		if h.kinds[k.station] == kind && (stations == nil || slices.Contains(stations, k.station)) && k.t > since.UnixNano() {
			newest[k.station] = max(newest[k.station], k.t)
		}
	}
	for k, v := range h.readings {
		if t, ok := newest[k.station]; ok && k.t == t {
			r := quantrac.Reading{Station: k.station, Kind: kind, Param: k.param, Value: v, Time: time.Unix(0, t), Status: quantrac.StatusMeasuring}
			if err := fn(r); err != nil {
				return err
			}
		}
	}
	return nil
}

func (h *memHistory) Oldest(_ context.Context, kind quantrac.Kind, since time.Time) (time.Time, bool, error) {
	if h.err != nil {
		return time.Time{}, false, h.err
	}
	oldest := int64(0)
	for k := range h.readings {
		if h.kinds[k.station] == kind && k.t > since.UnixNano() && (oldest == 0 || k.t < oldest) {
			oldest = k.t
		}
	}
	return time.Unix(0, oldest), oldest != 0, nil
}

func (h *memHistory) LastTransitions(_ context.Context, stations []string, fn func(Transition) error) error {
	if h.err != nil {
		return h.err
	}
	last := map[trKey]Transition{}
	for k, tr := range h.trs {
		if (stations != nil && !slices.Contains(stations, k.station)) || tr.State == quantrac.ViolationWithdrawn {
			continue
		}
		s := trKey{k.station, k.param, k.regulation, k.period, 0}
		if old, ok := last[s]; !ok || tr.WindowEnd.After(old.WindowEnd) {
			last[s] = tr
		}
	}
	for _, tr := range last {
		if err := fn(tr); err != nil {
			return err
		}
	}
	return nil
}

func (h *memHistory) Readings(_ context.Context, kind quantrac.Kind, station string, since time.Time, fn func(quantrac.Reading) error) error {
	if h.err != nil {
		return h.err
	}
	var rs []quantrac.Reading
	for k, v := range h.readings {
		if k.station == station && h.kinds[k.station] == kind && k.t > since.UnixNano() {
			rs = append(rs, quantrac.Reading{Station: k.station, Kind: kind, Param: k.param, Value: v,
				Time: time.Unix(0, k.t), Status: quantrac.StatusMeasuring})
		}
	}
	slices.SortFunc(rs, func(a, b quantrac.Reading) int { return cmp.Or(a.Time.Compare(b.Time), cmp.Compare(a.Param, b.Param)) })
	for _, r := range rs {
		if err := fn(r); err != nil {
			return err
		}
	}
	return nil
}

func (h *memHistory) Record(_ context.Context, station string, at time.Time, fn func(Transition) error) error {
	if h.err != nil {
		return h.err
	}
	last := map[trKey]Transition{}
	var after []Transition
	for k, tr := range h.trs {
		switch {
		case k.station != station || tr.State == quantrac.ViolationWithdrawn:
		case tr.WindowEnd.After(at):
			after = append(after, tr)
		default:
			s := trKey{k.station, k.param, k.regulation, k.period, 0}
			if old, ok := last[s]; !ok || tr.WindowEnd.After(old.WindowEnd) {
				last[s] = tr
			}
		}
	}
	for _, tr := range last {
		after = append(after, tr)
	}
	slices.SortFunc(after, func(a, b Transition) int { return a.WindowEnd.Compare(b.WindowEnd) })
	for _, tr := range after {
		if err := fn(tr); err != nil {
			return err
		}
	}
	return nil
}
