package qcview

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/quantrac/quantrac"
	"github.com/quantrac/quantrac/rules"
	"github.com/quantrac/quantrac/store"
)

// History returns h as it reads without the readings the view's spans make invalid: what
// the rules engine and the AQI trackers rebuild and re-judge from.
func (v *View) History(h rules.History) rules.History { return &history{History: h, v: v} }

// history filters a rules.History. Record and LastTransitions read verdicts, not readings, and
// pass through.
type history struct {
	rules.History
	v *View
}

// Readings calls fn with the valid readings only.
func (h *history) Readings(ctx context.Context, kind quantrac.Kind, station string, since time.Time, fn func(quantrac.Reading) error) error {
	ss := h.v.Spans(station)
	if len(ss) == 0 {
		return h.History.Readings(ctx, kind, station, since, fn)
	}
	return h.History.Readings(ctx, kind, station, since, func(r quantrac.Reading) error {
		if ss.Invalid(r.Param, r.Time) {
			return nil
		}
		return fn(r)
	})
}

// Latest calls fn with the valid readings of each station's newest point. A station whose
// newest point is wholly invalid gives none (its clock is then that of its hours).
func (h *history) Latest(ctx context.Context, kind quantrac.Kind, stations []string, since time.Time, fn func(quantrac.Reading) error) error {
	all := h.v.snapshot()
	if len(all) == 0 {
		return h.History.Latest(ctx, kind, stations, since, fn)
	}
	return h.History.Latest(ctx, kind, stations, since, func(r quantrac.Reading) error {
		if ss := all[r.Station]; len(ss) > 0 && ss.Invalid(r.Param, r.Time) {
			return nil
		}
		return fn(r)
	})
}

// Aggregates calls fn with the aggregates of the valid readings: a bucket that an active span
// touches is recomputed from the bucket's stored readings without the invalid ones (one query
// per run of touched buckets), and left out when none is valid. Buckets no span touches come
// from InfluxDB's grouping as they are.
func (h *history) Aggregates(ctx context.Context, q rules.AggregateQuery, fn func(rules.Aggregate) error) error {
	all := h.v.snapshot()
	if len(all) == 0 {
		return h.History.Aggregates(ctx, q, fn)
	}
	raw := rawCache{q: h.v.q, kind: q.Kind}
	return h.History.Aggregates(ctx, q, func(a rules.Aggregate) error {
		ss := all[a.Station]
		start := a.End.Add(-q.Width)
		if len(ss) == 0 || !touches(ss, a.Param, start, a.End) {
			return fn(a)
		}
		rs, err := raw.readings(ctx, a.Station, a.Param, start, a.End, reach(ss, a.Param, a.End, q))
		if err != nil {
			return err
		}
		b := rules.Aggregate{Station: a.Station, Param: a.Param, End: a.End, Min: math.Inf(1), Max: math.Inf(-1)}
		for _, r := range rs {
			if ss.Invalid(a.Param, r.t) {
				continue
			}
			b.Count++
			b.Sum += r.v
			if q.Extremes {
				b.Min, b.Max = min(b.Min, r.v), max(b.Max, r.v)
			}
		}
		if b.Count == 0 {
			return nil
		}
		return fn(b)
	})
}

// touches reports whether an active invalidate span of param overlaps the bucket (start, end].
func touches(ss quantrac.QCSpans, param string, start, end time.Time) bool {
	for i := range ss {
		s := &ss[i]
		if s.Action == quantrac.QCInvalidate && (s.Parameter == param || s.Parameter == quantrac.QCAllParameters) &&
			!s.From.After(end) && s.To.After(start) {
			return true
		}
	}
	return false
}

// maxRead bounds how far one query of raw readings reaches.
const maxRead = 31 * 24 * time.Hour

// reach returns how far past a touched bucket ending at end the readings are worth reading at
// once: to the end of the latest invalidate span of param that reaches past end, within the
// query and maxRead.
func reach(ss quantrac.QCSpans, param string, end time.Time, q rules.AggregateQuery) time.Time {
	to := end
	for i := range ss {
		s := &ss[i]
		if s.Action == quantrac.QCInvalidate && (s.Parameter == param || s.Parameter == quantrac.QCAllParameters) &&
			s.To.After(to) {
			to = s.To
		}
	}
	to = minTime(to, end.Add(maxRead))
	if !q.Until.IsZero() {
		to = minTime(to, q.Until)
	}
	return maxTime(to, end)
}

// sample is one stored reading.
type sample struct {
	t time.Time
	v float64
}

// rawCache holds the raw readings last read of each station and parameter, over (from, to].
type rawCache struct {
	q    Querier
	kind quantrac.Kind
	held map[string]rawRun
}

type rawRun struct {
	from, to time.Time
	rs       []sample
}

// readings returns the stored readings of (start, end], reading (start, upto] when the cache
// does not hold them.
func (c *rawCache) readings(ctx context.Context, station, param string, start, end, upto time.Time) ([]sample, error) {
	k := station + "\x00" + param
	run, ok := c.held[k]
	if !ok || start.Before(run.from) || end.After(run.to) {
		rs, err := readRaw(ctx, c.q, c.kind, station, param, start, upto)
		if err != nil {
			return nil, err
		}
		run = rawRun{from: start, to: upto, rs: rs}
		if c.held == nil {
			c.held = map[string]rawRun{}
		}
		c.held[k] = run
	}
	var out []sample
	for _, r := range run.rs {
		if r.t.After(start) && !r.t.After(end) {
			out = append(out, r)
		}
	}
	return out, nil
}

// readRaw reads the stored valid-status readings of one parameter of a station in (from, to].
func readRaw(ctx context.Context, q Querier, kind quantrac.Kind, station, param string, from, to time.Time) ([]sample, error) {
	stmt := fmt.Sprintf(`SELECT %s FROM %s WHERE "station" = %s AND time > %d AND time <= %d`,
		quoteIdent(param), quoteIdent(string(kind)), store.QuoteString(station), from.UnixNano(), to.UnixNano())
	var out []sample
	err := q.QueryEach(ctx, stmt, func(s store.Series) error {
		for _, row := range s.Values {
			ns, ok := number(row, 0)
			if !ok || len(row) < 2 {
				continue
			}
			f, ok := floatOf(row[1])
			if !ok {
				continue
			}
			out = append(out, sample{time.Unix(0, ns), f})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("qc spans: readings of %s %s: %w", station, param, err)
	}
	return out, nil
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
