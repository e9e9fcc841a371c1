package rules

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/quantrac/quantrac"
)

func TestCheck(t *testing.T) {
	cat := mustCatalog(t)
	maxCOD := 75.0
	bad := []*quantrac.Station{
		airStation("A1", "QCVN-05:2023", "QCVN-05:2099"),
		airStation("A2", "QCVN-40:2011/B"),
		{ID: "W1", Kind: quantrac.Wastewater, Regulations: []string{"QCVN-40:2011/B"}, Coefficients: map[string]float64{"kq": 0.9, "kf": 1},
			Limits: []quantrac.PermitLimit{
				{Parameter: "cod", Max: &maxCOD, Unit: "mg/L"},
				{Parameter: "kod", Max: &maxCOD, Unit: "mg/L", Period: "1h"},
				{Parameter: "cod", Max: &maxCOD, Unit: "NTU", Period: "1h"},
				{Parameter: "tss", Max: &maxCOD, Unit: "mg/L", Period: "90m0s1"},
				{Parameter: "tss", Max: &maxCOD, Period: "2h", Statistic: "median"},
			}},
		{ID: "W2", Kind: quantrac.Wastewater, Regulations: []string{"QCVN-40:2011/A"}, Coefficients: map[string]float64{"kf": 1.1}},
		{ID: "W3", Kind: quantrac.Wastewater, Regulations: []string{"QCVN-14:2008/B"}},
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
		`stations: station W2: coefficients.kq: QCVN-40:2011/A multiplies its limits by kq (Cmax = C × kq × kf); set it explicitly (1 when it does not apply)`,
		`stations: station W3: coefficients.k: QCVN-14:2008/B multiplies its limits by k (Cmax = C × k)`,
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

// TestHourEnd checks the hour labelling everyone shares: hours end on the local clock hour,
// a reading stamped on the hour belongs to the hour it ends, and 00:00 ends the day before.
func TestHourEnd(t *testing.T) {
	ict, _ := time.LoadLocation("Asia/Ho_Chi_Minh")
	ist, _ := time.LoadLocation("Asia/Kolkata")
	for _, tc := range []struct {
		at       string
		loc      *time.Location
		end, day string
	}{
		{"2026-03-01T00:00:01+07:00", ict, "2026-03-01T01:00:00+07:00", "2026-03-01"},
		{"2026-03-01T01:00:00+07:00", ict, "2026-03-01T01:00:00+07:00", "2026-03-01"},
		{"2026-03-02T00:00:00+07:00", ict, "2026-03-02T00:00:00+07:00", "2026-03-01"},
		{"2026-03-01T23:59:59.9+07:00", ict, "2026-03-02T00:00:00+07:00", "2026-03-01"},
		{"2026-03-01T10:45:00+05:30", ist, "2026-03-01T11:00:00+05:30", "2026-03-01"},
		{"2026-03-01T11:00:00+05:30", ist, "2026-03-01T11:00:00+05:30", "2026-03-01"},
		{"2026-03-02T00:00:00+05:30", ist, "2026-03-02T00:00:00+05:30", "2026-03-01"},
	} {
		at, _ := time.Parse(time.RFC3339, tc.at)
		end, _ := time.Parse(time.RFC3339, tc.end)
		if got := HourEnd(at, tc.loc); !got.Equal(end) {
			t.Errorf("HourEnd(%s) = %v, want %v", tc.at, got, end)
		}
		if got := Day(at, tc.loc).Format(time.DateOnly); got != tc.day {
			t.Errorf("Day(%s) = %s, want %s", tc.at, got, tc.day)
		}
	}
}

// TestSetRegistryKeepsState reloads the registry: a station that stays keeps its hours,
// violation and counters, a removed station disappears, a station that gets a new regulation
// judges it from the hours kept and is listed as pending (its years are not held).
func TestSetRegistryKeepsState(t *testing.T) {
	cat := mustCatalog(t)
	now := mar1.Add(24 * time.Hour)
	a, b := airStation("A", "QCVN-05:2023"), airStation("B", "QCVN-05:2023")
	e := newEngine(t, cat, mustRegistry(t, a, b), func() time.Time { return now })
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
	i := slices.IndexFunc(st[0].Limits, func(l LimitStatus) bool {
		return l.Regulation == "WHO-2021" && l.Parameter == "pm25" && l.Period == "24h"
	})
	if l := st[0].Limits[i]; l.State != StateExceeded || l.Count != 24 || l.Exceedances != 1 {
		t.Errorf("WHO 24h after reload: %+v", l)
	}
	if p := e.Pending(); !slices.Equal(p, []string{"A"}) {
		t.Errorf("pending %v, want [A] (WHO's counts need the year)", p)
	}
	// The next day closes with a new regulation's verdict; the violation in progress is not
	// repeated.
	trs := e.Observe(day("A", "pm25", mar1.Add(24*time.Hour), 288, 60))
	if len(trs) != 0 {
		t.Errorf("transitions after reload: %+v", trs)
	}
}

// countingHistory counts the queries a rebuild makes.
type countingHistory struct {
	*memHistory
	aggregates, latest, transitions int
	queries                         []AggregateQuery
}

func (c *countingHistory) Latest(ctx context.Context, kind quantrac.Kind, stations []string, since time.Time, fn func(quantrac.Reading) error) error {
	c.latest++
	return c.memHistory.Latest(ctx, kind, stations, since, fn)
}

func (c *countingHistory) Aggregates(ctx context.Context, q AggregateQuery, fn func(Aggregate) error) error {
	c.aggregates++
	c.queries = append(c.queries, q)
	return c.memHistory.Aggregates(ctx, q, fn)
}

func (c *countingHistory) LastTransitions(ctx context.Context, stations []string, fn func(Transition) error) error {
	c.transitions++
	return c.memHistory.LastTransitions(ctx, stations, fn)
}

// TestRebuild restarts an engine from what the first one wrote: the verdicts and evidence are
// the same, a violation in progress is active again with its recorded evidence and without a
// second start, and the rebuild reads aggregates with one query per measurement (hours, then
// recent reading slots), not one per station.
func TestRebuild(t *testing.T) {
	cat := mustCatalog(t)
	var sts []*quantrac.Station
	for i := range 50 {
		sts = append(sts, airStation(fmt.Sprintf("A%02d", i), "QCVN-05:2023", "EU-2008/50"))
	}
	cod := 75.0
	sts = append(sts, &quantrac.Station{ID: "W", Kind: quantrac.Wastewater, Interval: 5 * time.Minute,
		Regulations: []string{"QCVN-40:2011/B"}, Coefficients: map[string]float64{"kq": 1, "kf": 1},
		Limits: []quantrac.PermitLimit{{Parameter: "cod", Max: &cod, Unit: "mg/L"}}})
	reg := mustRegistry(t, sts...)
	now := mar1.Add(48*time.Hour + 2*time.Minute)
	first := NewEngine(cat, reg, func() time.Time { return now })
	h := &countingHistory{memHistory: newMemHistory(reg)}
	if err := first.Rebuild(t.Context(), h, now); err != nil {
		t.Fatal(err)
	}
	feed := func(rs []quantrac.Reading) {
		for i := 0; i < len(rs); i += 12 {
			b := rs[i:min(i+12, len(rs))]
			h.write(b, first.Observe(b))
		}
	}
	for _, st := range sts[:50] { // a record of both parameters every 5 minutes
		rs := slices.Concat(day(st.ID, "pm25", mar1.Add(-24*time.Hour), 576, 60), day(st.ID, "pm10", mar1.Add(-24*time.Hour), 576, 120))
		slices.SortStableFunc(rs, byStationTime)
		feed(rs)
	}
	w := day("W", "cod", mar1.Add(47*time.Hour), 12, 100)
	for i := range w {
		w[i].Kind = quantrac.Wastewater
	}
	feed(w)
	if len(first.Active()) != 101 {
		t.Fatalf("%d violations before the restart, want 101", len(first.Active()))
	}

	// Restart: nothing is known until the rebuild succeeds.
	second := NewEngine(cat, reg, func() time.Time { return now })
	h.aggregates, h.latest, h.transitions, h.queries = 0, 0, 0, nil
	h.err = errors.New("influx down")
	if err := second.Rebuild(t.Context(), h, now); err == nil || !strings.Contains(err.Error(), "influx down") {
		t.Errorf("error %v", err)
	}
	if st := second.Stations()[0]; st.Rebuilt || st.Limits[0].State != StateUnknown || len(second.Active()) != 0 {
		t.Errorf("after a failed rebuild: %+v", st)
	}
	if got := exposeString(t, second.Exporter()); !strings.Contains(got, "quantrac_rules_rebuilt 0") || strings.Contains(got, "quantrac_violation{") {
		t.Error("a failed rebuild exports verdicts")
	}
	h.err = nil
	h.aggregates, h.latest, h.transitions, h.queries = 0, 0, 0, nil
	if err := second.Rebuild(t.Context(), h, now); err != nil {
		t.Fatal(err)
	}
	// Aggregate queries by measurement and span of its look-back (the three years of EU
	// 2008/50's ozone form for air, in spans bounded by aggregateCells), not by station.
	if h.aggregates > 60 || h.latest != 2 || h.transitions != 1 {
		t.Errorf("%d aggregate, %d newest-point and %d transition queries, want at most 60 (fewer than the stations' 51 × 2 parameters' share) and 2 (air, wastewater) and 1", h.aggregates, h.latest, h.transitions)
	}
	for _, q := range h.queries {
		if q.Stations != nil {
			t.Errorf("query %+v names stations", q)
		}
	}
	if got, want := second.Active(), first.Active(); !slices.Equal(got, want) {
		t.Errorf("active after rebuild:\n%+v\nwant\n%+v", got, want)
	}
	firstStations := first.Stations()
	for i, got := range second.Stations() {
		want := firstStations[i]
		if !slices.EqualFunc(got.Limits, want.Limits, sameVerdict) || !slices.Equal(got.Values, want.Values) || !got.LastValid.Equal(want.LastValid) {
			for j := range got.Limits {
				if !sameVerdict(got.Limits[j], want.Limits[j]) {
					t.Errorf("%s after rebuild: limit\n%+v\nwant\n%+v", got.Station, got.Limits[j], want.Limits[j])
				}
			}
			if !slices.Equal(got.Values, want.Values) || !got.LastValid.Equal(want.LastValid) {
				t.Errorf("%s after rebuild: values %+v last valid %v, want %+v %v", got.Station, got.Values, got.LastValid, want.Values, want.LastValid)
			}
		}
	}
	if got := exposeString(t, second.Exporter()); !strings.Contains(got, "quantrac_rules_rebuilt 1") ||
		!strings.Contains(got, `quantrac_violations_total{force="binding",parameter="pm25",period="24h",regulation="QCVN-05:2023",station="A00"} 0`) {
		t.Error("after the rebuild: rebuilt gauge or violations_total wrong")
	}
	// The next readings continue the violations: nothing is recorded twice.
	if trs := second.Observe(day("A00", "pm25", mar1.Add(48*time.Hour), 12, 60)); len(trs) != 0 {
		t.Errorf("transitions after rebuild: %+v", trs)
	}
	// A station handed to another cluster member is unknown until rebuilt again.
	second.ReleaseStations([]string{"A01"})
	if p := second.Pending(); !slices.Equal(p, []string{"A01"}) {
		t.Errorf("pending %v", p)
	}
	h.aggregates = 0
	if err := second.RebuildStations(t.Context(), h, now, []string{"A01"}); err != nil {
		t.Fatal(err)
	}
	if h.aggregates > 2 || len(second.Pending()) != 0 || len(second.Active()) != 101 {
		t.Errorf("after RebuildStations: %d queries, pending %v, %d active", h.aggregates, second.Pending(), len(second.Active()))
	}
	for _, q := range h.queries[len(h.queries)-1:] {
		if !slices.Equal(q.Stations, []string{"A01"}) {
			t.Errorf("RebuildStations query %+v", q)
		}
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
	seq, par := newEngine(t, cat, reg, now), newEngine(t, cat, reg, now)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var parTrs []Transition
	for _, st := range sts {
		rs := day(st.ID, "pm25", mar1, 288, 50)
		seq.Observe(rs)
		wg.Go(func() {
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
		})
	}
	wg.Wait()
	if len(parTrs) != 4 {
		t.Errorf("%d transitions, want 4", len(parTrs))
	}
	if !slices.EqualFunc(seq.Stations(), par.Stations(), func(a, b StationStatus) bool {
		return slices.EqualFunc(a.Limits, b.Limits, sameVerdict)
	}) {
		t.Error("concurrent run differs from sequential run")
	}
}

// TestLateReadingsReviseTheStart: a station's messages reach the engine out of order (the
// daemon decodes concurrently), so a day can close before all its readings are in. The day's
// verdict is decided on the hours in; the late readings make the station stale, and
// re-judging it from the stored readings (RebuildStations, as the daemon does) writes the
// start again at the same point with the full day's evidence, without counting a second
// violation.
func TestLateReadingsReviseTheStart(t *testing.T) {
	cat := mustCatalog(t)
	st := airStation("V", "QCVN-05:2023")
	st.Timezone = "Asia/Ho_Chi_Minh"
	reg := mustRegistry(t, st)
	loc, err := time.LoadLocation("Asia/Ho_Chi_Minh")
	if err != nil {
		t.Fatal(err)
	}
	d := time.Date(2026, 12, 4, 0, 0, 0, 0, loc)
	now := d.Add(33 * time.Hour)
	e := NewEngine(cat, reg, func() time.Time { return now })
	h := newMemHistory(reg)
	if err := e.Rebuild(t.Context(), h, now); err != nil {
		t.Fatal(err)
	}
	rs := day("V", "pm25", d, 288, 60)
	var trs []Transition
	for _, i := range []int{0, 48, 96, 144, 240, 192} { // 4-hour messages; 20:00-24:00 before 16:00-20:00
		got := e.Observe(rs[i : i+48])
		h.write(rs[i:i+48], got)
		trs = append(trs, got...)
		if i == 240 && (len(got) != 1 || got[0].State != Started || got[0].Count != 20) {
			t.Fatalf("the day closes on 20 valid hours: %+v", got)
		}
	}
	if p := e.Pending(); !slices.Equal(p, []string{"V"}) {
		t.Fatalf("pending %v, want the station the late readings made stale", p)
	}
	if err := e.RebuildStations(t.Context(), h, now, e.Pending()); err != nil {
		t.Fatal(err)
	}
	trs = append(trs, e.Drain()...)
	if len(trs) != 2 {
		t.Fatalf("%d transitions, want the start and its revision: %+v", len(trs), trs)
	}
	for _, tr := range trs {
		if tr.State != Started || !tr.WindowEnd.Equal(d.Add(24*time.Hour)) || tr.Value != 60 {
			t.Errorf("transition %+v", tr)
		}
	}
	if last := trs[1]; last.Count != 24 || last.Coverage != 1 || last.Episode != trs[0].Episode {
		t.Errorf("last revision %+v, want the full day's evidence in the same episode", last)
	}
	if a := e.Active(); len(a) != 1 || a[0] != trs[1] {
		t.Errorf("active %+v", a)
	}
	if got := exposeString(t, e.Exporter()); !strings.Contains(got,
		`quantrac_violations_total{force="binding",parameter="pm25",period="24h",regulation="QCVN-05:2023",station="V"} 1`) {
		t.Error("a revision counted as a violation")
	}
	if p := e.Pending(); len(p) != 0 {
		t.Errorf("still pending after the re-judging: %v", p)
	}
}

// TestRebuildWithoutRules: stations without rules (nor air-quality indices, whose trackers read
// the same hours) need no history, so rebuilding them asks InfluxDB nothing and succeeds while
// it is down (a cluster member taking over such stations does not wait for it).
func TestRebuildWithoutRules(t *testing.T) {
	cat := mustCatalog(t)
	bare := &quantrac.Station{ID: "B", Kind: quantrac.Wastewater, Interval: 5 * time.Minute}
	withAQI := airStation("Q")
	withAQI.AQI = []string{"vn"}
	reg := mustRegistry(t, bare, withAQI, airStation("R", "WHO-2021"))
	now := mar1
	e := NewEngine(cat, reg, func() time.Time { return now })
	h := &countingHistory{memHistory: newMemHistory(reg)}
	h.err = errors.New("influx down")
	if err := e.RebuildStations(t.Context(), h, now, []string{"B"}); err != nil || h.aggregates+h.latest+h.transitions != 0 {
		t.Errorf("rebuilding a station without rules: %v, %d queries", err, h.aggregates+h.latest+h.transitions)
	}
	if p := e.Pending(); !slices.Equal(p, []string{"Q", "R"}) {
		t.Errorf("pending %v", p)
	}
	for _, id := range []string{"Q", "R"} { // AQI hours; rules
		if err := e.RebuildStations(t.Context(), h, now, []string{id}); err == nil {
			t.Errorf("%s rebuilt without InfluxDB", id)
		}
	}
}

// TestRebuildOnDemand: a cluster member rebuilds stations as it takes them over; meanwhile it
// counts as rebuilt and the stations it has not taken over export no verdict.
func TestRebuildOnDemand(t *testing.T) {
	cat := mustCatalog(t)
	reg := mustRegistry(t, airStation("A", "QCVN-05:2023"), airStation("B", "QCVN-05:2023"))
	e := NewEngine(cat, reg, func() time.Time { return mar1 })
	e.RebuildOnDemand()
	got := exposeString(t, e.Exporter())
	if !strings.Contains(got, "quantrac_rules_rebuilt 1") || strings.Contains(got, "quantrac_violations_total{") {
		t.Errorf("before any station is taken over:\n%s", got)
	}
	if err := e.RebuildStations(t.Context(), newMemHistory(reg), mar1, []string{"A"}); err != nil {
		t.Fatal(err)
	}
	got = exposeString(t, e.Exporter())
	if !strings.Contains(got, `quantrac_violations_total{force="binding",parameter="pm25",period="24h",regulation="QCVN-05:2023",station="A"} 0`) ||
		strings.Contains(got, `quantrac_violations_total{force="binding",parameter="pm25",period="24h",regulation="QCVN-05:2023",station="B"}`) {
		t.Errorf("after taking A over:\n%s", got)
	}
	if p := e.Pending(); !slices.Equal(p, []string{"B"}) {
		t.Errorf("pending %v", p)
	}
}

// TestRemovalEndsEpisodes: a reload that removes a station, or a regulation of a station that
// stays, ends each episode in progress with an end whose reason says why, so that no start is
// left open in the record (the monthly report would read it as still exceeded).
func TestRemovalEndsEpisodes(t *testing.T) {
	cat := mustCatalog(t)
	a, b := airStation("RA", "QCVN-05:2023", "WHO-2021"), airStation("RB", "QCVN-05:2023")
	now := mar1.Add(25 * time.Hour)
	e := NewEngine(cat, mustRegistry(t, a, b), func() time.Time { return now })
	if err := e.Rebuild(t.Context(), nil, now); err != nil {
		t.Fatal(err)
	}
	e.Observe(day("RA", "pm25", mar1, 289, 80))
	e.Observe(day("RB", "pm25", mar1, 289, 80))
	if n := len(e.Active()); n != 2 {
		t.Fatalf("%d active, want RA's and RB's QCVN days", n)
	}
	a2 := airStation("RA", "WHO-2021") // QCVN-05:2023 removed from RA, RB removed
	e.SetRegistry(mustRegistry(t, a2))
	got := e.Drain()
	var who, station int
	for _, tr := range got {
		if tr.State != Ended {
			t.Errorf("transition %+v, want an end", tr)
		}
		switch {
		case tr.Station == "RA" && tr.Regulation == "QCVN-05:2023" && tr.Reason == quantrac.EndLimitRemoved:
			who++
		case tr.Station == "RB" && tr.Reason == quantrac.EndStationRemoved:
			station++
		default:
			t.Errorf("unexpected end %+v", tr)
		}
		if tr.Episode == "" || !tr.WindowEnd.After(mar1.Add(24*time.Hour)) {
			t.Errorf("end %+v: want the start's episode, recorded after the start", tr)
		}
	}
	if who == 0 || station == 0 {
		t.Errorf("ends %+v: want RA's QCVN episode (limit_removed) and RB's (station_removed)", got)
	}
	if a := e.Active(); len(a) != 0 {
		t.Errorf("still active after the reload: %+v", a)
	}
	if again := e.Drain(); len(again) != 0 {
		t.Errorf("drained twice: %+v", again)
	}
}
