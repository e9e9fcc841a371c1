package rules

import (
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/quantrac/quantrac"
)

func mustCatalog(t testing.TB) *Catalog {
	t.Helper()
	cat, err := LoadCatalog()
	if err != nil {
		t.Fatal(err)
	}
	return cat
}

func mustRegistry(t testing.TB, sts ...*quantrac.Station) *quantrac.Registry {
	t.Helper()
	reg, err := quantrac.NewRegistry(sts...)
	if err != nil {
		t.Fatal(err)
	}
	return reg
}

func airStation(id string, regs ...string) *quantrac.Station {
	return &quantrac.Station{ID: id, Name: "Station " + id, Kind: quantrac.Air, Interval: 5 * time.Minute, Regulations: regs}
}

// day returns n 5-minute readings of param at value v from start.
func day(station, param string, start time.Time, n int, v float64) []quantrac.Reading {
	rs := make([]quantrac.Reading, n)
	for i := range rs {
		rs[i] = quantrac.Reading{Station: station, Kind: quantrac.Air, Param: param, Value: v,
			Time: start.Add(time.Duration(i+1) * 5 * time.Minute), Status: quantrac.StatusMeasuring}
	}
	return rs
}

var mar1 = time.Date(2026, 3, 1, 0, 0, 0, 0, time.FixedZone("ICT", 7*3600))

func TestCheck(t *testing.T) {
	cat := mustCatalog(t)
	maxCOD := 75.0
	bad := []*quantrac.Station{
		airStation("A1", "QCVN-05:2023", "QCVN-05:2099"),
		airStation("A2", "QCVN-40:2011/B"),
		{ID: "W1", Kind: quantrac.Wastewater, Regulations: []string{"QCVN-40:2011/B"}, Limits: []quantrac.PermitLimit{
			{Parameter: "cod", Max: &maxCOD, Unit: "mg/L", Period: "1h"},
			{Parameter: "kod", Max: &maxCOD, Unit: "mg/L", Period: "1h"},
			{Parameter: "cod", Max: &maxCOD, Unit: "NTU", Period: "1h"},
			{Parameter: "tss", Max: &maxCOD, Unit: "mg/L", Period: "90m0s1"},
			{Parameter: "tss", Max: &maxCOD, Period: "2h", Statistic: "median"},
		}},
	}
	reg := mustRegistry(t, bad...)
	var got []string
	for _, e := range Check(cat, reg) {
		got = append(got, e.Error())
	}
	want := []string{
		`stations: station A1: regulations: unknown regulation "QCVN-05:2099" (see quantrac rules)`,
		`stations: station A2: regulations: regulation "QCVN-40:2011/B" is for wastewater stations, not air`,
		`stations: station W1: permit: limits[1]: unknown parameter "kod"`,
		`stations: station W1: permit: limits[2]: unit "NTU"`,
		`stations: station W1: permit: limits[3]: period "90m0s1"`,
		`stations: station W1: permit: limits[4]: statistic "median"`,
	}
	if len(got) != len(want) {
		t.Fatalf("got %d errors, want %d:\n%s", len(got), len(want), strings.Join(got, "\n"))
	}
	for i := range want {
		if !strings.HasPrefix(got[i], want[i]) {
			t.Errorf("error %d: %q, want prefix %q", i, got[i], want[i])
		}
	}
	if errs := Check(cat, mustRegistry(t, airStation("OK", "QCVN-05:2023", "WHO-2021", "EU-2008/50", "US-NAAQS"))); len(errs) > 0 {
		t.Errorf("valid station: %v", errs)
	}
}

// TestSetRegistryKeepsState reloads the registry: a station that stays keeps its violation and
// counters, a removed station disappears, a station whose interval changes keeps its
// windows through the replay of its slots.
func TestSetRegistryKeepsState(t *testing.T) {
	cat := mustCatalog(t)
	now := mar1.Add(24 * time.Hour)
	a, b := airStation("A", "QCVN-05:2023"), airStation("B", "QCVN-05:2023")
	e := NewEngine(cat, mustRegistry(t, a, b), func() time.Time { return now })
	e.Observe(day("A", "pm25", mar1, 288, 60))
	e.Observe(day("B", "pm25", mar1, 288, 60))
	if n := len(e.Active()); n != 2 {
		t.Fatalf("%d active, want 2", n)
	}
	a2 := airStation("A", "QCVN-05:2023", "WHO-2021")
	a2.Tags = map[string]string{"province": "Lai Châu"}
	e.SetRegistry(mustRegistry(t, a2))
	act := e.Active()
	if len(act) != 1 || act[0].Station != "A" || act[0].Regulation != "QCVN-05:2023" {
		t.Fatalf("after reload: %+v", act)
	}
	st := e.Stations()
	if len(st) != 1 || st[0].Station != "A" {
		t.Fatalf("stations after reload: %+v", st)
	}
	// The WHO limits were evaluated from the kept slots: 24 h PM2.5 at 60 > 15.
	i := slices.IndexFunc(st[0].Limits, func(l LimitStatus) bool {
		return l.Regulation == "WHO-2021" && l.Parameter == "pm25" && l.Period == "24h"
	})
	if l := st[0].Limits[i]; l.State != StateExceeded || l.Count != 288 {
		t.Errorf("WHO 24h after reload: %+v", l)
	}
	// The next reading starts the new regulation's violation, and does not repeat the one in
	// progress.
	trs := e.Observe(day("A", "pm25", mar1.Add(24*time.Hour), 1, 60))
	if len(trs) != 1 || trs[0].Regulation != "WHO-2021" || trs[0].Period != "24h" || trs[0].State != Started {
		t.Errorf("transitions after reload: %+v", trs)
	}
	a3 := airStation("A", "QCVN-05:2023")
	a3.Interval = time.Minute
	e.SetRegistry(mustRegistry(t, a3))
	ls := e.Stations()[0].Limits
	l := ls[slices.IndexFunc(ls, func(l LimitStatus) bool { return l.Parameter == "pm25" && l.Period == "24h" })]
	if !l.Violating || l.Count != 288 || l.Coverage > 0.21 {
		t.Errorf("after interval change: %+v (the 288 slots kept, coverage 288 min/24 h)", l)
	}
}

