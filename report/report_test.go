package report

import (
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/quantrac/quantrac"
	"github.com/quantrac/quantrac/archive"
	"github.com/quantrac/quantrac/rules"
)

// hours builds two days of hours ending after from, 12 expected readings each, with fn
// setting the valid and excluded readings of hour i.
func hours(from time.Time, n int, fn func(i int) (valid, excluded int)) archive.Series {
	s := archive.Series{Param: "cod"}
	for i := range n {
		v, x := fn(i)
		s.Hours = append(s.Hours, archive.Hour{End: from.Add(time.Duration(i+1) * time.Hour), Valid: v, Excluded: x,
			Expected: max(0, 12-x), Mean: math.NaN()})
	}
	return s
}

// A day with 7 hours in maintenance can never have 18 valid hours: it is excluded, not
// failed; a day with 6 keeps 18 expected hours; hours made of calibration only are excluded.
func TestCaptureDays(t *testing.T) {
	loc, _ := time.LoadLocation("Asia/Ho_Chi_Minh")
	from := time.Date(2026, 11, 1, 0, 0, 0, 0, loc)
	to := from.Add(72 * time.Hour)
	ser := hours(from, 72, func(i int) (int, int) {
		switch {
		case i < 7: // day 1: 7 hours in maintenance, the rest valid
			return 0, 12
		case i >= 24 && i < 30: // day 2: 6 hours in maintenance, the rest valid
			return 0, 12
		case i >= 48 && i < 55: // day 3: 7 hours with 8 of 12 readings: invalid, the day fails
			return 8, 0
		case i == 60: // 6 in calibration, 5 valid: 5 of 6 expected is valid
			return 5, 6
		}
		return 12, 0
	})
	c := capture(ser, loc, from, to)
	want := Capture{Parameter: "cod", Unit: "mg/L", Hours: 72, ExpectedHours: 59, ValidHours: 52, ExcludedHours: 13,
		Days: 3, ExpectedDays: 2, ValidDays: 1, ExcludedDays: 1,
		ReadingsExpected: 72*12 - 13*12 - 6, ReadingsValid: 52*12 - 7 + 7*8, ReadingsExcluded: 13*12 + 6}
	want.HourCapture, want.DayCapture = percent(52, 59), 50
	if c != want {
		t.Errorf("capture\n got %+v\nwant %+v", c, want)
	}
}

// A month in progress counts only its complete days.
func TestCapturePartialDay(t *testing.T) {
	from := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	c := capture(hours(from, 30, func(int) (int, int) { return 12, 0 }), time.UTC, from, from.Add(30*time.Hour))
	if c.Days != 1 || c.ValidDays != 1 || c.ValidHours != 30 {
		t.Errorf("capture %+v, want 1 complete day and 30 valid hours", c)
	}
}

