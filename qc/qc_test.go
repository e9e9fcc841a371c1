package qc

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/quantrac/quantrac/param"
)

var t0 = time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC)

const step = 5 * time.Minute

// series makes readings every 5 minutes from t0 with the given values.
func series(vals ...float64) []Reading {
	rs := make([]Reading, len(vals))
	for i, v := range vals {
		rs[i] = Reading{Time: t0.Add(time.Duration(i) * step), Value: v}
	}
	return rs
}

// repeat returns n copies of v.
func repeat(v float64, n int) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = v
	}
	return out
}

// wobble returns n values alternating around v.
func wobble(v float64, n int) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = v + float64(i%2)
	}
	return out
}

func cat(parts ...[]float64) []float64 { return slices.Concat(parts...) }

// at is the time of the i-th reading of series.
func at(i int) time.Time { return t0.Add(time.Duration(i) * step) }

type wantSpan struct {
	check    Check
	from, to int // reading indexes
}

func TestSeries(t *testing.T) {
	cases := []struct {
		name  string
		param string
		vals  []float64
		want  []wantSpan
	}{
		{"6 h of NO2 stuck at 250: the whole run", "no2", cat(wobble(40, 12), repeat(250, 72), wobble(40, 12)),
			[]wantSpan{{Flatline, 12, 83}}},
		{"exactly 4 h (49 readings) is a flat line", "no2", cat(wobble(40, 4), repeat(60, 49)), []wantSpan{{Flatline, 4, 52}}},
		{"one reading short of 4 h is not", "no2", cat(wobble(40, 4), repeat(60, 48)), nil},
		{"249/251 alternating is no flat line", "no2", wobble(249, 72), nil},
		{"at the detection floor: no flat line", "so2", repeat(5, 72), nil},
		{"zero for hours: no flat line", "pm25", repeat(0, 100), nil},
		{"just above the floor: flat line", "so2", repeat(5.1, 72), []wantSpan{{Flatline, 0, 71}}},
		{"pH holds: off by default", "ph", repeat(7.2, 100), nil},
		{"unknown parameter: flat line on", "xyz", repeat(3, 60), []wantSpan{{Flatline, 0, 59}}},
		{"one-reading spike up", "pm25", cat(wobble(40, 5), []float64{400}, wobble(40, 5)), []wantSpan{{Spike, 5, 5}}},
		{"three-reading spike down", "temp", cat(wobble(25, 5), []float64{5, 4, 6}, wobble(25, 5)), []wantSpan{{Spike, 5, 7}}},
		{"four readings out is no spike", "pm25", cat(wobble(40, 5), repeat(400, 4), wobble(40, 5)), nil},
		{"a jump that stays (an episode) is no spike", "no2", cat(wobble(40, 5), wobble(400, 30)), nil},
		{"jump under the threshold", "pm25", cat(wobble(40, 5), []float64{180}, wobble(40, 5)), nil},
		{"a way back under the threshold is no spike", "pm25", cat(wobble(40, 5), []float64{400}, wobble(300, 5)), nil},
		{"spike then episode start", "no2", cat(wobble(40, 5), []float64{900}, wobble(400, 5)), []wantSpan{{Spike, 5, 5}}},
		{"two spikes", "cod", cat(wobble(50, 3), []float64{400}, wobble(50, 3), []float64{300, 310}, wobble(50, 3)),
			[]wantSpan{{Spike, 3, 3}, {Spike, 7, 8}}},
		{"spike at the last reading: not yet judged", "pm25", cat(wobble(40, 5), []float64{400}), nil},
		{"sentinel then spike: both", "so2", cat(wobble(20, 5), []float64{99999, 919.9}, wobble(20, 5)),
			[]wantSpan{{Sentinel, 5, 5}, {Spike, 5, 5}, {Spike, 6, 6}}},
		{"flow has no spike check", "flow", cat(wobble(40, 5), []float64{4000}, wobble(40, 5)), nil},
		{"sentinels, consecutive ones merged", "no2", cat(wobble(40, 3), []float64{99999, 99999}, wobble(40, 3), []float64{9999}, wobble(40, 3)),
			[]wantSpan{{Sentinel, 3, 4}, {Spike, 3, 4}, {Sentinel, 8, 8}, {Spike, 8, 8}}},
	}
	c := New(Defaults())
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := c.Series("S1", tc.param, step, series(tc.vals...))
			var want []Span
			for _, w := range tc.want {
				want = append(want, Span{Station: "S1", Parameter: tc.param, From: at(w.from), To: at(w.to), Check: w.check})
			}
			if !sameSpans(got, want) {
				t.Errorf("got %s\nwant %s", show(got), show(want))
			}
		})
	}
}

