package rules

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/quantrac/quantrac"
)

// TestDesignValueAfterRestart feeds three years of PM2.5 (eight days a year at 35.6 µg/m³) to
// an engine, then restarts from the stored readings (the fake InfluxDB of memhistory_test.go):
// the restarted engine reads the three complete years back and gives the same design value,
// the violation in progress, and the same verdict once 1 January 2024 closes.
func TestDesignValueAfterRestart(t *testing.T) {
	c, cat, reg := loadCase(t, "testdata/cases/us-pm25-dv-35.6.yaml")
	var now time.Time
	clock := func() time.Time { return now }
	h := newMemHistory(reg)
	live := NewEngine(cat, reg, clock)
	if err := live.Rebuild(context.Background(), h, now); err != nil {
		t.Fatal(err)
	}
	feed := func(e *Engine, step int) {
		var rs []quantrac.Reading
		for _, s := range c.Steps[step].Feed {
			r, err := s.readings(c.Station.ID, c.Station.Kind)
			if err != nil {
				t.Fatal(err)
			}
			rs = append(rs, r...)
		}
		slices.SortStableFunc(rs, func(a, b quantrac.Reading) int { return a.Time.Compare(b.Time) })
		now = rs[len(rs)-1].Time.Add(time.Minute)
		for len(rs) > 0 {
			n := min(24, len(rs))
			h.write(rs[:n], e.Observe(rs[:n]))
			rs = rs[n:]
		}
	}
	feed(live, 0)
	restarted := NewEngine(cat, reg, clock)
	if err := restarted.Rebuild(context.Background(), h, now); err != nil {
		t.Fatal(err)
	}
	for step := range 2 {
		if step == 1 {
			feed(live, 1)
			feed(restarted, 1)
		}
		want := pm25Day(t, live)
		if want.State != StateExceeded || !want.Violating || want.Ratio != 36.0/35 {
			t.Fatalf("step %d: live: %+v, want exceeded, violating, ratio 36/35", step, want)
		}
		if got := pm25Day(t, restarted); !sameVerdict(got, want) || got.Violating != want.Violating {
			t.Errorf("step %d: after restart %+v, want %+v", step, got, want)
		}
	}
}

func pm25Day(t *testing.T, e *Engine) LimitStatus {
	t.Helper()
	for _, l := range e.Stations()[0].Limits {
		if l.Regulation == "US-NAAQS" && l.Parameter == "pm25" && l.Period == "24h" {
			return l
		}
	}
	t.Fatal("no US-NAAQS pm25 24h limit")
	return LimitStatus{}
}

// TestPercentileRank checks the rank of the annual percentile against Appendix N Table 1 (98th:
// the 1st highest at 1-50 valid days … the 8th at 351-366) and Appendix T (99th: the 4th at
// 301-366), and that a year in progress ranks with its days left counted as valid.
func TestPercentileRank(t *testing.T) {
	for _, c := range []struct{ p, days, left, rank int }{
		{98, 50, 0, 1}, {98, 51, 0, 2}, {98, 100, 0, 2}, {98, 101, 0, 3}, {98, 300, 0, 6},
		{98, 301, 0, 7}, {98, 350, 0, 7}, {98, 351, 0, 8}, {98, 366, 0, 8},
		{99, 100, 0, 1}, {99, 101, 0, 2}, {99, 300, 0, 3}, {99, 301, 0, 4}, {99, 366, 0, 4},
		{98, 7, 358, 8}, // seven days into a year of 365: the rank the year can still reach
	} {
		rs := &ruleState{rule: &rule{design: &DesignValue{Round: 1}, versions: []*Limit{{Percentile: c.p}}}}
		var yr dvYear
		yr.days[0] = int16(c.days)
		for v := range dvTop {
			yr.add(float64(100-v), int64(v)) // the k-th highest is 101 − k
		}
		got, ok := (&stationState{}).dvAnnual(rs, nil, &yr, c.left)
		if !ok || got != float64(101-c.rank) {
			t.Errorf("p%d with %d valid days (+%d left): value %v (ok %v), want the %s highest, %d",
				c.p, c.days, c.left, got, ok, ordinal(c.rank), 101-c.rank)
		}
	}
}
