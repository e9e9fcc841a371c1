package store

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"strings"
	"time"

	"github.com/quantrac/quantrac"
	"github.com/quantrac/quantrac/rules"
)

// History reads stored data back from InfluxDB for rebuilding the rules engine and the AQI
// trackers after a restart (rules.History): hourly (or reading-slot) aggregates grouped by
// InfluxDB, one query per measurement, and the newest stored violation transition of each
// limit.
type History struct {
	q       *Querier
	isParam func(string) bool
}

// NewHistory returns a History over q; isParam says which field names are parameters. The
// registry argument is kept for callers of the previous signature and not used: queries name
// measurements, not stations.
func NewHistory(q *Querier, _ func() *quantrac.Registry, isParam func(string) bool) *History {
	return &History{q: q, isParam: isParam}
}

// AggregateQuery returns the InfluxQL of q: count and sum (and min and max with Extremes) of
// every field of the kind's measurement per station and bucket, buckets (end − width, end]
// ending at multiples of the width shifted by the phase (GROUP BY time(width, phase + 1ns)).
// InfluxDB 1.8 sets up one iterator per station, field and aggregate (about 0.3 ms each on
// the benchmark machine), so the extremes are asked for only when needed.
func AggregateQuery(q rules.AggregateQuery) string {
	var b strings.Builder
	fns := []string{"count", "sum"}
	if q.Extremes {
		fns = append(fns, "min", "max")
	}
	var aggs []string
	for _, fn := range fns {
		if q.Fields == nil {
			aggs = append(aggs, fn+"(*)")
		}
		for _, f := range q.Fields {
			aggs = append(aggs, fmt.Sprintf("%s(%s) AS %s", fn, quoteIdent(f), quoteIdent(fn+"_"+f)))
		}
	}
	fmt.Fprintf(&b, "SELECT %s FROM %s WHERE time > %d", strings.Join(aggs, ", "), quoteIdent(string(q.Kind)), q.Since.UnixNano())
	if !q.Until.IsZero() {
		fmt.Fprintf(&b, " AND time <= %d", q.Until.UnixNano())
	} else {
		b.WriteString(" AND time <= now() + 1h") // GROUP BY time stops at now() unless told
	}
	if q.Stations != nil {
		b.WriteString(" AND station =~ " + stationRegexp(q.Stations))
	}
	offset := (q.Phase + time.Nanosecond) % q.Width
	fmt.Fprintf(&b, ` GROUP BY time(%dns, %dns), "station" fill(none)`, int64(q.Width), int64(offset))
	return b.String()
}

