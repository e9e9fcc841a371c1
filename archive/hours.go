package archive

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/quantrac/quantrac"
	"github.com/quantrac/quantrac/param"
	"github.com/quantrac/quantrac/store"
)

// Querier runs one InfluxQL statement (store.Querier).
type Querier interface {
	Query(ctx context.Context, influxql string) ([]store.Series, error)
}

// Archive reads quantrac's measurements back from InfluxDB.
type Archive struct {
	q     Querier
	spans Spans // nil: every stored reading counts
}

// New returns an Archive over q; it does no I/O.
func New(q Querier) *Archive { return &Archive{q: q} }

// Excluded statuses: readings in calibration or maintenance, which the readings expected of an
// hour leave out (flagged readings of any other status stay expected).
const (
	StatusCalibration = "01"          // Circular 10/2021 "hiệu chuẩn"
	StatusMaintenance = "maintenance" // in a registry maintenance window (store writes this status)
)

// Hour is one clock hour of one parameter of a station.
type Hour struct {
	End      time.Time // the hour covers (End−1h, End]
	Valid    int       // valid readings (measurement <kind>), without those a span makes invalid
	Invalid  int       // readings of <kind> that a data-quality span makes invalid: missing
	Excluded int       // readings in calibration or maintenance (<kind>_flagged)
	Flagged  int       // other flagged readings: device fault (02) and other status codes
	Expected int       // readings expected: 1 h ÷ interval − Excluded, not below 0
	Mean     float64   // mean of the valid readings; NaN when Valid is 0
	// InvalidByUser is how many of Invalid an inspector's span (source user) made invalid,
	// the others an automatic check's: QCSpans.InvalidBy names the span that decides.
	InvalidByUser int
}

// IsValid reports whether the hour has at least 75 % of its expected readings.
func (h *Hour) IsValid() bool { return h.Expected > 0 && 4*h.Valid >= 3*h.Expected }

// IsExcluded reports whether calibration or maintenance took the whole hour.
func (h *Hour) IsExcluded() bool { return h.Expected == 0 }

// Series is the hours of one parameter, oldest first.
type Series struct {
	Param string
	Hours []Hour
}

// PerHour returns the readings a station's hour expects: 1 h ÷ its interval, at least 1.
func PerHour(st *quantrac.Station) int {
	iv := st.Interval
	if iv <= 0 {
		iv = quantrac.DefaultInterval
	}
	return max(1, int(math.Round(float64(time.Hour)/float64(iv))))
}

// hourShift is how far the local clock hours of loc are from whole UTC hours at t.
func hourShift(loc *time.Location, t time.Time) time.Duration {
	_, off := t.In(loc).Zone()
	return time.Duration(((-off)%3600+3600)%3600) * time.Second
}

// HourClause returns the GROUP BY time clause of the clock hours of loc around t, e.g.
// "time(1h, 1ns)" in Asia/Ho_Chi_Minh and "time(1h, 1800000000001ns)" in Asia/Kolkata.
func HourClause(loc *time.Location, t time.Time) string {
	return fmt.Sprintf("time(1h, %dns)", int64(hourShift(loc, t))+1)
}

// HourEnd returns the end of the clock hour of loc that contains t: t itself when t is on
// the hour.
func HourEnd(t time.Time, loc *time.Location) time.Time {
	shift := hourShift(loc, t)
	base := t.Add(-shift).Truncate(time.Hour).Add(shift)
	if base.Equal(t) {
		return t
	}
	return base.Add(time.Hour)
}

// timeRange is the InfluxQL condition of the hours ending in (from, to].
func timeRange(from, to time.Time) string {
	return fmt.Sprintf("time > %d AND time <= %d", from.UnixNano(), to.UnixNano())
}

