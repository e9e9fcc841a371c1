package store

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/quantrac/quantrac/rules"
)

// RawQuery returns the InfluxQL that reads q's stored points themselves (q.Raw): the fields
// asked for, per station, in time order.
func RawQuery(q rules.AggregateQuery) string {
	sel := "*"
	if q.Fields != nil {
		quoted := make([]string, len(q.Fields))
		for i, f := range q.Fields {
			quoted[i] = quoteIdent(f)
		}
		sel = strings.Join(quoted, ", ")
	}
	var b strings.Builder
	fmt.Fprintf(&b, "SELECT %s FROM %s WHERE time > %d", sel, quoteIdent(string(q.Kind)), q.Since.UnixNano())
	if !q.Until.IsZero() {
		fmt.Fprintf(&b, " AND time <= %d", q.Until.UnixNano())
	}
	if q.Stations != nil {
		b.WriteString(" AND station =~ " + stationRegexp(q.Stations))
	}
	b.WriteString(` GROUP BY "station"`)
	return b.String()
}

// rawAggregates answers q from the stored points, grouped into buckets here: for stations
// that report a few readings an hour InfluxDB 1.8 streams points about ten times faster than
// it groups them by hour (BENCHMARKS.md, "Start with a year of data"). The buckets are those
// of AggregateQuery — (end − width, end], one point per timestamp as InfluxDB keeps them, summed
// in time order as InfluxQL's sum() does — so both give the same aggregates.
func (h *History) rawAggregates(ctx context.Context, q rules.AggregateQuery, fn func(rules.Aggregate) error) error {
	b := rawBuckets{fn: fn, width: int64(q.Width), phase: int64(q.Phase % q.Width), extremes: q.Extremes}
	err := h.q.QueryEach(ctx, RawQuery(q), func(s Series) error {
		if st := s.Tags["station"]; st != b.station || !slices.Equal(s.Columns, b.columns) {
			if err := b.flush(); err != nil {
				return err
			}
			b.start(st, s.Columns, h.isParam)
		}
		for _, row := range s.Values {
			ns, ok := row[0].(json.Number)
			if !ok {
				continue
			}
			t, err := ns.Int64()
			if err != nil {
				continue
			}
			if err := b.add(t, row); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	return b.flush()
}

// rawBuckets accumulates one station's points into the current bucket, field by field.
type rawBuckets struct {
	fn           func(rules.Aggregate) error
	width, phase int64
	extremes     bool
	station      string
	columns      []string
	fields       []int // the columns that are parameters
	end          int64 // the current bucket's end (Unix ns); 0: none
	acc          []rules.Aggregate
}

func (b *rawBuckets) start(station string, cols []string, isParam func(string) bool) {
	b.station, b.columns, b.fields, b.acc, b.end = station, cols, b.fields[:0], b.acc[:0], 0
	for i, c := range cols {
		if i > 0 && isParam(c) {
			b.fields = append(b.fields, i)
			b.acc = append(b.acc, rules.Aggregate{Station: station, Param: c})
		}
	}
}

// add takes the point at t (Unix ns) with its row of values.
func (b *rawBuckets) add(t int64, row []any) error {
	if end := b.bucketEnd(t); end != b.end {
		if err := b.flush(); err != nil {
			return err
		}
		b.end = end
	}
	for i, col := range b.fields {
		v, ok := number(row, col)
		if !ok {
			continue
		}
		a := &b.acc[i]
		if a.Count == 0 {
			a.Min, a.Max = v, v
		}
		a.Count++
		a.Sum += v
		a.Min, a.Max = math.Min(a.Min, v), math.Max(a.Max, v)
	}
	return nil
}

// bucketEnd returns the end of the bucket holding t: the first instant ≡ phase (mod width) at
// or after it.
func (b *rawBuckets) bucketEnd(t int64) int64 {
	k := (t - b.phase) / b.width
	if end := k*b.width + b.phase; end >= t {
		return end
	}
	return (k+1)*b.width + b.phase
}

// flush emits the current bucket's aggregates, in column order, and empties it.
func (b *rawBuckets) flush() error {
	if b.end == 0 {
		return nil
	}
	for i := range b.acc {
		a := &b.acc[i]
		if a.Count == 0 {
			continue
		}
		out := *a
		out.End = time.Unix(0, b.end)
		if !b.extremes {
			out.Min, out.Max = math.Inf(1), math.Inf(-1) // not asked for, as AggregateQuery
		}
		if err := b.fn(out); err != nil {
			return err
		}
		*a = rules.Aggregate{Station: a.Station, Param: a.Param}
	}
	b.end = 0
	return nil
}