// Aggregates calls fn for each aggregate of q, each station's in time order.
func (h *History) Aggregates(ctx context.Context, q rules.AggregateQuery, fn func(rules.Aggregate) error) error {
	if q.Fields != nil && len(q.Fields) == 0 {
		return nil
	}
	if q.Raw {
		return h.rawAggregates(ctx, q, fn)
	}
	return h.q.QueryEach(ctx, AggregateQuery(q), func(s Series) error {
		fields := aggregateColumns(s.Columns, h.isParam)
		station := s.Tags["station"]
		for _, row := range s.Values {
			start, ok := number(row, 0)
			if !ok {
				continue
			}
			end := time.Unix(0, bucketEnd(int64(start), int64(q.Width), int64(q.Phase%q.Width)))
			for _, f := range fields {
				n, ok := number(row, f.count)
				if !ok || n <= 0 {
					continue
				}
				sum, _ := number(row, f.sum)
				lo, hi := math.Inf(1), math.Inf(-1) // none asked for
				if q.Extremes {
					lo, _ = number(row, f.min)
					hi, _ = number(row, f.max)
				}
				a := rules.Aggregate{Station: station, Param: f.name, End: end, Count: int(n), Sum: sum, Min: lo, Max: hi}
				if err := fn(a); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// bucketEnd returns the end of the bucket a result row's time labels: InfluxDB labels a
// GROUP BY time bucket with its start, offset included or not; the end is the next instant
// ≡ phase (mod width) after the start.
func bucketEnd(start, width, phase int64) int64 {
	e := start + width - phase
	q := e / width
	if e%width != 0 && e < 0 {
		q--
	}
	return q*width + phase
}

// aggregateField is where a field's four aggregates are in a result row.
type aggregateField struct {
	name                 string
	count, sum, min, max int
}

// aggregateColumns finds the count_f, sum_f, min_f and max_f columns of each parameter f.
func aggregateColumns(cols []string, isParam func(string) bool) []aggregateField {
	idx := map[string]int{}
	for i, c := range cols {
		idx[c] = i
	}
	var out []aggregateField
	for i, c := range cols {
		name, ok := strings.CutPrefix(c, "count_")
		if !ok || !isParam(name) {
			continue
		}
		f := aggregateField{name: name, count: i, sum: -1, min: -1, max: -1}
		for _, p := range []struct {
			prefix string
			dst    *int
		}{{"sum_", &f.sum}, {"min_", &f.min}, {"max_", &f.max}} {
			if j, ok := idx[p.prefix+name]; ok {
				*p.dst = j
			}
		}
		out = append(out, f)
	}
	return out
}

// number returns row[i] as a float64 when it is a number.
func number(row []any, i int) (float64, bool) {
	if i < 0 || i >= len(row) {
		return 0, false
	}
	n, ok := row[i].(json.Number)
	if !ok {
		return 0, false
	}
	v, err := n.Float64()
	return v, err == nil
}

// Oldest returns the time of the oldest stored point of kind after since (one query: InfluxDB
// reads the first block of each series from since on).
func (h *History) Oldest(ctx context.Context, kind quantrac.Kind, since time.Time) (time.Time, bool, error) {
	q := fmt.Sprintf("SELECT * FROM %s WHERE time > %d ORDER BY time ASC LIMIT 1", quoteIdent(string(kind)), since.UnixNano())
	var oldest int64
	found := false
	err := h.q.QueryEach(ctx, q, func(s Series) error {
		for _, row := range s.Values {
			ns, ok := row[0].(json.Number)
			if !ok {
				continue
			}
			if t, err := ns.Int64(); err == nil && (!found || t < oldest) {
				oldest, found = t, true
			}
		}
		return nil
	})
	return time.Unix(0, oldest), found, err
}

// Latest calls fn with the readings of the newest stored point of each station of kind
// (among stations; nil: all) measured after since: the station's newest reading time and its
// values then (one query; InfluxDB reads one point per station).
func (h *History) Latest(ctx context.Context, kind quantrac.Kind, stations []string, since time.Time, fn func(quantrac.Reading) error) error {
	q := fmt.Sprintf("SELECT * FROM %s WHERE time > %d", quoteIdent(string(kind)), since.UnixNano())
	if stations != nil {
		q += " AND station =~ " + stationRegexp(stations)
	}
	q += ` GROUP BY "station" ORDER BY time DESC LIMIT 1`
	return h.q.QueryEach(ctx, q, func(s Series) error {
		for _, row := range s.Values {
			ns, ok := row[0].(json.Number)
			if !ok {
				continue
			}
			t, err := ns.Int64()
			if err != nil {
				continue
			}
			for i := 1; i < len(row) && i < len(s.Columns); i++ {
				v, ok := number(row, i)
				if !ok || !h.isParam(s.Columns[i]) {
					continue
				}
				r := quantrac.Reading{Station: s.Tags["station"], Kind: kind, Param: s.Columns[i], Value: v,
					Time: time.Unix(0, t), Status: quantrac.StatusMeasuring}
				if err := fn(r); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// LastTransitions calls fn with the newest stored transition of each station × parameter ×
// regulation × period (one query).
func (h *History) LastTransitions(ctx context.Context, stations []string, fn func(rules.Transition) error) error {
	q := "SELECT * FROM " + quoteIdent(MeasurementViolations) + " WHERE state != 'withdrawn'"
	if stations != nil {
		q += " AND station =~ " + stationRegexp(stations)
	}
	q += ` GROUP BY "station", "parameter", "regulation", "period" ORDER BY time DESC LIMIT 1`
	return h.q.QueryEach(ctx, q, func(s Series) error {
		for _, row := range s.Values {
			tr := rules.Transition{Station: s.Tags["station"], Parameter: s.Tags["parameter"],
				Regulation: s.Tags["regulation"], Period: s.Tags["period"]}
			for i, c := range s.Columns {
				setTransitionField(&tr, c, row[i])
			}
			if err := fn(tr); err != nil {
				return err
			}
		}
		return nil
	})
}

// setTransitionField sets the field of tr that column c of measurement violations holds.
func setTransitionField(tr *rules.Transition, c string, v any) {
	str, _ := v.(string)
	f, _ := number([]any{v}, 0)
	switch c {
	case "state":
		tr.State = str
	case "episode":
		tr.Episode = str
	case "reason":
		tr.Reason = str
	case "force":
		tr.Force = str
	case "value":
		tr.Value = f
	case "limit":
		tr.Limit = f
	case "ratio":
		tr.Ratio = f
	case "coverage":
		tr.Coverage = f
	case "count":
		tr.Count = int(f)
	case "window_start":
		tr.WindowStart, _ = time.Parse(time.RFC3339Nano, str)
	case "window_end":
		tr.WindowEnd, _ = time.Parse(time.RFC3339Nano, str)
	case "version":
		tr.Version = str
	case "unit":
		tr.Unit = str
	case "statistic":
		tr.Statistic = str
	case "reference":
		tr.Reference = str
	case "form":
		tr.Form = str
	case "exceedances":
		tr.Exceedances = int(f)
	case "exceedances_allowed":
		tr.ExceedancesAllowed = int(f)
	case "exceedances_3y":
		tr.Exceedances3y = f
	case "exceedances_allowed_3y":
		tr.ExceedancesAllowed3y = f
	case "years":
		tr.Years = int(f)
	}
}

// stationRegexp is an InfluxQL regular expression matching exactly the given station ids.
func stationRegexp(ids []string) string {
	q := make([]string, len(ids))
	for i, id := range ids {
		q[i] = strings.ReplaceAll(regexp.QuoteMeta(id), "/", `\/`)
	}
	return "/^(?:" + strings.Join(q, "|") + ")$/"
}

// quoteIdent quotes an InfluxQL identifier.
func quoteIdent(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

// Readings calls fn with the valid readings of one station stored after since, in time order
// (one query: the station's points of the kind's measurement).
func (h *History) Readings(ctx context.Context, kind quantrac.Kind, station string, since time.Time, fn func(quantrac.Reading) error) error {
	q := fmt.Sprintf(`SELECT * FROM %s WHERE "station" = %s AND time > %d ORDER BY time ASC`,
		quoteIdent(string(kind)), QuoteString(station), since.UnixNano())
	return h.q.QueryEach(ctx, q, func(s Series) error {
		for _, row := range s.Values {
			t, ok := rowTime(row)
			if !ok {
				continue
			}
			for i := 1; i < len(row) && i < len(s.Columns); i++ {
				v, ok := number(row, i)
				if !ok || !h.isParam(s.Columns[i]) {
					continue
				}
				r := quantrac.Reading{Station: station, Kind: kind, Param: s.Columns[i], Value: v, Time: t,
					Status: quantrac.StatusMeasuring}
				if err := fn(r); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// Record calls fn with the station's stored transitions that are not withdrawn: the newest of
// each limit at or before at, then every one after at (two queries).
func (h *History) Record(ctx context.Context, station string, at time.Time, fn func(rules.Transition) error) error {
	where := fmt.Sprintf(`WHERE "station" = %s AND "state" != 'withdrawn'`, QuoteString(station))
	group := ` GROUP BY "parameter", "regulation", "period"`
	for _, q := range []string{
		fmt.Sprintf("SELECT * FROM %s %s AND time <= %d%s ORDER BY time DESC LIMIT 1", quoteIdent(MeasurementViolations), where, at.UnixNano(), group),
		fmt.Sprintf("SELECT * FROM %s %s AND time > %d%s", quoteIdent(MeasurementViolations), where, at.UnixNano(), group),
	} {
		err := h.q.QueryEach(ctx, q, func(s Series) error {
			for _, row := range s.Values {
				tr := rules.Transition{Station: station, Parameter: s.Tags["parameter"],
					Regulation: s.Tags["regulation"], Period: s.Tags["period"]}
				for i, c := range s.Columns {
					setTransitionField(&tr, c, row[i])
				}
				if tr.WindowEnd.IsZero() {
					tr.WindowEnd, _ = rowTime(row)
				}
				if err := fn(tr); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// rowTime returns a result row's time (the first column, epoch ns).
func rowTime(row []any) (time.Time, bool) {
	ns, ok := row[0].(json.Number)
	if !ok {
		return time.Time{}, false
	}
	t, err := ns.Int64()
	return time.Unix(0, t), err == nil
}