// HoursQueries returns the InfluxQL statements Hours runs for the valid and flagged readings:
// counts and means of <kind>, counts of <kind>_flagged, both per clock hour.
func HoursQueries(st *quantrac.Station, params []string, from, to time.Time) (valid, flagged string) {
	sel, cnt := "count(*), mean(*)", "count(*)"
	if len(params) > 0 {
		var s, c []string
		for _, p := range params {
			s = append(s, fmt.Sprintf("count(%q) AS %q, mean(%q) AS %q", p, "count_"+p, p, "mean_"+p))
			c = append(c, fmt.Sprintf("count(%q) AS %q", p, "count_"+p))
		}
		sel, cnt = strings.Join(s, ", "), strings.Join(c, ", ")
	}
	where := fmt.Sprintf("WHERE \"station\" = %s AND %s GROUP BY %s", store.QuoteString(st.ID), timeRange(from, to), HourClause(st.TimeLocation(), to))
	valid = fmt.Sprintf("SELECT %s FROM %q %s", sel, string(st.Kind), where)
	flagged = fmt.Sprintf("SELECT %s FROM %q %s", cnt, string(st.Kind)+"_flagged", where)
	return valid, flagged
}

// ExcludedQuery returns the InfluxQL statement counting, per clock hour, the readings of p
// excluded for calibration or maintenance.
func ExcludedQuery(st *quantrac.Station, p string, from, to time.Time) string {
	return fmt.Sprintf("SELECT count(%q) FROM %q WHERE \"station\" = %s AND (%q = '%s' OR %q = '%s') AND %s GROUP BY %s",
		p, string(st.Kind)+"_flagged", store.QuoteString(st.ID), p+"_status", StatusCalibration, p+"_status", StatusMaintenance,
		timeRange(from, to), HourClause(st.TimeLocation(), to))
}

// Hours returns the hours ending in (from, to] of the station's parameters (every parameter
// with a reading in the range when params is empty), in catalog order. from and to must be
// hour ends (HourEnd). It runs the statements of HoursQueries, then RawQuery for each
// parameter with hours a data-quality span touches (WithSpans), then ExcludedQuery for each
// parameter with flagged readings.
func (a *Archive) Hours(ctx context.Context, st *quantrac.Station, params []string, from, to time.Time) ([]Series, error) {
	if !from.Before(to) {
		return nil, nil
	}
	vq, fq := HoursQueries(st, params, from, to)
	agg := newHourTable(from, to, PerHour(st))
	for _, p := range params {
		agg.param(p)
	}
	if err := a.each(ctx, vq, agg.addValid); err != nil {
		return nil, err
	}
	if err := a.leaveOutInvalid(ctx, st, agg); err != nil {
		return nil, err
	}
	if err := a.each(ctx, fq, agg.addFlagged); err != nil {
		return nil, err
	}
	for _, p := range agg.flaggedParams() {
		err := a.each(ctx, ExcludedQuery(st, p, from, to), func(end time.Time, col string, v json.Number) {
			if col == "count" {
				agg.addExcluded(end, p, v)
			}
		})
		if err != nil {
			return nil, err
		}
	}
	return agg.series(), nil
}

// each runs q and calls fn for every non-null cell of every row with the hour's end.
func (a *Archive) each(ctx context.Context, q string, fn func(end time.Time, col string, v json.Number)) error {
	series, err := a.q.Query(ctx, q)
	if err != nil {
		return err
	}
	for _, s := range series {
		for _, row := range s.Values {
			ns, err := cellInt(row, 0)
			if err != nil {
				return fmt.Errorf("%s: time: %w", q, err)
			}
			end := time.Unix(0, ns).Add(time.Hour - time.Nanosecond)
			for i := 1; i < len(row) && i < len(s.Columns); i++ {
				if v, ok := row[i].(json.Number); ok {
					fn(end, s.Columns[i], v)
				}
			}
		}
	}
	return nil
}

func cellInt(row []any, i int) (int64, error) {
	if i >= len(row) {
		return 0, fmt.Errorf("missing column %d", i)
	}
	n, ok := row[i].(json.Number)
	if !ok {
		return 0, fmt.Errorf("not a number: %v", row[i])
	}
	return n.Int64()
}

// sortParams orders parameter ids as the parameter catalog does, unknown ones last by name.
func sortParams(ps []string) {
	rank := func(p string) int {
		if c, ok := param.Lookup(p); ok && c.ID == p {
			return c.Index()
		}
		return math.MaxInt
	}
	slices.SortFunc(ps, func(a, b string) int {
		return cmp.Or(cmp.Compare(rank(a), rank(b)), strings.Compare(a, b))
	})
}
