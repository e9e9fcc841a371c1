package qcview

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/quantrac/quantrac"
	"github.com/quantrac/quantrac/internal/testenv"
	"github.com/quantrac/quantrac/param"
	"github.com/quantrac/quantrac/rules"
	"github.com/quantrac/quantrac/store"
)

var t0 = time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)

// spanLine is the line protocol of a span as the store of spans writes it (the point's time
// is created_at; times are RFC 3339 strings).
func spanLine(s quantrac.QCSpan) string {
	rfc := func(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }
	line := fmt.Sprintf(`qc_spans,parameter=%s,source=%s,station=%s id=%q,from=%q,to=%q,action=%q,reason=%q,user=%q,created_at=%q`,
		s.Parameter, s.Source, s.Station, s.ID, rfc(s.From), rfc(s.To), s.Action, s.Reason, s.User, rfc(s.CreatedAt))
	if !s.RevokedAt.IsZero() {
		line += fmt.Sprintf(`,revoked_by=%q,revoked_at=%q`, s.RevokedBy, rfc(s.RevokedAt))
	}
	return fmt.Sprintf("%s %d\n", line, s.CreatedAt.UnixNano())
}

func span(id, station, param string, from, to time.Duration, action string, created time.Duration) quantrac.QCSpan {
	return quantrac.QCSpan{ID: id, Station: station, Parameter: param, Source: quantrac.QCSourceUser, From: t0.Add(from),
		To: t0.Add(to), Action: action, Reason: "analyser fault", User: "inspector", CreatedAt: t0.Add(created)}
}

type changeLog struct{ got []string }

func (c *changeLog) changed(station string, from time.Time) {
	c.got = append(c.got, station+" "+from.UTC().Format("Jan 2 15:04"))
}

func (c *changeLog) take() []string {
	g := c.got
	c.got = nil
	slices.Sort(g)
	return g
}

func newInflux(t *testing.T) (*testenv.Influx, *store.Querier) {
	in := testenv.InfluxDB(t, testenv.InfluxOptions{DisableFlux: true})
	in.CreateDatabase("quantrac")
	return in, store.NewQuerier(store.WriterOptions{URL: in.URL(), Bucket: "quantrac/autogen", Timeout: 5 * time.Second}, nil)
}

// TestViewFollowsStoredSpans: the first Refresh loads every station's active spans without
// calling Changed; a span another instance adds, and a revocation, reach the view at the next
// Refresh, each with the earliest instant it changes; a span this process writes counts at
// once (Apply) and is not reported again when Refresh reads it back; a validate span created
// after an invalidate span makes its readings valid again.
func TestViewFollowsStoredSpans(t *testing.T) {
	in, q := newInflux(t)
	ctx := context.Background()
	a1 := span("a1", "A", "no2", 1*time.Hour, 3*time.Hour, quantrac.QCInvalidate, 48*time.Hour)
	b1 := span("b1", "B", quantrac.QCAllParameters, 0, 24*time.Hour, quantrac.QCInvalidate, 48*time.Hour)
	gone := span("gone", "B", "pm25", 0, time.Hour, quantrac.QCInvalidate, 47*time.Hour)
	gone.RevokedBy, gone.RevokedAt = "inspector", t0.Add(49*time.Hour)
	in.Write("quantrac/autogen", spanLine(a1)+spanLine(b1)+spanLine(gone))

	var log changeLog
	v := New(Options{Querier: q, Changed: log.changed})
	if v.Invalid("A", "no2", t0.Add(2*time.Hour)) {
		t.Fatal("a view not yet loaded invalidates a reading")
	}
	if err := v.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if got := log.take(); len(got) != 0 {
		t.Errorf("the first load reported changes %v", got)
	}
	for _, c := range []struct {
		station, param string
		at             time.Duration
		want           bool
	}{
		{"A", "no2", 2 * time.Hour, true},
		{"A", "no2", time.Hour, true}, // From and To are inside
		{"A", "no2", 3 * time.Hour, true},
		{"A", "no2", 3*time.Hour + time.Second, false},
		{"A", "pm25", 2 * time.Hour, false},
		{"B", "pm25", 12 * time.Hour, true}, // "*": every parameter
		{"C", "no2", 2 * time.Hour, false},
	} {
		if got := v.Invalid(c.station, c.param, t0.Add(c.at)); got != c.want {
			t.Errorf("Invalid(%s, %s, +%v) = %v, want %v", c.station, c.param, c.at, got, c.want)
		}
	}
	if n := len(v.Spans("B")); n != 1 {
		t.Errorf("B has %d active spans, want 1 (the revoked one says nothing)", n)
	}

	// Another instance adds a span at A and a validate span at B, and revokes A's first span.
	a2 := span("a2", "A", "no2", 10*time.Hour, 11*time.Hour, quantrac.QCInvalidate, 50*time.Hour)
	bv := span("bv", "B", "pm25", 5*time.Hour, 6*time.Hour, quantrac.QCValidate, 50*time.Hour)
	in.Write("quantrac/autogen", spanLine(a2)+spanLine(bv))
	if err := v.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if got, want := log.take(), []string{"A Mar 1 10:00", "B Mar 1 05:00"}; !slices.Equal(got, want) {
		t.Errorf("changes %v, want %v", got, want)
	}
	if v.Invalid("B", "pm25", t0.Add(5*time.Hour+30*time.Minute)) || !v.Invalid("B", "no2", t0.Add(5*time.Hour+30*time.Minute)) {
		t.Error("a later validate span of pm25 does not make B's pm25 valid again, or makes no2 valid")
	}
	a1.RevokedBy, a1.RevokedAt = "inspector", t0.Add(51*time.Hour)
	in.Write("quantrac/autogen", spanLine(a1))
	if err := v.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if got, want := log.take(), []string{"A Mar 1 01:00"}; !slices.Equal(got, want) {
		t.Errorf("after a revocation: changes %v, want %v", got, want)
	}
	if v.Invalid("A", "no2", t0.Add(2*time.Hour)) || !v.Invalid("A", "no2", t0.Add(10*time.Hour)) {
		t.Error("the revoked span still invalidates, or the other one no longer does")
	}
	if err := v.Refresh(ctx); err != nil || len(log.take()) != 0 {
		t.Errorf("a Refresh with nothing new reported changes (err %v)", err)
	}

	// This process writes a span: Apply counts it at once; reading it back changes nothing.
	c1 := span("c1", "C", "so2", 20*time.Hour, 21*time.Hour, quantrac.QCInvalidate, 52*time.Hour)
	v.Apply(c1)
	if got := log.take(); !slices.Equal(got, []string{"C Mar 1 20:00"}) || !v.Invalid("C", "so2", t0.Add(20*time.Hour)) {
		t.Errorf("Apply: changes %v, invalid %v", got, v.Invalid("C", "so2", t0.Add(20*time.Hour)))
	}
	in.Write("quantrac/autogen", spanLine(c1))
	if err := v.Refresh(ctx); err != nil || len(log.take()) != 0 {
		t.Errorf("reading back an applied span reported a change (err %v)", err)
	}
	c1.RevokedBy, c1.RevokedAt = "inspector", t0.Add(53*time.Hour)
	v.Apply(c1)
	if got := log.take(); !slices.Equal(got, []string{"C Mar 1 20:00"}) || v.Invalid("C", "so2", t0.Add(20*time.Hour)) {
		t.Errorf("Apply of a revocation: changes %v", got)
	}
}