func TestVerdictsAndProvinces(t *testing.T) {
	met := Station{ID: "A", Kind: quantrac.Wastewater, Province: "Lai Châu",
		Limits:     []Exceedance{{Regulation: "QCVN-40:2011/B", Parameter: "cod", Period: "1h"}},
		Parameters: []Capture{{Parameter: "cod", ExpectedHours: 10, ValidHours: 9, HourCapture: 90}}}
	violated := met
	violated.ID, violated.Limits = "B", []Exceedance{{Regulation: "QCVN-40:2011/B", Parameter: "cod", Period: "1h", InForceAtStart: true}}
	thin := met
	thin.ID, thin.Parameters = "C", []Capture{{Parameter: "cod", ExpectedHours: 10, ValidHours: 7, HourCapture: 70}}
	air := Station{ID: "D", Kind: quantrac.Air, Province: "Lai Châu",
		Limits: []Exceedance{{Regulation: "QCVN-05:2023", Force: rules.ForceBinding, Parameter: "pm25", Period: "24h"},
			{Regulation: "WHO-2021", Force: rules.ForceReference, Parameter: "pm25", Period: "24h", Started: 2}},
		Parameters: []Capture{{Parameter: "pm25", ExpectedHours: 10, ValidHours: 10, HourCapture: 100}}}
	// A parameter only a reference limits (WHO's CO) lacking data makes no verdict insufficient.
	whoThin := air
	whoThin.ID = "E"
	whoThin.Limits = append(slices.Clone(air.Limits), Exceedance{Regulation: "WHO-2021", Force: rules.ForceReference, Parameter: "co", Period: "1h"})
	whoThin.Parameters = append(slices.Clone(air.Parameters), Capture{Parameter: "co", ExpectedHours: 10, ValidHours: 1, HourCapture: 10})
	st := []Station{met, violated, thin, air, whoThin}
	for i := range st {
		st[i].Verdict = verdict(&st[i], "")
	}
	for i, want := range []string{VerdictMet, VerdictNotMet, VerdictInsufficient, VerdictMet, VerdictMet} {
		if st[i].Verdict != want {
			t.Errorf("station %s verdict %s, want %s", st[i].ID, st[i].Verdict, want)
		}
	}
	p := provinces(st)
	if len(p) != 1 {
		t.Fatalf("provinces %+v", p)
	}
	ww, a := p[0].Wastewater, p[0].Air
	if strings.Join(ww.Met, ",") != "A" || strings.Join(ww.NotMet, ",") != "B" || strings.Join(ww.Insufficient, ",") != "C" || math.Abs(ww.Percent-100.0/3) > 1e-9 {
		t.Errorf("wastewater indicator %+v", ww)
	}
	// WHO's exceedances do not count against QCVN 05:2023.
	if strings.Join(a.Met, ",") != "D,E" || a.Percent != 100 {
		t.Errorf("air indicator %+v", a)
	}
	if p[0].ExpectedHours != 60 || p[0].ValidHours != 46 || p[0].Capture != percent(46, 60) {
		t.Errorf("network capture %+v", p[0])
	}
}

// QCVN 40:2011 B limits are scaled by the station's Kq × Kf; a permit limit in another unit is
// converted; uncertain values are left out as the engine leaves them out.
func TestStationLimits(t *testing.T) {
	cat, err := rules.LoadCatalog()
	if err != nil {
		t.Fatal(err)
	}
	permitMax := 75000.0
	reg, err := quantrac.NewRegistry(&quantrac.Station{ID: "WW", Kind: quantrac.Wastewater, Regulations: []string{"QCVN-40:2011/B"},
		Coefficients: map[string]float64{"kq": 0.9, "kf": 1.1},
		Limits:       []quantrac.PermitLimit{{Parameter: "cod", Max: &permitMax, Unit: "µg/L", Period: "1h"}}})
	if err != nil {
		t.Fatal(err)
	}
	var cod, permit *Limit
	ls := StationLimits(cat, reg.Station("WW"))
	for i := range ls {
		switch k := ls[i].Key(); {
		case strings.HasPrefix(k, "cod QCVN-40:2011/B "): // 1h, or sample with the rules of QCVN 40 as the regulation words it
			cod = &ls[i]
		case k == "cod permit 1h":
			permit = &ls[i]
		}
	}
	if cod == nil || math.Abs(*cod.Versions[0].Max-150*0.9*1.1) > 1e-9 {
		t.Errorf("QCVN 40 COD limit %+v, want 150 × 0.9 × 1.1", cod)
	}
	if permit == nil || *permit.Versions[0].Max != 75 || permit.Unit != "mg/L" {
		t.Errorf("permit COD limit %+v, want 75 mg/L", permit)
	}
}