func sameSpans(got, want []Span) bool {
	return slices.EqualFunc(got, want, func(a, b Span) bool {
		return a.Station == b.Station && a.Parameter == b.Parameter && a.From.Equal(b.From) &&
			a.To.Equal(b.To) && a.Check == b.Check && a.Reason != ""
	})
}

func show(ss []Span) string {
	var b strings.Builder
	for _, s := range ss {
		b.WriteString("\n  " + string(s.Check) + " " + s.From.Sub(t0).String() + ".." + s.To.Sub(t0).String() + " " + s.Reason)
	}
	return b.String()
}

func TestFlatlineReason(t *testing.T) {
	got := New(Defaults()).Series("S1", "no2", step, series(repeat(250, 72)...))
	if len(got) != 1 || got[0].Reason != "flat line: 250 for 5h55m0s (72 readings)" {
		t.Fatalf("got %s", show(got))
	}
}

// A late reading that breaks a run shortens the span, or removes it, when recomputed.
func TestLateReadingBreaksRun(t *testing.T) {
	c := New(Defaults())
	rs := series(repeat(250, 72)...) // 0h..5h55
	if got := c.Series("S1", "no2", step, rs); len(got) != 1 || !got[0].From.Equal(at(0)) {
		t.Fatalf("before: %s", show(got))
	}
	// A reading of 251 arrives late at 1h02: the run from 1h05 to 5h55 (4h50) remains.
	late := append(slices.Clone(rs), Reading{Time: at(12).Add(2 * time.Minute), Value: 251})
	got := c.Series("S1", "no2", step, late)
	if len(got) != 1 || !got[0].From.Equal(at(13)) || !got[0].To.Equal(at(71)) {
		t.Fatalf("shortened: %s", show(got))
	}
	// Another at 3h02 leaves runs of 2h and 2h50: no flat line.
	later := append(slices.Clone(late), Reading{Time: at(36).Add(2 * time.Minute), Value: 249})
	if got := c.Series("S1", "no2", step, later); len(got) != 0 {
		t.Fatalf("removed: %s", show(got))
	}
}

func TestOutageIsNoFlatline(t *testing.T) {
	rs := []Reading{{t0, 60}, {t0.Add(step), 60}, {t0.Add(5 * time.Hour), 60}}
	if got := New(Defaults()).Series("S1", "no2", step, rs); len(got) != 0 {
		t.Fatalf("3 readings over 5 h made %s", show(got))
	}
	if got := New(Defaults()).Series("S1", "no2", 0, rs); len(got) != 1 {
		t.Fatalf("with no interval, 3 readings over 5 h should be a flat line: %s", show(got))
	}
}

func TestSpikeAcrossGap(t *testing.T) {
	rs := series(40, 41, 400, 40)
	rs[3].Time = rs[2].Time.Add(time.Hour)
	if got := New(Defaults()).Series("S1", "pm25", step, rs); len(got) != 0 {
		t.Fatalf("spike judged across a gap: %s", show(got))
	}
}

func TestPMRatio(t *testing.T) {
	pm10 := series(60, 60, 60, 60, 60, 60, 10)
	pm25 := series(40, 72, 73, 40, 80, 80, 16)
	pm25[4].Time = pm25[4].Time.Add(2 * time.Minute) // 2 min after its PM10: same instant
	pm25 = append(pm25, Reading{Time: at(20), Value: 500})
	got := New(Defaults()).PMRatio("S1", step, pm25, pm10)
	want := []Span{{Station: "S1", Parameter: "pm25", From: at(1), To: at(2), Check: PMRatio},
		{Station: "S1", Parameter: "pm25", From: at(4).Add(2 * time.Minute), To: at(5), Check: PMRatio}}
	if !sameSpans(got, want) {
		t.Fatalf("got %s\nwant %s", show(got), show(want))
	}
	if !strings.Contains(got[0].Reason, "PM2.5 72 above PM10 60") {
		t.Errorf("reason %q", got[0].Reason)
	}
	if got := New(Defaults()).PMRatio("S1", 0, pm25, pm10); len(got) != 2 || !got[1].From.Equal(at(5)) {
		t.Errorf("interval 0 pairs exact instants only: %s", show(got))
	}
}

