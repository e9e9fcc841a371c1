package store

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/quantrac/quantrac"
	"github.com/quantrac/quantrac/internal/testenv"
	"github.com/quantrac/quantrac/param"
	"github.com/quantrac/quantrac/rules"
)

// TestRawAggregatesAsInfluxQL reads the same stored points through InfluxDB's GROUP BY time
// and as points grouped here (AggregateQuery.Raw): the aggregates are the same, in the same
// order per station — across result chunks, zone phases, station filters, named fields, with
// and without extremes, with readings on the hour, off the grid and written twice (sums to
// 10 digits: InfluxDB may add a bucket's values in another order).
func TestRawAggregatesAsInfluxQL(t *testing.T) {
	in := testenv.InfluxDB(t, testenv.InfluxOptions{DisableFlux: true})
	in.CreateDatabase("quantrac")
	t0 := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	rng := rand.New(rand.NewPCG(1, 2))
	var b strings.Builder
	for st := range 4 {
		for i := range 4000 { // 10-minute readings over 27 days, some jittered, some on the hour
			at := t0.Add(time.Duration(i) * 10 * time.Minute)
			if i%7 == 3 {
				at = at.Add(time.Duration(rng.IntN(5000)) * time.Millisecond)
			}
			fields := fmt.Sprintf("pm25=%.3f,no2=%.1f", rng.Float64()*100, rng.Float64()*300)
			if i%5 == 0 {
				fields = fmt.Sprintf("pm25=%.3f", rng.Float64()*100) // no no2 in this point
			}
			fmt.Fprintf(&b, "air,station=S%d %s %d\n", st, fields, at.UnixNano())
			if i%11 == 0 { // the same time again with another value: InfluxDB keeps the last
				fmt.Fprintf(&b, "air,station=S%d pm25=%.3f %d\n", st, rng.Float64()*100, at.UnixNano())
			}
		}
	}
	in.Write("quantrac/autogen", b.String())
	h := NewHistory(NewQuerier(WriterOptions{URL: in.URL(), Bucket: "quantrac/autogen", Timeout: 10 * time.Second}, nil), nil,
		func(name string) bool { p, ok := param.Lookup(name); return ok && p.ID == name })
	read := func(q rules.AggregateQuery) []string {
		var out []string
		err := h.Aggregates(context.Background(), q, func(a rules.Aggregate) error {
			out = append(out, fmt.Sprintf("%s %s %s n=%d sum=%.10g min=%v max=%v", a.Station, a.Param, a.End.UTC().Format(time.DateTime), a.Count, a.Sum, a.Min, a.Max))
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	if got, ok, err := h.Oldest(context.Background(), quantrac.Air, t0.Add(-time.Hour)); err != nil || !ok || !got.Equal(t0) {
		t.Errorf("oldest point: %v %v %v, want %v", got, ok, err, t0)
	}
	if got, ok, err := h.Oldest(context.Background(), quantrac.Air, t0.AddDate(0, 2, 0)); err != nil || ok {
		t.Errorf("oldest point after the data: %v %v %v, want none", got, ok, err)
	}
	for _, q := range []rules.AggregateQuery{
		{Since: t0.Add(-time.Hour), Width: time.Hour, Extremes: true},
		{Since: t0.Add(-time.Hour), Width: time.Hour, Phase: 30 * time.Minute, Fields: []string{"no2", "pm25"}},
		{Since: t0.Add(24 * time.Hour), Until: t0.Add(240 * time.Hour), Width: time.Hour, Stations: []string{"S1", "S3"}, Extremes: true},
		{Since: t0, Width: 24 * time.Hour, Fields: []string{"pm25"}, Extremes: true},
	} {
		q.Kind = quantrac.Air
		grouped := read(q)
		q.Raw = true
		raw := read(q)
		if len(grouped) < 100 {
			t.Fatalf("%d aggregates from InfluxQL: %s", len(grouped), AggregateQuery(q))
		}
		if strings.Join(raw, "\n") != strings.Join(grouped, "\n") {
			for i := range min(len(raw), len(grouped)) {
				if raw[i] != grouped[i] {
					t.Errorf("%s\nfirst difference at %d: points %q, InfluxQL %q", RawQuery(q), i, raw[i], grouped[i])
					break
				}
			}
			t.Errorf("%d aggregates from points, %d from InfluxQL", len(raw), len(grouped))
		}
	}
}
