package rules

import (
	"bytes"
	"fmt"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/quantrac/quantrac"
)

// yearsOfHours returns hourly records of the station's parameters from start for n hours, with
// values that wander through and above the limits (so that days, years and design values have
// exceedances to count).
func yearsOfHours(station string, params []string, start time.Time, n int) [][]quantrac.Reading {
	base := map[string]float64{"pm25": 30, "pm10": 60, "no2": 40, "so2": 20, "o3": 60, "co": 2000}
	out := make([][]quantrac.Reading, 0, n)
	for i := range n {
		at := start.Add(time.Duration(i+1) * time.Hour)
		rec := make([]quantrac.Reading, 0, len(params))
		for j, p := range params {
			x := math.Sin(float64(i)/37+float64(j)) + 0.8*math.Sin(float64(i)/(24*5.3)+float64(len(station)))
			v := base[p] * (1.3 + x) // 0.5 to 2.1 times the base
			rec = append(rec, quantrac.Reading{Station: station, Kind: quantrac.Air, Param: p, Value: math.Round(v*10) / 10,
				Time: at, Status: quantrac.StatusMeasuring})
		}
		out = append(out, rec)
	}
	return out
}

// TestYearFiguresSaved restarts an engine that has judged two years and two months of hourly
// data, once reading every hour back (cold) and once from its saved year figures (warm): the
// verdicts are the same, and the warm start reads only the last days. Figures that no longer
// match — another limit, InfluxDB behind them, a damaged file — are not taken.
func TestYearFiguresSaved(t *testing.T) {
	cat := mustCatalog(t)
	params := []string{"pm25", "pm10", "no2", "so2", "o3", "co"}
	hourly := func(id string, regs ...string) *quantrac.Station {
		st := airStation(id, regs...)
		st.Interval = time.Hour
		return st
	}
	sts := []*quantrac.Station{hourly("VN", "QCVN-05:2023", "WHO-2021", "EU-2024/2881"), hourly("US", "US-NAAQS")}
	reg := mustRegistry(t, sts...)
	start := time.Date(2024, 1, 1, 0, 0, 0, 0, mar1.Location())
	hours := int(mar1.Add(50*time.Hour).Sub(start) / time.Hour)
	now := start.Add(time.Duration(hours)*time.Hour + 2*time.Minute)
	live := NewEngine(cat, reg, func() time.Time { return now })
	h := &countingHistory{memHistory: newMemHistory(reg)}
	if err := live.Rebuild(t.Context(), nil, now); err != nil {
		t.Fatal(err)
	}
	for _, st := range sts {
		for _, rec := range yearsOfHours(st.ID, params, start, hours) {
			h.write(rec, live.Observe(rec))
			live.Settled(st.ID) // stored: the daemon's acknowledgement says so
		}
	}
	var saved bytes.Buffer
	if n, err := live.SaveFigures(&saved); err != nil || n != 2 {
		t.Fatalf("saved %d stations, %v", n, err)
	}

	restart := func(figures []byte) (*Engine, []AggregateQuery) {
		t.Helper()
		e := NewEngine(cat, reg, func() time.Time { return now })
		if figures != nil {
			if _, err := e.LoadFigures(bytes.NewReader(figures)); err != nil {
				t.Fatal(err)
			}
		}
		h.queries = nil
		if err := e.Rebuild(t.Context(), h, now); err != nil {
			t.Fatal(err)
		}
		return e, h.queries
	}
	cold, coldQ := restart(nil)
	warm, warmQ := restart(saved.Bytes())
	sameStations(t, "warm", warm, cold)
	// The live engine's sub-hour blocks are not read back (rules/README.md, "Restart").
	sameStations(t, "live", live, cold, "10m", "15m")
	if oldest := earliest(coldQ); oldest.After(start.AddDate(0, 0, 1)) {
		t.Errorf("the cold start read from %v, want the start of 2024", oldest)
	}
	if oldest := earliest(warmQ); oldest.Before(now.Add(-4 * 24 * time.Hour)) {
		t.Errorf("the warm start read from %v, want the last days only", oldest)
	}

	// Figures serve the first rebuild only, and a damaged file is refused whole.
	if warm.figures != nil {
		t.Error("figures kept after the first rebuild")
	}
	damaged := slices.Clone(saved.Bytes())
	damaged[len(damaged)/2] ^= 1
	if _, err := NewEngine(cat, reg, time.Now).LoadFigures(bytes.NewReader(damaged)); err == nil {
		t.Error("a damaged figures file was taken")
	}

	// InfluxDB behind the figures (its newest day lost): that station reads its years back.
	for k := range h.readings {
		if k.station == "US" && k.t > now.Add(-20*time.Hour).UnixNano() {
			delete(h.readings, k)
		}
	}
	cold, _ = restart(nil)
	warm, warmQ = restart(saved.Bytes())
	months := now.AddDate(0, -2, 0)
	sameStations(t, "warm, InfluxDB behind", warm, cold)
	if !readsYears(warmQ, "US", months) || readsYears(warmQ, "VN", months) {
		t.Errorf("InfluxDB behind US's figures: queries %v", describe(warmQ))
	}

	// Another limit: the fingerprint differs and that station reads its years back.
	sts[0].Regulations = []string{"QCVN-05:2023", "WHO-2021"}
	reg = mustRegistry(t, sts...)
	cold, _ = restart(nil)
	warm, warmQ = restart(saved.Bytes())
	sameStations(t, "warm, limits changed", warm, cold)
	if !readsYears(warmQ, "VN", months) {
		t.Errorf("VN's limits changed: queries %v", describe(warmQ))
	}
}

