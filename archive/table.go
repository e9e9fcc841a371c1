package archive

import (
	"encoding/json"
	"math"
	"strings"
	"time"
)

// hourTable accumulates query results into the hours of each parameter.
type hourTable struct {
	from    time.Time
	n       int // hours
	perHour int
	byParam map[string][]Hour
	order   []string
	flagged map[string]bool
}

func newHourTable(from, to time.Time, perHour int) *hourTable {
	return &hourTable{from: from, n: int(to.Sub(from) / time.Hour), perHour: perHour,
		byParam: map[string][]Hour{}, flagged: map[string]bool{}}
}

// param returns the hours of p, created empty on first use.
func (t *hourTable) param(p string) []Hour {
	hs, ok := t.byParam[p]
	if !ok {
		hs = make([]Hour, t.n)
		for i := range hs {
			hs[i] = Hour{End: t.from.Add(time.Duration(i+1) * time.Hour), Mean: math.NaN()}
		}
		t.byParam[p] = hs
		t.order = append(t.order, p)
	}
	return hs
}

// hour returns the hour of p ending at end, or nil outside the range.
func (t *hourTable) hour(p string, end time.Time) *Hour {
	i := int(end.Sub(t.from)/time.Hour) - 1
	if i < 0 || i >= t.n {
		return nil
	}
	return &t.param(p)[i]
}

// addValid takes a cell of the valid readings' query: count_<p> or mean_<p>.
func (t *hourTable) addValid(end time.Time, col string, v json.Number) {
	fn, p, ok := strings.Cut(col, "_")
	if !ok {
		return
	}
	h := t.hour(p, end)
	if h == nil {
		return
	}
	switch fn {
	case "count":
		n, _ := v.Int64()
		h.Valid = int(n)
	case "mean":
		if f, err := v.Float64(); err == nil {
			h.Mean = f
		}
	}
}

// addFlagged takes a cell of the flagged readings' query: count_<p> (count_<p>_status is
// the same readings' status and is ignored).
func (t *hourTable) addFlagged(end time.Time, col string, v json.Number) {
	p, ok := strings.CutPrefix(col, "count_")
	if !ok || strings.HasSuffix(p, "_status") {
		return
	}
	n, _ := v.Int64()
	if h := t.hour(p, end); h != nil && n > 0 {
		h.Flagged = int(n) // all flagged for now; addExcluded moves the excluded ones out
		t.flagged[p] = true
	}
}

func (t *hourTable) addExcluded(end time.Time, p string, v json.Number) {
	n, _ := v.Int64()
	if h := t.hour(p, end); h != nil {
		h.Excluded = int(n)
		h.Flagged -= int(n)
	}
}

// flaggedParams returns the parameters with flagged readings, in the order first seen.
func (t *hourTable) flaggedParams() []string {
	var ps []string
	for _, p := range t.order {
		if t.flagged[p] {
			ps = append(ps, p)
		}
	}
	return ps
}

// series computes the expected readings and returns the parameters in catalog order.
func (t *hourTable) series() []Series {
	ps := append([]string(nil), t.order...)
	sortParams(ps)
	out := make([]Series, 0, len(ps))
	for _, p := range ps {
		hs := t.byParam[p]
		for i := range hs {
			hs[i].Expected = max(0, t.perHour-hs[i].Excluded)
		}
		out = append(out, Series{Param: p, Hours: hs})
	}
	return out
}
