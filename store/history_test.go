package store

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
)

// TestHistoryAggregates runs the rebuild's InfluxQL against a real InfluxDB: hours are
// (end − 1 h, end], so a reading stamped on the hour belongs to the hour it ends; count, sum,
// min and max come per station, parameter and hour in time order; a station filter and a
// sub-hour zone phase shift the buckets; the newest transition of each limit comes back with
// its evidence.
func TestHistoryAggregates(t *testing.T) {
	in := testenv.InfluxDB(t, testenv.InfluxOptions{DisableFlux: true})
	in.CreateDatabase("quantrac")
	t0 := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	var b strings.Builder
	line := func(station string, at time.Duration, fields string) {
		fmt.Fprintf(&b, "air,station=%s %s %d\n", station, fields, t0.Add(at).UnixNano())
	}
	line("A", 5*time.Minute, "pm25=10,no2=1")
	line("A", 30*time.Minute, "pm25=20")
	line("A", time.Hour, "pm25=30") // on the hour: the hour ending 01:00
	line("A", time.Hour+time.Second, "pm25=40")
	line("B.1", 10*time.Minute, "pm25=5")
	fmt.Fprintf(&b, "wastewater,station=W cod=100 %d\n", t0.Add(20*time.Minute).UnixNano())
	for i, st := range []string{"started", "ended", "started"} {
		fmt.Fprintf(&b, "violations,parameter=pm25,period=24h,regulation=QCVN-05:2023,station=A state=%q,value=%d,limit=45,ratio=1.3,coverage=1,count=24i,window_start=%q,window_end=%q,version=\"v\",unit=\"µg/m³\",statistic=\"mean\",reference=\"25 °C, 1 atm\",exceedances=0i,exceedances_allowed=0i,exceedances_3y=0,exceedances_allowed_3y=0,years=0i %d\n",
			st, 50+i, t0.Add(time.Duration(i)*24*time.Hour).Format(time.RFC3339), t0.Add(time.Duration(i+1)*24*time.Hour).Format(time.RFC3339), t0.Add(time.Duration(i+1)*24*time.Hour).UnixNano())
	}
	in.Write("quantrac/autogen", b.String())
	h := NewHistory(NewQuerier(WriterOptions{URL: in.URL(), Bucket: "quantrac/autogen", Timeout: 5 * time.Second}, nil), nil,
		func(name string) bool { p, ok := param.Lookup(name); return ok && p.ID == name })

	var got []string
	collect := func(a rules.Aggregate) error {
		got = append(got, fmt.Sprintf("%s %s %s n=%d sum=%g min=%g max=%g", a.Station, a.Param, a.End.UTC().Format("15:04"), a.Count, a.Sum, a.Min, a.Max))
		return nil
	}
	q := rules.AggregateQuery{Kind: quantrac.Air, Since: t0.Add(-time.Hour), Width: time.Hour, Extremes: true}
	if err := h.Aggregates(context.Background(), q, collect); err != nil {
		t.Fatalf("%v\n%s", err, AggregateQuery(q))
	}
	want := []string{
		"A no2 01:00 n=1 sum=1 min=1 max=1",
		"A pm25 01:00 n=3 sum=60 min=10 max=30",
		"A pm25 02:00 n=1 sum=40 min=40 max=40",
		"B.1 pm25 01:00 n=1 sum=5 min=5 max=5",
	}
	slices.Sort(got) // station, then parameter and hour: the order within a station is by time
	if !slices.Equal(got, want) {
		t.Errorf("hours:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	got = nil
	q = rules.AggregateQuery{Kind: quantrac.Air, Stations: []string{"A"}, Since: t0, Width: 5 * time.Minute, Extremes: true}
	if err := h.Aggregates(context.Background(), q, collect); err != nil {
		t.Fatal(err)
	}
	want = []string{"A no2 00:05 n=1 sum=1 min=1 max=1", "A pm25 00:05 n=1 sum=10 min=10 max=10",
		"A pm25 00:30 n=1 sum=20 min=20 max=20", "A pm25 01:00 n=1 sum=30 min=30 max=30", "A pm25 01:05 n=1 sum=40 min=40 max=40"}
	if slices.Sort(got); !slices.Equal(got, want) {
		t.Errorf("5-minute buckets of A:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	// +05:30: hours end at :30 UTC.
	got = nil
	q = rules.AggregateQuery{Kind: quantrac.Air, Stations: []string{"A"}, Since: t0.Add(-time.Hour), Width: time.Hour, Phase: 30 * time.Minute, Extremes: true}
	if err := h.Aggregates(context.Background(), q, collect); err != nil {
		t.Fatal(err)
	}
	want = []string{"A no2 00:30 n=1 sum=1 min=1 max=1", "A pm25 00:30 n=2 sum=30 min=10 max=20", "A pm25 01:30 n=2 sum=70 min=30 max=40"}
	if slices.Sort(got); !slices.Equal(got, want) {
		t.Errorf("hours at +05:30:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	// Named fields only: no2 is left out.
	got = nil
	q.Fields = []string{"pm25"}
	if err := h.Aggregates(context.Background(), q, collect); err != nil || len(got) != 2 || !strings.HasPrefix(got[0], "A pm25 00:30 n=2 sum=30 min=10 max=20") {
		t.Errorf("pm25 only: %v (%v)\n%s", got, err, AggregateQuery(q))
	}
	q.Fields = nil

	// Without extremes the query asks for count and sum only.
	got = nil
	q.Extremes = false
	if err := h.Aggregates(context.Background(), q, collect); err != nil || !strings.Contains(AggregateQuery(q), "SELECT count(*), sum(*) FROM") {
		t.Fatalf("%v: %s", err, AggregateQuery(q))
	}
	if slices.Sort(got); len(got) != 3 || got[1] != "A pm25 00:30 n=2 sum=30 min=+Inf max=-Inf" {
		t.Errorf("without extremes: %v", got)
	}

	var trs []rules.Transition
	if err := h.LastTransitions(context.Background(), nil, func(tr rules.Transition) error { trs = append(trs, tr); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(trs) != 1 || trs[0].State != "started" || trs[0].Value != 52 || trs[0].Count != 24 || trs[0].Reference != "25 °C, 1 atm" ||
		!trs[0].WindowEnd.Equal(t0.Add(72*time.Hour)) || trs[0].Station != "A" || trs[0].Period != "24h" || trs[0].Unit != "µg/m³" {
		t.Errorf("last transitions: %+v", trs)
	}
	if err := h.LastTransitions(context.Background(), []string{"B.1"}, func(rules.Transition) error { t.Error("B.1 has none"); return nil }); err != nil {
		t.Fatal(err)
	}
}
