package archive

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/quantrac/quantrac"
	"github.com/quantrac/quantrac/store"
)

// ViolationFilter selects transitions of the violations measurement. Zero fields select all.
type ViolationFilter struct {
	Station  string
	From, To time.Time // the transitions written in (From, To]: a transition's time is its period's end
}

// violationFields are the evidence fields (README.md, "InfluxDB schema"), in the order of the
// query's columns.
const violationFields = `"state", "episode", "value", "limit", "ratio", "coverage", "count", "window_start", "window_end", "version", ` +
	`"statistic", "unit", "reference", "force", "reason", "form", "exceedances", "exceedances_allowed", "exceedances_3y", "exceedances_allowed_3y", "years"`

// ViolationsQuery returns the InfluxQL statement Violations runs.
func ViolationsQuery(f ViolationFilter) string {
	where := []string{`"state" != 'withdrawn'`} // superseded by re-judged data
	if f.Station != "" {
		where = append(where, `"station" = `+store.QuoteString(f.Station))
	}
	if !f.From.IsZero() {
		where = append(where, fmt.Sprintf("time > %d", f.From.UnixNano()))
	}
	if !f.To.IsZero() {
		where = append(where, fmt.Sprintf("time <= %d", f.To.UnixNano()))
	}
	q := "SELECT " + violationFields + ` FROM "violations" WHERE ` + strings.Join(where, " AND ")
	return q + ` GROUP BY "station", "parameter", "regulation", "period"`
}

// Violations returns the transitions (starts and ends with their evidence) that f selects,
// oldest first.
func (a *Archive) Violations(ctx context.Context, f ViolationFilter) ([]quantrac.Transition, error) {
	series, err := a.q.Query(ctx, ViolationsQuery(f))
	if err != nil {
		return nil, err
	}
	var out []quantrac.Transition
	for _, s := range series {
		for _, row := range s.Values {
			t, err := transition(s, row)
			if err != nil {
				return nil, fmt.Errorf("violations: %w", err)
			}
			out = append(out, t)
		}
	}
	slices.SortStableFunc(out, func(a, b quantrac.Transition) int {
		return cmp.Or(a.WindowEnd.Compare(b.WindowEnd), cmp.Compare(a.Station, b.Station),
			cmp.Compare(a.Parameter, b.Parameter), cmp.Compare(a.Regulation, b.Regulation), cmp.Compare(a.Period, b.Period))
	})
	return out, nil
}

// LastBeforeQuery returns the InfluxQL statement that finds, per limit of the station, the
// last transition written at or before t: a violation started and not ended is still in force.
func LastBeforeQuery(station string, t time.Time) string {
	return fmt.Sprintf(`SELECT last("state") AS "state" FROM "violations" WHERE "station" = %s AND "state" != 'withdrawn' AND time <= %d GROUP BY "parameter", "regulation", "period"`,
		store.QuoteString(station), t.UnixNano())
}

// InForceAt returns the limits of the station whose last transition at or before t is a
// start: the violations in force at t, as "parameter regulation period" keys.
func (a *Archive) InForceAt(ctx context.Context, station string, t time.Time) ([]string, error) {
	series, err := a.q.Query(ctx, LastBeforeQuery(station, t))
	if err != nil {
		return nil, err
	}
	var keys []string
	for _, s := range series {
		for _, row := range s.Values {
			if len(row) > 1 && row[1] == quantrac.ViolationStarted {
				keys = append(keys, LimitKey(s.Tags["parameter"], s.Tags["regulation"], s.Tags["period"]))
			}
		}
	}
	slices.Sort(keys)
	return keys, nil
}

// LimitKey names one limit of a station: "parameter regulation period".
func LimitKey(parameter, regulation, period string) string {
	return parameter + " " + regulation + " " + period
}

func transition(s store.Series, row []any) (quantrac.Transition, error) {
	t := quantrac.Transition{Station: s.Tags["station"], Parameter: s.Tags["parameter"],
		Regulation: s.Tags["regulation"], Period: s.Tags["period"]}
	col := func(name string) any {
		if i := slices.Index(s.Columns, name); i >= 0 && i < len(row) {
			return row[i]
		}
		return nil
	}
	num := func(name string) float64 {
		if n, ok := col(name).(json.Number); ok {
			f, _ := n.Float64()
			return f
		}
		return 0
	}
	str := func(name string) string { s, _ := col(name).(string); return s }
	ns, err := cellInt(row, 0)
	if err != nil {
		return t, err
	}
	t.State, t.Episode, t.Version = str("state"), str("episode"), str("version")
	t.Value, t.Limit, t.Ratio, t.Coverage = num("value"), num("limit"), num("ratio"), num("coverage")
	t.Count = int(num("count"))
	t.Statistic, t.Unit, t.Reference, t.Form = str("statistic"), str("unit"), str("reference"), str("form")
	t.Reason, t.Force = str("reason"), str("force")
	t.Exceedances, t.ExceedancesAllowed = int(num("exceedances")), int(num("exceedances_allowed"))
	t.Exceedances3y, t.ExceedancesAllowed3y, t.Years = num("exceedances_3y"), num("exceedances_allowed_3y"), int(num("years"))
	t.WindowStart, _ = time.Parse(time.RFC3339, str("window_start"))
	t.WindowEnd, _ = time.Parse(time.RFC3339, str("window_end"))
	if t.WindowEnd.IsZero() {
		t.WindowEnd = time.Unix(0, ns).UTC()
	}
	return t, nil
}
