package sim

import (
	"math"
	"testing"
	"time"

	"github.com/quantrac/quantrac"
)

var ict = time.FixedZone("ICT", 7*3600)

func testStations(t *testing.T, n int) []*quantrac.Station {
	t.Helper()
	st, err := Stations(n, 7)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func TestValueIsDeterministic(t *testing.T) {
	st := testStations(t, 3)
	at := time.Date(2026, 11, 28, 14, 5, 0, 0, ict)
	a := Model{Seed: 42, Violate: 0.2}
	b := Model{Seed: 42, Violate: 0.2}
	other := Model{Seed: 43, Violate: 0.2}
	differ := 0
	for _, s := range st {
		for _, p := range Params(s.Kind) {
			va, vb := a.Value(s, p.ID, at), b.Value(s, p.ID, at)
			if va != vb {
				t.Errorf("%s %s: same seed gave %v and %v", s.ID, p.ID, va, vb)
			}
			if other.Value(s, p.ID, at) != va {
				differ++
			}
		}
	}
	if differ == 0 {
		t.Error("another seed gave the same values everywhere")
	}
	var m1, m2 Message
	a.Message(&m1, st[0], at)
	a.Message(&m2, st[0], at)
	for i := range m1.Readings {
		if m1.Readings[i] != m2.Readings[i] {
			t.Errorf("reading %d differs: %+v vs %+v", i, m1.Readings[i], m2.Readings[i])
		}
	}
}

// Over a week at 5-minute steps every value stays in its parameter's normal range.
func TestValuesStayInRange(t *testing.T) {
	stations := testStations(t, 9)
	colA := *stations[2]
	colA.ID, colA.Regulations = "SIM-WW-A", []string{"QCVN-40:2011/A"}
	stations = append(stations, &colA)
	if _, err := quantrac.NewRegistry(&colA); err != nil {
		t.Fatal(err)
	}
	m := Model{Seed: 1, Params: 9}
	start := time.Date(2026, 11, 23, 0, 0, 0, 0, ict)
	for _, s := range stations {
		for _, p := range m.ParamsOf(s.Kind) {
			lo, hi := p.Lo, p.Hi
			if s.HasRegulation("QCVN-40:2011/A") && qcvn40(p.ID, false) > 0 {
				lo, hi = lo*columnAScale, hi*columnAScale
			}
			for at := start; at.Before(start.AddDate(0, 0, 7)); at = at.Add(5 * time.Minute) {
				v := m.Value(s, p.ID, at)
				if v < lo-1e-9 || v > hi+1e-9 || math.IsNaN(v) {
					t.Fatalf("%s %s at %s = %v, want %v..%v", s.ID, p.ID, at, v, lo, hi)
				}
				if r := round(v, p.Decimals); r != v {
					t.Fatalf("%s %s = %v is not rounded to %d decimals", s.ID, p.ID, v, p.Decimals)
				}
			}
		}
	}
}

// meanAt averages a parameter over 30 days at the given local hours.
func meanAt(m Model, s *quantrac.Station, param string, hours ...int) float64 {
	var sum float64
	var n int
	for d := range 30 {
		for _, h := range hours {
			sum += m.Value(s, param, time.Date(2026, 10, 1+d, h, 0, 0, 0, ict))
			n++
		}
	}
	return sum / float64(n)
}

func TestDiurnalCycles(t *testing.T) {
	st := testStations(t, 3)
	air, ww := st[0], st[2]
	m := Model{Seed: 5}
	tests := []struct {
		station     *quantrac.Station
		param       string
		high, low   []int
		description string
	}{
		{air, "pm25", []int{7, 8, 19}, []int{13, 14, 2}, "PM2.5 peaks at the rush hours"},
		{air, "no2", []int{7, 8, 19}, []int{13, 14, 2}, "NO2 peaks at the rush hours"},
		{air, "o3", []int{14, 15}, []int{3, 4}, "O3 peaks mid-afternoon"},
		{air, "temp", []int{13, 14}, []int{4, 5}, "air is warmest after noon"},
		{ww, "flow", []int{10, 14}, []int{1, 3}, "flow follows the working day"},
		{ww, "cod", []int{10, 14}, []int{1, 3}, "COD follows production"},
	}
	for _, tc := range tests {
		hi, lo := meanAt(m, tc.station, tc.param, tc.high...), meanAt(m, tc.station, tc.param, tc.low...)
		if hi <= lo*1.1 {
			t.Errorf("%s: mean %v at %v is not clearly above %v at %v", tc.description, hi, tc.high, lo, tc.low)
		}
	}
}

func TestDerivedParameters(t *testing.T) {
	st := testStations(t, 3)
	m := Model{Seed: 9}
	for h := range 48 {
		at := time.Date(2026, 11, 1, 0, 0, 0, 0, ict).Add(time.Duration(h) * 30 * time.Minute)
		pm25, pm10 := m.Value(st[0], "pm25", at), m.Value(st[0], "pm10", at)
		if r := pm10 / pm25; r < 1.49 || r > 1.71 {
			t.Errorf("pm10/pm25 = %v/%v = %v at %s, want ≈ 1.6", pm10, pm25, r, at)
		}
		cod, bod := m.Value(st[2], "cod", at), m.Value(st[2], "bod5", at)
		if r := bod / cod; r < 0.24 || r > 0.36 {
			t.Errorf("bod5/cod = %v at %s, want ≈ 0.3", r, at)
		}
	}
}

func TestUnknownParameterIsNaN(t *testing.T) {
	st := testStations(t, 1)
	if v := (&Model{}).Value(st[0], "cod", time.Now()); !math.IsNaN(v) {
		t.Errorf("air station's cod = %v, want NaN", v)
	}
}

func TestEpisodes(t *testing.T) {
	st := testStations(t, 3)
	m := Model{Seed: 3, Violate: 0.05}
	start := time.Date(2026, 11, 1, 0, 0, 0, 0, ict)
	for _, s := range st {
		episodes := map[time.Time]Episode{}
		for at := start; at.Before(start.AddDate(0, 0, 30)); at = at.Add(5 * time.Minute) {
			ep, ok := m.EpisodeAt(s, at)
			if !ok {
				continue
			}
			if at.Before(ep.Start) || !at.Before(ep.End) {
				t.Fatalf("%s at %s: episode %v..%v does not cover it", s.ID, at, ep.Start, ep.End)
			}
			episodes[ep.Start] = ep
			v := m.Value(s, ep.Param, at)
			p, _ := LookupParam(s.Kind, ep.Param)
			if r := v / ep.Limit; r < MinFactor-0.01 || r > MaxFactor+0.01 {
				t.Fatalf("%s %s at %s = %v, %v× the limit %v", s.ID, ep.Param, at, v, r, ep.Limit)
			}
			if round(v, p.Decimals) != v {
				t.Fatalf("episode value %v not rounded", v)
			}
		}
		// 30 days × 24 h × 5 % ≈ 36 starts; some overlap an earlier episode.
		if len(episodes) < 10 || len(episodes) > 60 {
			t.Errorf("%s: %d episodes in 30 days at 5 %%/hour", s.ID, len(episodes))
		}
		for _, ep := range episodes {
			h := ep.End.Sub(ep.Start).Hours()
			_, daily := limit(s, ep.Param, ep.Start)
			if (daily && (h < 4 || h > 8)) || (!daily && (h < 1 || h > 3)) {
				t.Errorf("%s %s episode lasts %vh (daily limit %v)", s.ID, ep.Param, h, daily)
			}
		}
	}
	if _, ok := (&Model{Seed: 3}).EpisodeAt(st[0], start); ok {
		t.Error("episode with Violate 0")
	}
}

func TestWastewaterLimitUsesCoefficients(t *testing.T) {
	st := testStations(t, 3)[2] // kq 0.9, kf 1.0, column B
	if l, _ := limit(st, "cod", time.Now()); math.Abs(l-135) > 1e-9 {
		t.Errorf("COD limit = %v, want 150 × 0.9 = 135", l)
	}
	permit := 100.0
	st2 := *st
	st2.Limits = []quantrac.PermitLimit{{Parameter: "cod", Max: &permit, Period: "1h"}}
	if l, _ := limit(&st2, "cod", time.Now()); l != 100 {
		t.Errorf("COD limit with a permit of 100 = %v", l)
	}
	air := testStations(t, 1)[0]
	if l, _ := limit(air, "pm25", time.Date(2025, 6, 1, 0, 0, 0, 0, ict)); l != 50 {
		t.Errorf("PM2.5 limit in 2025 = %v, want 50", l)
	}
	if l, _ := limit(air, "pm25", time.Date(2026, 6, 1, 0, 0, 0, 0, ict)); l != 45 {
		t.Errorf("PM2.5 limit in 2026 = %v, want 45", l)
	}
}

func TestMessage(t *testing.T) {
	st := testStations(t, 3)
	at := time.Date(2026, 11, 28, 14, 5, 0, 0, ict)
	m := Model{Seed: 1, Params: 6}
	var msg Message
	m.Message(&msg, st[2], at)
	if msg.ID != st[2].ID || msg.PayloadID != st[2].ID || msg.Kind != quantrac.Wastewater || !msg.Time.Equal(at) || msg.Status != "00" {
		t.Errorf("message header %+v", msg)
	}
	want := []string{"flow", "ph", "temp", "cod", "tss", "nh4_n"}
	if len(msg.Readings) != len(want) {
		t.Fatalf("%d readings, want %v", len(msg.Readings), want)
	}
	for i, r := range msg.Readings {
		if r.Param != want[i] || r.Value != m.Value(st[2], r.Param, at) {
			t.Errorf("reading %d = %+v, want %s = %v", i, r, want[i], m.Value(st[2], want[i], at))
		}
	}
}

// Rates of bad messages, calibrating readings and ppb variants follow their probabilities,
// and every bad kind occurs.
func TestMessageVariantRates(t *testing.T) {
	st := testStations(t, 2)
	m := Model{Seed: 11, Bad: 0.1, Calibrate: 0.05, AltUnit: 0.2}
	var msg Message
	var bad, cal, alt, n int
	kinds := map[BadKind]int{}
	at := time.Date(2026, 11, 1, 0, 0, 0, 0, ict)
	for i := range 20000 {
		m.Message(&msg, st[i%2], at.Add(time.Duration(i/2)*time.Minute))
		n++
		if msg.Bad != Good {
			bad++
			kinds[msg.Bad]++
		}
		for _, r := range msg.Readings {
			if r.Status == quantrac.StatusCalibrating {
				cal++
			}
			if r.AltUnit {
				alt++
			}
		}
	}
	check := func(name string, got int, p float64) {
		if f := float64(got) / float64(n); math.Abs(f-p) > p*0.15 {
			t.Errorf("%s rate %v, want ≈ %v", name, f, p)
		}
	}
	check("bad", bad, 0.1)
	check("calibrating", cal, 0.05)
	check("alt unit", alt, 0.2)
	for _, k := range AllBadKinds() {
		if kinds[k] == 0 {
			t.Errorf("bad kind %s never drawn", k)
		}
	}
	m.BadKinds = []BadKind{BadNaN}
	for i := range 1000 {
		m.Message(&msg, st[0], at.Add(time.Duration(i)*time.Minute))
		if msg.Bad != Good && msg.Bad != BadNaN {
			t.Fatalf("drew %s, allowed only nan", msg.Bad)
		}
	}
}

func TestApplyBad(t *testing.T) {
	st := testStations(t, 2)
	at := time.Date(2026, 11, 28, 14, 5, 0, 0, ict)
	now := time.Date(2026, 11, 28, 15, 0, 0, 0, ict)
	m := Model{Seed: 2}
	fresh := func(k BadKind) *Message {
		var msg Message
		m.Message(&msg, st[0], at)
		msg.Bad = k
		msg.ApplyBad(now, st[1].ID)
		return &msg
	}
	count := func(msg *Message, f func(float64) bool) int {
		n := 0
		for _, r := range msg.Readings {
			if f(r.Value) {
				n++
			}
		}
		return n
	}
	if n := count(fresh(BadNaN), math.IsNaN); n != 1 {
		t.Errorf("nan: %d NaN readings", n)
	}
	neg := fresh(BadNegative)
	if n := count(neg, func(v float64) bool { return v < 0 }); n != 1 {
		t.Errorf("negative: %d negative readings", n)
	}
	for _, r := range neg.Readings {
		if r.Value < 0 && r.Param == "temp" {
			t.Error("negative temperature is not a bad reading")
		}
	}
	if msg := fresh(BadFutureTime); !msg.Time.Equal(now.Add(FutureSkew)) {
		t.Errorf("future time %v", msg.Time)
	}
	if msg := fresh(BadUnknownStation); msg.ID != "UNREG-"+st[0].ID || msg.PayloadID != msg.ID {
		t.Errorf("unknown station: topic %s payload %s", msg.ID, msg.PayloadID)
	}
	if msg := fresh(BadWrongStation); msg.ID != st[0].ID || msg.PayloadID != st[1].ID {
		t.Errorf("wrong station: topic %s payload %s", msg.ID, msg.PayloadID)
	}
	if msg := fresh(BadMalformed); msg.ID != st[0].ID || count(msg, math.IsNaN) != 0 {
		t.Error("malformed changed the message; the encoder malforms it")
	}
}

func BenchmarkMessage(b *testing.B) {
	st, _ := Stations(3, 1)
	m := Model{Seed: 1, Violate: 0.01, Bad: 0.01, Calibrate: 0.005, AltUnit: 0.05}
	var msg Message
	at := time.Date(2026, 11, 28, 14, 5, 0, 0, ict)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		m.Message(&msg, st[i%3], at.Add(time.Duration(i)*time.Second))
		i++
	}
}
