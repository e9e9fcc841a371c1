package derive

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/prometheus/common/expfmt"

	"github.com/quantrac/quantrac"
	"github.com/quantrac/quantrac/internal/testenv"
	"github.com/quantrac/quantrac/param"
	"github.com/quantrac/quantrac/rules"
	"github.com/quantrac/quantrac/store"
)

// TestRebuildFromInfluxDB restarts from what a first Deriver wrote to a real InfluxDB: every
// limit's verdict and evidence, the violations in progress (with their recorded evidence, and
// no second start) and the AQI indices are the same as before the restart.
func TestRebuildFromInfluxDB(t *testing.T) {
	in := testenv.InfluxDB(t, testenv.InfluxOptions{DisableFlux: true})
	in.CreateDatabase("quantrac")
	air := &quantrac.Station{ID: "A", Kind: quantrac.Air, Interval: 5 * time.Minute, Timezone: "Asia/Ho_Chi_Minh",
		Regulations: []string{"QCVN-05:2023", "WHO-2021", "EU-2008/50"}, AQI: []string{"vn", "us"}}
	ww := &quantrac.Station{ID: "W", Kind: quantrac.Wastewater, Interval: 5 * time.Minute, Timezone: "Asia/Ho_Chi_Minh",
		Regulations: []string{"QCVN-40:2011/B"}, Coefficients: map[string]float64{"kq": 0.9, "kf": 1}}
	reg, err := quantrac.NewRegistry(air, ww)
	if err != nil {
		t.Fatal(err)
	}
	cat, err := rules.LoadCatalog()
	if err != nil {
		t.Fatal(err)
	}
	h := store.NewHistory(store.NewQuerier(store.WriterOptions{URL: in.URL(), Bucket: "quantrac/autogen", Timeout: 10 * time.Second}, nil), nil,
		func(name string) bool { p, ok := param.Lookup(name); return ok && p.ID == name })
	ict, _ := time.LoadLocation("Asia/Ho_Chi_Minh")
	start := time.Date(2026, 3, 1, 0, 0, 0, 0, ict)
	now := start.Add(50*time.Hour + 7*time.Minute)
	clock := func() time.Time { return now }
	first := rules.NewEngine(cat, reg, clock)
	d1 := New(first, reg, clock)
	if err := d1.Rebuild(t.Context(), h, now); err != nil {
		t.Fatal(err)
	}
	var started int
	for i := 1; i <= 50*12+1; i++ {
		at := start.Add(time.Duration(i) * 5 * time.Minute)
		rs := []quantrac.Reading{
			{Station: "A", Kind: quantrac.Air, Param: "pm25", Value: 40 + float64(i%24), Time: at, Status: "00"},
			{Station: "A", Kind: quantrac.Air, Param: "no2", Value: 150 + float64(i%60), Time: at, Status: "00"},
			{Station: "A", Kind: quantrac.Air, Param: "o3", Value: 90 + float64(i%40), Time: at, Status: "00"},
		}
		e := &quantrac.Envelope{Station: air, Readings: rs}
		d1.Observe(e)
		lines, _ := store.AppendEnvelope(nil, e)
		e = &quantrac.Envelope{Station: ww, Readings: []quantrac.Reading{{Station: "W", Kind: quantrac.Wastewater, Param: "ph", Value: []float64{4.5, 9.5}[i%2], Time: at, Status: "00"}}}
		d1.Observe(e)
		lines, _ = store.AppendEnvelope(lines, e)
		started += strings.Count(string(lines), "state=\"started\"")
		in.Write("quantrac/autogen", string(lines))
	}
	if len(first.Active()) == 0 || started < len(first.Active()) {
		t.Fatalf("%d active violations, %d started", len(first.Active()), started)
	}

	second := rules.NewEngine(cat, reg, clock)
	d2 := New(second, reg, clock)
	if err := d2.Rebuild(t.Context(), h, now); err != nil {
		t.Fatal(err)
	}
	if got, want := second.Active(), first.Active(); !slices.EqualFunc(got, want, sameTransition) {
		t.Errorf("active after the rebuild:\n%+v\nwant\n%+v", got, want)
	}
	want := first.Stations()
	for i, got := range second.Stations() {
		for j, l := range got.Limits {
			w := want[i].Limits[j]
			if l.State != w.State || !near(l.Value, w.Value) || !near(l.Ratio, w.Ratio) || !near(l.Coverage, w.Coverage) ||
				l.Count != w.Count || !l.WindowEnd.Equal(w.WindowEnd) || l.Violating != w.Violating ||
				l.Exceedances != w.Exceedances || (l.Provisional == nil) != (w.Provisional == nil) ||
				(l.Provisional != nil && !near(l.Provisional.Value, w.Provisional.Value)) {
				t.Errorf("%s %s %s %s after the rebuild:\n%+v\nwant\n%+v", got.Station, l.Regulation, l.Parameter, l.Period, l, w)
			}
		}
	}
	var wantAQI, gotAQI strings.Builder
	for _, c := range []struct {
		d *Deriver
		b *strings.Builder
	}{{d1, &wantAQI}, {d2, &gotAQI}} {
		n, err := testutil.CollectAndFormat(c.d.Collector(), expfmt.TypeTextPlain, "quantrac_aqi")
		if err != nil {
			t.Fatal(err)
		}
		c.b.Write(n)
	}
	if gotAQI.String() != wantAQI.String() || !strings.Contains(gotAQI.String(), `quantrac_aqi{period="1h",scheme="vn",station="A"}`) {
		t.Errorf("AQI after the rebuild:\n%s\nwant\n%s", gotAQI.String(), wantAQI.String())
	}
	// The next readings continue: nothing started twice.
	at := start.Add(time.Duration(50*12+2) * 5 * time.Minute)
	e := &quantrac.Envelope{Station: ww, Readings: []quantrac.Reading{{Station: "W", Kind: quantrac.Wastewater, Param: "ph", Value: 4.5, Time: at, Status: "00"}}}
	if d2.Observe(e); len(e.Transitions) != 0 {
		t.Errorf("after the rebuild: %+v", e.Transitions)
	}
}

func near(a, b float64) bool { return a == b || (a-b < 1e-9*max(1, b) && b-a < 1e-9*max(1, b)) }

func sameTransition(a, b quantrac.Transition) bool {
	return a.Station == b.Station && a.Parameter == b.Parameter && a.Regulation == b.Regulation && a.Period == b.Period &&
		a.State == b.State && near(a.Value, b.Value) && near(a.Limit, b.Limit) && a.Count == b.Count &&
		a.WindowStart.Equal(b.WindowStart) && a.WindowEnd.Equal(b.WindowEnd) && a.Version == b.Version &&
		a.Statistic == b.Statistic && a.Reference == b.Reference && a.Unit == b.Unit && a.Exceedances == b.Exceedances
}