// fakeHistory is an in-memory History (a fake: the daemon's implementation reads InfluxDB).
type fakeHistory struct {
	readings []quantrac.Reading
	err      error
	asked    map[string]time.Time
}

func (h *fakeHistory) Readings(_ context.Context, station string, since time.Time, fn func(quantrac.Reading)) error {
	if h.asked == nil {
		h.asked = map[string]time.Time{}
	}
	h.asked[station] = since
	for _, r := range h.readings {
		if r.Station == station && !r.Time.Before(since) {
			fn(r)
		}
	}
	return h.err
}

func TestRebuild(t *testing.T) {
	cat := mustCatalog(t)
	now := mar1.Add(24*time.Hour + time.Minute)
	st := airStation("A", "QCVN-05:2023", "EU-2008/50")
	first := NewEngine(cat, mustRegistry(t, st), func() time.Time { return now })
	rs := append(day("A", "pm25", mar1, 288, 60), day("A", "pm10", mar1, 288, 70)...)
	started := first.Observe(rs)
	if len(started) == 0 {
		t.Fatal("no violation before the restart")
	}
	// Restart: a new engine rebuilt from history in time order (as InfluxDB returns it)
	// reconstructs the violations with the evidence of their start.
	h := &fakeHistory{readings: slices.Clone(rs)}
	slices.SortStableFunc(h.readings, func(a, b quantrac.Reading) int { return a.Time.Compare(b.Time) })
	second := NewEngine(cat, mustRegistry(t, st), func() time.Time { return now })
	if err := second.Rebuild(context.Background(), h, now); err != nil {
		t.Fatal(err)
	}
	if got, want := second.Active(), first.Active(); !slices.Equal(got, want) {
		t.Errorf("active after rebuild:\n%+v\nwant\n%+v", got, want)
	}
	if got, want := second.Stations(), first.Stations(); !slices.Equal(got[0].Limits, want[0].Limits) {
		t.Errorf("limits after rebuild:\n%+v\nwant\n%+v", got[0].Limits, want[0].Limits)
	}
	if since, want := h.asked["A"], now.Add(-Year-24*time.Hour); !since.Equal(want) {
		t.Errorf("look-back %v, want %v (1y limits)", since, want)
	}
	// In any order, the verdicts are the same.
	rand.New(rand.NewPCG(3, 4)).Shuffle(len(h.readings), func(i, j int) { h.readings[i], h.readings[j] = h.readings[j], h.readings[i] })
	shuffled := NewEngine(cat, mustRegistry(t, st), func() time.Time { return now })
	if err := shuffled.Rebuild(context.Background(), h, now); err != nil {
		t.Fatal(err)
	}
	if got, want := shuffled.Stations(), first.Stations(); !slices.Equal(got[0].Limits, want[0].Limits) {
		t.Errorf("limits after shuffled rebuild:\n%+v\nwant\n%+v", got[0].Limits, want[0].Limits)
	}
	// The next reading continues the violation: nothing is recorded twice.
	if trs := second.Observe(day("A", "pm25", mar1.Add(24*time.Hour), 1, 60)); len(trs) != 0 {
		t.Errorf("transitions after rebuild: %+v", trs)
	}
	h.err = errors.New("influx down")
	if err := NewEngine(cat, mustRegistry(t, st), time.Now).Rebuild(context.Background(), h, now); err == nil || !strings.Contains(err.Error(), "station A: influx down") {
		t.Errorf("error %v", err)
	}
}

// TestObserveConcurrent feeds stations from several goroutines (run with -race) and checks the
// result equals a sequential run.
func TestObserveConcurrent(t *testing.T) {
	cat := mustCatalog(t)
	var sts []*quantrac.Station
	for _, id := range []string{"A", "B", "C", "D"} {
		sts = append(sts, airStation(id, "QCVN-05:2023"))
	}
	reg := mustRegistry(t, sts...)
	now := func() time.Time { return mar1.Add(24 * time.Hour) }
	seq, par := NewEngine(cat, reg, now), NewEngine(cat, reg, now)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var parTrs []Transition
	for _, st := range sts {
		rs := day(st.ID, "pm25", mar1, 288, 50)
		seq.Observe(rs)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < len(rs); i += 10 {
				trs := par.Observe(rs[i:min(i+10, len(rs))])
				mu.Lock()
				parTrs = append(parTrs, trs...)
				mu.Unlock()
				par.Active()
				if _, err := par.Exporter().WriteTo(io.Discard); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	if len(parTrs) != 4 {
		t.Errorf("%d transitions, want 4", len(parTrs))
	}
	if !slices.EqualFunc(seq.Stations(), par.Stations(), func(a, b StationStatus) bool {
		return slices.Equal(a.Limits, b.Limits)
	}) {
		t.Error("concurrent run differs from sequential run")
	}
}
