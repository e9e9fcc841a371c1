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