// TestHistoryLeavesOutInvalidReadings: readings, newest points and hourly aggregates come
// without the readings a span makes invalid, the aggregates a span touches recomputed from
// the stored readings (an hour wholly invalid left out), the others as InfluxDB groups them.
func TestHistoryLeavesOutInvalidReadings(t *testing.T) {
	in, q := newInflux(t)
	ctx := context.Background()
	var b strings.Builder
	for i := 1; i <= 36; i++ { // NO2 every 5 minutes for 3 hours: i, and PM2.5 at 10
		fmt.Fprintf(&b, "air,station=A no2=%d,pm25=10 %d\n", i, t0.Add(time.Duration(i)*5*time.Minute).UnixNano())
	}
	fmt.Fprintf(&b, "air,station=B no2=7 %d\n", t0.Add(30*time.Minute).UnixNano())
	// NO2 invalid from 00:30 to 01:00 (readings 6 … 12) and for the whole hour ending 03:00.
	b.WriteString(spanLine(span("x", "A", "no2", 30*time.Minute, time.Hour, quantrac.QCInvalidate, 72*time.Hour)))
	b.WriteString(spanLine(span("y", "A", "no2", 2*time.Hour+time.Second, 3*time.Hour, quantrac.QCInvalidate, 73*time.Hour)))
	in.Write("quantrac/autogen", b.String())
	v := New(Options{Querier: q})
	if err := v.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	h := v.History(store.NewHistory(q, nil, func(name string) bool { p, ok := param.Lookup(name); return ok && p.ID == name }))

	var got []string
	agg := func(a rules.Aggregate) error {
		got = append(got, fmt.Sprintf("%s %s %s n=%d sum=%g min=%g max=%g", a.Station, a.Param, a.End.UTC().Format("15:04"), a.Count, a.Sum, a.Min, a.Max))
		return nil
	}
	err := h.Aggregates(ctx, rules.AggregateQuery{Kind: quantrac.Air, Since: t0, Width: time.Hour, Extremes: true}, agg)
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(got)
	want := []string{
		"A no2 01:00 n=5 sum=15 min=1 max=5", // 1 … 5; 6 … 12 invalid
		"A no2 02:00 n=12 sum=222 min=13 max=24",
		"A pm25 01:00 n=12 sum=120 min=10 max=10", // another parameter: untouched
		"A pm25 02:00 n=12 sum=120 min=10 max=10",
		"A pm25 03:00 n=12 sum=120 min=10 max=10",
		"B no2 01:00 n=1 sum=7 min=7 max=7",
	}
	if !slices.Equal(got, want) {
		t.Errorf("aggregates\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	var vals []float64
	err = h.Readings(ctx, quantrac.Air, "A", t0, func(r quantrac.Reading) error {
		if r.Param == "no2" {
			vals = append(vals, r.Value)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(vals) != 5+12 || vals[4] != 5 || vals[5] != 13 || vals[len(vals)-1] != 24 {
		t.Errorf("valid NO2 readings %v, want 1 … 5 and 13 … 24", vals)
	}

	var latest []string
	err = h.Latest(ctx, quantrac.Air, nil, t0, func(r quantrac.Reading) error {
		latest = append(latest, fmt.Sprintf("%s %s %g", r.Station, r.Param, r.Value))
		return nil
	})
	slices.Sort(latest)
	if want := []string{"A pm25 10", "B no2 7"}; err != nil || !slices.Equal(latest, want) {
		t.Errorf("newest points %v (%v), want %v: A's NO2 at 03:00 is invalid", latest, err, want)
	}
}
