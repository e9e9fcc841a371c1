package archive

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"time"

	"github.com/quantrac/quantrac"
	"github.com/quantrac/quantrac/store"
)

// Spans gives the data-quality spans in force at a station (qcview.View).
type Spans interface {
	Spans(station string) quantrac.QCSpans
}

// WithSpans makes Hours leave out the readings that spans make invalid (README "Data
// quality"): they count as missing, and each hour says how many there were (Hour.Invalid).
func (a *Archive) WithSpans(s Spans) *Archive {
	a.spans = s
	return a
}

// RawQuery returns the InfluxQL statement reading the stored valid-status readings of p in
// the hours ending in (from, to]: what an hour an invalidate span touches is computed from.
func RawQuery(st *quantrac.Station, p string, from, to time.Time) string {
	return fmt.Sprintf("SELECT %q FROM %q WHERE \"station\" = %s AND %s", p, string(st.Kind), store.QuoteString(st.ID), timeRange(from, to))
}

// leaveOutInvalid computes again, from the stored readings, each hour with valid readings that
// an active invalidate span touches: its valid readings and mean without the invalid ones,
// which it counts apart. One query per parameter, over the hours touched.
func (a *Archive) leaveOutInvalid(ctx context.Context, st *quantrac.Station, t *hourTable) error {
	if a.spans == nil {
		return nil
	}
	ss := a.spans.Spans(st.ID)
	if len(ss) == 0 {
		return nil
	}
	for _, p := range t.order {
		hs := t.byParam[p]
		var touched []*Hour
		for i := range hs {
			if hs[i].Valid > 0 && touches(ss, p, hs[i].End.Add(-time.Hour), hs[i].End) {
				touched = append(touched, &hs[i])
			}
		}
		if len(touched) == 0 {
			continue
		}
		for _, h := range touched {
			h.Valid, h.Mean = 0, 0 // the sum until all are counted
		}
		first, last := touched[0].End.Add(-time.Hour), touched[len(touched)-1].End
		series, err := a.q.Query(ctx, RawQuery(st, p, first, last))
		if err != nil {
			return err
		}
		for _, s := range series {
			for _, row := range s.Values {
				if len(row) < 2 {
					continue
				}
				ns, err := cellInt(row, 0)
				v, ok := row[1].(json.Number)
				if err != nil || !ok {
					continue
				}
				f, err := v.Float64()
				at := time.Unix(0, ns)
				h := t.hour(p, HourEnd(at, st.TimeLocation()))
				if err != nil || h == nil || !touches(ss, p, h.End.Add(-time.Hour), h.End) {
					continue
				}
				if by := ss.InvalidBy(p, at); by != nil {
					h.Invalid++
					if by.Source == quantrac.QCSourceUser {
						h.InvalidByUser++
					}
				} else {
					h.Valid++
					h.Mean += f
				}
			}
		}
		for _, h := range touched {
			if h.Valid == 0 {
				h.Mean = math.NaN()
			} else {
				h.Mean /= float64(h.Valid)
			}
		}
	}
	return nil
}

// touches reports whether an active invalidate span of param overlaps the hour (start, end].
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