// The periods are those the rules evaluate: sample limits (and permit limits without a
// period) per sample, or on hourly means for a station with basis 1h (pH on the hour's
// lowest and highest reading).
func TestStationLimitsBasis(t *testing.T) {
	cat, err := rules.LoadCatalog()
	if err != nil {
		t.Fatal(err)
	}
	permitMax := 80.0
	for _, c := range []struct {
		basis string
		want  []string
	}{
		{"", []string{"cod QCVN-40:2011/B sample mean", "ph QCVN-40:2011/B sample mean", "cod permit sample mean"}},
		{quantrac.Basis1h, []string{"cod QCVN-40:2011/B 1h mean", "ph QCVN-40:2011/B 1h range", "cod permit 1h mean"}},
	} {
		reg, err := quantrac.NewRegistry(&quantrac.Station{ID: "WW", Kind: quantrac.Wastewater, Regulations: []string{"QCVN-40:2011/B"},
			Coefficients: map[string]float64{"kq": 0.9, "kf": 1.1}, Basis: c.basis,
			Limits: []quantrac.PermitLimit{{Parameter: "cod", Max: &permitMax}}})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, l := range StationLimits(cat, reg.Station("WW")) {
			got = append(got, l.Key()+" "+l.Statistic)
		}
		for _, w := range c.want {
			if !slices.Contains(got, w) {
				t.Errorf("basis %q: no %q in %q", c.basis, w, got)
			}
		}
	}
}

func TestParseMonth(t *testing.T) {
	m, err := ParseMonth("2026-11")
	if err != nil || m.String() != "2026-11" || m.Previous().String() != "2026-10" || (Month{2026, 1}).Previous().String() != "2025-12" {
		t.Errorf("ParseMonth: %v %v", m, err)
	}
	loc, _ := time.LoadLocation("Asia/Ho_Chi_Minh")
	from, to := m.Bounds(loc)
	if from.UTC().Format(time.RFC3339) != "2026-10-31T17:00:00Z" || to.Sub(from) != 30*24*time.Hour {
		t.Errorf("bounds %v %v", from, to)
	}
	for _, bad := range []string{"", "2026-13", "2026-1", "11-2026", "2026-11-01"} {
		if _, err := ParseMonth(bad); err == nil || !strings.Contains(err.Error(), "YYYY-MM") {
			t.Errorf("ParseMonth(%q) = %v, want an error naming YYYY-MM", bad, err)
		}
	}
	// Before 1970 InfluxDB's nanosecond times wrap around; after 2200 nothing can be stored.
	for _, far := range []string{"0000-01", "1442-05", "1969-12", "2201-01", "9999-12"} {
		if _, err := ParseMonth(far); err == nil || !strings.Contains(err.Error(), "between 1970 and 2200") {
			t.Errorf("ParseMonth(%q) = %v, want an error naming 1970 to 2200", far, err)
		}
	}
	for _, ok := range []string{"1970-01", "2200-12"} {
		if _, err := ParseMonth(ok); err != nil {
			t.Errorf("ParseMonth(%q): %v", ok, err)
		}
	}
}

func FuzzParseMonth(f *testing.F) {
	for _, s := range []string{"2026-11", "0000-01", "9999-12", "2026-00", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, err := ParseMonth(s)
		if err == nil && m.String() != s {
			t.Errorf("ParseMonth(%q) = %s", s, m)
		}
	})
}

// A violation of a limit the station's list lacks (another basis, a limit removed since) still
// gets its row: nothing in InfluxDB goes uncounted.
func TestExceedancesUnlisted(t *testing.T) {
	limits := []Limit{{Regulation: "QCVN-40:2011/B", Parameter: "cod", Period: "sample", Versions: []Version{{}}}}
	ts := []quantrac.Transition{
		{Parameter: "cod", Regulation: "QCVN-40:2011/B", Period: "1h", State: quantrac.ViolationStarted, Limit: 135},
		{Parameter: "cod", Regulation: "QCVN-40:2011/B", Period: "1h", State: quantrac.ViolationEnded, Limit: 135},
		{Parameter: "cod", Regulation: "QCVN-40:2011/B", Period: "sample", State: quantrac.ViolationStarted, Limit: 135},
	}
	got := exceedances(limits, ts, []string{"cod QCVN-40:2011/B 1h"}, time.Now())
	if len(got) != 2 || got[0].Started != 1 || got[1].Period != "1h" || got[1].Started != 1 || !got[1].InForceAtStart || *got[1].Max != 135 {
		t.Errorf("exceedances %+v", got)
	}
}