func TestSettings(t *testing.T) {
	stuck := series(repeat(7.2, 60)...)
	s := Defaults()
	s.Params["ph"] = ParamSettings{Flatline: 2 * time.Hour}
	if got := New(s).Series("S1", "ph", step, stuck); len(got) != 1 {
		t.Errorf("pH flat line turned on: %s", show(got))
	}
	s.Off = []Check{Flatline}
	if got := New(s).Series("S1", "ph", step, stuck); len(got) != 0 {
		t.Errorf("flatline off everywhere: %s", show(got))
	}
	s = Defaults()
	s.Sentinels = []float64{-1}
	if got := New(s).Series("S1", "flow", step, series(20, -1, 20)); len(got) != 1 || got[0].Check != Sentinel {
		t.Errorf("configured sentinel: %s", show(got))
	}
	s.Params["flow"] = ParamSettings{Off: []Check{Sentinel}}
	if got := New(s).Series("S1", "flow", step, series(20, -1, 20)); len(got) != 0 {
		t.Errorf("sentinel off for flow: %s", show(got))
	}
	if New(s).Settings().Params["temp"].Off[0] != Flatline {
		t.Error("defaults lost")
	}
	var zero Settings
	if got := New(zero).Series("S1", "no2", step, series(cat(repeat(250, 72), []float64{9999, 40, 900, 40})...)); len(got) != 1 {
		t.Errorf("zero settings: only the sentinel check runs, got %s", show(got))
	}
}

// Station runs every check and sorts; shuffled input gives the same spans.
func TestStationOrderIndependent(t *testing.T) {
	in := map[string][]Reading{
		"no2":  series(cat(wobble(40, 5), repeat(250, 60), []float64{9999}, wobble(40, 5))...),
		"pm25": series(cat(wobble(30, 5), []float64{400}, wobble(30, 5))...),
		"pm10": series(cat(wobble(50, 5), []float64{500}, wobble(50, 5))...),
	}
	c := New(Defaults())
	want := c.Station("S1", step, in)
	if len(want) != 5 { // flatline, sentinel and spike (of the sentinel) on no2, spike on pm25 and pm10
		t.Fatalf("got %s", show(want))
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 20 {
		sh := map[string][]Reading{}
		for k, v := range in {
			v = slices.Clone(v)
			rng.Shuffle(len(v), func(i, j int) { v[i], v[j] = v[j], v[i] })
			sh[k] = v
		}
		if got := c.Station("S1", step, sh); !slices.Equal(got, want) {
			t.Fatalf("shuffled: %s\nwant %s", show(got), show(want))
		}
	}
}

// Every parameter with defaults is one of the catalog's, by its canonical id, and every
// spike threshold is inside the parameter's plausible range.
func TestDefaultsNameCatalogParameters(t *testing.T) {
	for id, p := range Defaults().Params {
		cp, ok := param.Lookup(id)
		if !ok || cp.ID != id {
			t.Errorf("%q is not a canonical parameter id", id)
			continue
		}
		if p.Spike > cp.Max-cp.Min || p.Floor < 0 || p.Floor > cp.Max {
			t.Errorf("%s: spike %v floor %v outside %v..%v %s", id, p.Spike, p.Floor, cp.Min, cp.Max, cp.Unit)
		}
	}
}

func TestValidate(t *testing.T) {
	if err := func() *Settings { s := Defaults(); return &s }().Validate(); err != nil {
		t.Fatalf("defaults: %v", err)
	}
	s := Defaults()
	s.Flatline, s.SpikeReadings, s.PMRatioTolerance = -time.Hour, 0, -1
	s.Off = []Check{"drift"}
	s.Params["no2"] = ParamSettings{Spike: -3, Off: []Check{"flat"}}
	err := s.Validate()
	for _, w := range []string{"flatline -1h0m0s", "spike_readings 0", "pm_ratio_tolerance -1", `off: unknown check "drift"`, "no2: flatline 0s and spike -3", `no2: off: unknown check "flat"`} {
		if err == nil || !strings.Contains(err.Error(), w) {
			t.Errorf("error %v lacks %q", err, w)
		}
	}
}