func sameStations(t *testing.T, what string, got, want *Engine, skipPeriods ...string) {
	t.Helper()
	ws := want.Stations()
	for i, g := range got.Stations() {
		w := ws[i]
		if len(g.Limits) != len(w.Limits) {
			t.Fatalf("%s %s: %d limits, want %d", what, g.Station, len(g.Limits), len(w.Limits))
		}
		for j := range g.Limits {
			if !sameVerdict(g.Limits[j], w.Limits[j]) && !slices.Contains(skipPeriods, w.Limits[j].Period) {
				t.Errorf("%s %s: limit\n%+v\nwant\n%+v", what, g.Station, g.Limits[j], w.Limits[j])
			}
		}
	}
	if g, w := got.Active(), want.Active(); !slices.EqualFunc(g, w, func(a, b Transition) bool {
		return a.Parameter == b.Parameter && a.Regulation == b.Regulation && a.Period == b.Period && a.Station == b.Station
	}) {
		t.Errorf("%s: active\n%+v\nwant\n%+v", what, g, w)
	}
}

func earliest(qs []AggregateQuery) time.Time {
	var t time.Time
	for _, q := range qs {
		if t.IsZero() || q.Since.Before(t) {
			t = q.Since
		}
	}
	return t
}

// readsYears reports whether a query reads station's hours from before.
func readsYears(qs []AggregateQuery, station string, before time.Time) bool {
	for _, q := range qs {
		if (q.Stations == nil || slices.Contains(q.Stations, station)) && q.Since.Before(before) {
			return true
		}
	}
	return false
}

func describe(qs []AggregateQuery) []string {
	var out []string
	for _, q := range qs {
		out = append(out, fmt.Sprintf("%v since %s", q.Stations, q.Since.Format(time.DateTime)))
	}
	return out
}

// FuzzDecodeFigures: whatever the bytes, decoding returns figures or errFigures, never panics.
func FuzzDecodeFigures(f *testing.F) {
	f.Add([]byte(figuresMagic))
	f.Fuzz(func(t *testing.T, data []byte) {
		if saved, err := decodeFigures(data); err != nil && saved != nil {
			t.Fatal("figures and an error")
		}
	})
}
