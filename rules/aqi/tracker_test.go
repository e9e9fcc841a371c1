package aqi

import (
	"maps"
	"math"
	"slices"
	"testing"
	"time"
	_ "time/tzdata" // zones with daylight saving time, wherever the tests run

	"github.com/quantrac/quantrac/param"
)

// ict is Vietnam's zone (UTC+7, no DST), fixed so that tests need no tzdata.
var ict = time.FixedZone("ICT", 7*3600)

// day is the local day the synthetic series describe.
var day = time.Date(2026, 11, 28, 0, 0, 0, 0, ict)

// at returns the local time h hours (and m minutes) after midnight of day.
func at(h, m int) time.Time {
	return day.Add(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute)
}

// feedHour adds twelve 5-minute readings (hh:00 … hh:55) whose mean is v: v ± v/10 alternately,
// as a Circular 10/2021 station reports them.
func feedHour(t *Tracker, p string, start time.Time, v float64) {
	for i := range 12 {
		d := v / 10
		if i%2 == 1 {
			d = -d
		}
		t.Observe(p, start.Add(time.Duration(i)*5*time.Minute), v+d)
	}
}

// ug converts a value in ppb or ppm to µg/m³ through package param.
func ug(tb testing.TB, p string, v float64, unit string) float64 {
	tb.Helper()
	prm, ok := param.Lookup(p)
	if !ok {
		tb.Fatalf("no parameter %s", p)
	}
	c, err := prm.ToCanonical(v, unit)
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

func checkIndex(t *testing.T, name string, got Index, ok bool, want int, dominant string, sub map[string]int) {
	t.Helper()
	if !ok {
		t.Fatalf("%s: no index, want %d", name, want)
	}
	if got.Value != want || got.Dominant != dominant || !maps.Equal(got.Sub, sub) {
		t.Errorf("%s: %d dominant %s sub %v; want %d dominant %s sub %v", name, got.Value, got.Dominant, got.Sub, want, dominant, sub)
	}
	if got.Category != CategoryOf(want) {
		t.Errorf("%s: category %+v, want %+v", name, got.Category, CategoryOf(want))
	}
}

// TestTrackerHourlyDecisionExample feeds the hourly means of Decision 1459 mục 2.3 a–b as
// 5-minute readings. Hourly means are labelled by the end of the hour: the 20:00 mean is the
// hour 19:00–20:00.
func TestTrackerHourlyDecisionExample(t *testing.T) {
	tr := NewTracker(ict)
	for i, v := range decisionPM25 { // 20:00 label first
		feedHour(tr, "pm25", at(19-i, 0), v)
	}
	feedHour(tr, "o3", at(19, 0), 136.1)
	feedHour(tr, "no2", at(19, 0), 118.7)
	feedHour(tr, "pm25", at(20, 0), 80) // the current, incomplete hour is not used
	tr.Observe("tsp", at(19, 10), 1e6)  // not an AQI pollutant
	tr.Observe("pm25", at(19, 10), math.NaN())

	for _, now := range []time.Time{at(20, 0), at(20, 7), at(20, 59)} {
		got, ok := tr.Hourly(VN, now)
		// The Decision prints AQIʰ = 60 from AQI(NO2) = 60; 59.35 rounds to 59 (see doc.go).
		checkIndex(t, "VN "+now.Format("15:04"), got, ok, 59, "no2", map[string]int{"pm25": 41, "o3": 43, "no2": 59})
		if !got.Start.Equal(at(19, 0)) || !got.End.Equal(at(20, 0)) {
			t.Errorf("VN %s: period %v–%v, want 19:00–20:00", now.Format("15:04"), got.Start, got.End)
		}
	}
	// US: NowCast 20.27 truncates to 20.2 -> 72; NO2 118.7 µg/m³ = 63.08 ppb -> 63 -> 61; O3
	// 69 ppb has no 1 h index (from 125 ppb) and one hour makes no 8 h mean.
	got, ok := tr.Hourly(US, at(20, 7))
	checkIndex(t, "US", got, ok, 72, "pm25", map[string]int{"pm25": 72, "no2": 61})
}

// TestTrackerDailyDecisionExample uses the O3 series of Decision 1459 mục 2.2.2.a (hourly means
// labelled 18:00 the day before to 00:00 the day after; its largest 8 h mean is 74.4) with the
// daily values of mục 2.3.c: PM2.5 24 h mean 55.7 -> 110, NO2 largest 1 h mean 130.8 -> 65.
func TestTrackerDailyDecisionExample(t *testing.T) {
	o3 := []float64{ // labels 18:00 … 23:00, 00:00 of the day before, then 01:00 … 00:00
		15.7, 14.2, 17.7, 18.9, 19.3, 15.7, 19.7,
		22.6, 27.1, 29.0, 31.9, 25.3, 34.7, 35.2, 41.6, 45.7, 49.2, 55.8, 69.6,
		78.3, 91.5, 97.7, 81.2, 71.8, 43.5, 34.3, 21.5, 20.5, 19.4, 20.4, 21.3,
	}
	tr := NewTracker(ict)
	for i, v := range o3 {
		feedHour(tr, "o3", at(i-7, 0), v) // label 18:00 the day before = hour 17:00–18:00
	}
	for h := range 24 {
		feedHour(tr, "pm25", at(h, 0), 55.7)
		no2 := 50.0
		if h == 8 {
			no2 = 130.8
		}
		feedHour(tr, "no2", at(h, 0), no2)
	}
	// The Decision's 8 h means: label 01:00 (hours 18:00 … 01:00) = 18.0, label 17:00 = 74.4.
	first, _ := tr.window(o3Slot(), tr.hourOf(at(0, 0)), 8, need8h)
	best, _ := tr.maxWindow(o3Slot(), tr.hourOf(at(0, 0)), tr.hourOf(at(24, 0)), 8, need8h)
	if math.Round(first*10)/10 != 18.0 || math.Round(best*10)/10 != 74.4 {
		t.Errorf("8 h means: first %v (Decision 18.0), largest %v (Decision 74.4)", first, best)
	}
	// O3: max(1 h 97.7 -> 30.5, 8 h 74.39 -> 37.2) = 37.
	for _, now := range []time.Time{at(24, 0), at(24+8, 0), at(47, 59)} {
		got, ok := tr.Daily(VN, now)
		checkIndex(t, "VN daily at "+now.Format("Jan 2 15:04"), got, ok, 110, "pm25", map[string]int{"pm25": 110, "o3": 37, "no2": 65})
		if !got.Start.Equal(day) || !got.End.Equal(at(24, 0)) {
			t.Errorf("daily period %v–%v, want the local day %v", got.Start, got.End, day)
		}
	}
	// Asked during the day itself, the daily index is the previous day's: no PM there.
	if got, ok := tr.Daily(VN, at(23, 0)); ok {
		t.Errorf("daily during the day: %+v, want none (the day before has no data)", got)
	}
}

func o3Slot() int { return o3 }

// TestTrackerCompleteness: the 24 h PM mean needs 18 hourly means, VN needs PM, NowCast needs 2
// of the 3 most recent hours.
func TestTrackerCompleteness(t *testing.T) {
	tr := NewTracker(ict)
	for h := range 17 {
		feedHour(tr, "pm10", at(h, 0), 100)
	}
	if got, ok := tr.Daily(VN, at(30, 0)); ok {
		t.Errorf("17 hours of PM10: %+v, want no daily index", got)
	}
	feedHour(tr, "pm10", at(23, 0), 100)
	got, ok := tr.Daily(VN, at(30, 0))
	checkIndex(t, "18 hours of PM10", got, ok, 75, "pm10", map[string]int{"pm10": 75})

	gas := NewTracker(ict)
	feedHour(gas, "no2", at(5, 0), 250)
	if got, ok := gas.Hourly(VN, at(6, 0)); ok {
		t.Errorf("VN without PM: %+v, want none (Decision 1459 mục 2.1.b)", got)
	}
	got, ok = gas.Hourly(US, at(6, 0))
	checkIndex(t, "US without PM", got, ok, 107, "no2", map[string]int{"no2": 107}) // 132.8 ppb -> 132

	if _, ok := gas.Hourly("eu", at(6, 0)); ok {
		t.Error("unknown scheme: an index")
	}
	if _, ok := gas.Daily("eu", at(30, 0)); ok {
		t.Error("unknown scheme: a daily index")
	}

	gap := NewTracker(ict)
	for h := range 10 {
		feedHour(gap, "pm25", at(h, 0), 30)
	}
	// Hours 10 and 11 missing: at 12:00, c1 and c2 are missing.
	if got, ok := gap.Hourly(VN, at(12, 0)); ok {
		t.Errorf("c1, c2 missing: %+v, want no NowCast", got)
	}
	// At 11:00 only c1 is missing: 2 of 3.
	got, ok = gap.Hourly(VN, at(11, 0))
	checkIndex(t, "c1 missing", got, ok, 60, "pm25", map[string]int{"pm25": 60})
}

// TestTrackerConstantPM: twelve hours of constant PM2.5 give the table value of that
// concentration in both schemes (an acceptance check).
func TestTrackerConstantPM(t *testing.T) {
	for _, s := range []Scheme{VN, US} {
		for _, c := range []float64{3, 9, 9.1, 25, 35.4, 35.5, 55.4, 80, 125.4, 150, 225.4, 325.4, 500} {
			tr := NewTracker(ict)
			for h := range 12 {
				for m := 0; m < 60; m += 5 {
					tr.Observe("pm25", at(h, m), c)
				}
			}
			want, _ := SubIndex(s, "pm25", "24h", c)
			got, ok := tr.Hourly(s, at(12, 3))
			if !ok || got.Value != Round(want) {
				t.Errorf("%s %g µg/m³ for 12 h: %d (%v), table %d", s, c, got.Value, ok, Round(want))
			}
		}
	}
}

// TestTrackerUSRules: O3 8 h vs 1 h, CO 8 h, SO2 1 h vs 24 h.
func TestTrackerUSRules(t *testing.T) {
	cases := []struct {
		name     string
		feed     func(tr *Tracker)
		want     int
		dominant string
		sub      map[string]int
	}{
		{"O3 8 h at 80 ppb; 1 h below 125 ppb defines nothing", func(tr *Tracker) {
			for h := range 8 {
				feedHour(tr, "o3", at(h, 0), ug(t, "o3", 80, "ppb"))
			}
		}, 133, "o3", map[string]int{"o3": 133}},
		{"O3 larger of 8 h (107 ppb -> 202) and 1 h (300 ppb -> 248)", func(tr *Tracker) {
			for h := range 7 {
				feedHour(tr, "o3", at(h, 0), ug(t, "o3", 80, "ppb"))
			}
			feedHour(tr, "o3", at(7, 0), ug(t, "o3", 300, "ppb"))
		}, 248, "o3", map[string]int{"o3": 248}},
		{"O3 8 h above 0.200 ppm: 1 h only", func(tr *Tracker) {
			for h := range 8 {
				feedHour(tr, "o3", at(h, 0), ug(t, "o3", 0.250, "ppm"))
			}
		}, 223, "o3", map[string]int{"o3": 223}},
		{"O3 5 of 8 hours: no 8 h mean", func(tr *Tracker) {
			for h := 3; h < 8; h++ {
				feedHour(tr, "o3", at(h, 0), ug(t, "o3", 80, "ppb"))
			}
			feedHour(tr, "pm25", at(6, 0), 9)
			feedHour(tr, "pm25", at(7, 0), 9)
		}, 50, "pm25", map[string]int{"pm25": 50}},
		{"CO 8 h mean 9.5 ppm", func(tr *Tracker) {
			for h := range 8 {
				feedHour(tr, "co", at(h, 0), ug(t, "co", 9.5, "ppm"))
			}
		}, 101, "co", map[string]int{"co": 101}},
		{"SO2 1 h 400 ppb, 24 h mean low: 200", func(tr *Tracker) {
			for h := -16; h < 7; h++ {
				feedHour(tr, "so2", at(h, 0), ug(t, "so2", 10, "ppb"))
			}
			feedHour(tr, "so2", at(7, 0), ug(t, "so2", 400, "ppb"))
		}, 200, "so2", map[string]int{"so2": 200}},
		{"SO2 400 ppb for 24 h: 24 h column", func(tr *Tracker) {
			for h := -16; h < 8; h++ {
				feedHour(tr, "so2", at(h, 0), ug(t, "so2", 400, "ppb"))
			}
		}, 232, "so2", map[string]int{"so2": 232}},
		{"SO2 1 h 75 ppb", func(tr *Tracker) {
			feedHour(tr, "so2", at(7, 0), ug(t, "so2", 75, "ppb"))
		}, 100, "so2", map[string]int{"so2": 100}},
	}
	for _, c := range cases {
		tr := NewTracker(ict)
		c.feed(tr)
		got, ok := tr.Hourly(US, at(8, 0))
		checkIndex(t, c.name, got, ok, c.want, c.dominant, c.sub)
	}
}

// TestTrackerDailyO3Rule: VN daily O3 skips the 8 h part when the day's largest 8 h mean is above
// 400 µg/m³ (Decision 1459 mục 2.2.2.b); otherwise the larger of 1 h and 8 h wins.
func TestTrackerDailyO3Rule(t *testing.T) {
	for _, c := range []struct {
		o3   float64
		want int
	}{
		{450, 213}, // 1 h: 200 + 100 × 50/400 = 212.5; 8 h: none above 400
		{300, 247}, // 1 h: 150; 8 h: 200 + 100 × 90/190 = 247.4
		{400, 300}, // 8 h at its top: 300; 1 h: 200
	} {
		tr := NewTracker(ict)
		for h := -7; h < 24; h++ {
			feedHour(tr, "o3", at(h, 0), c.o3)
			feedHour(tr, "pm25", at(h, 0), 10)
		}
		got, ok := tr.Daily(VN, at(30, 0))
		checkIndex(t, "O3 constant", got, ok, c.want, "o3", map[string]int{"o3": c.want, "pm25": 20})
	}
}

// TestTrackerUSDaily: 24 h PM, largest 8 h CO and O3, largest 1 h NO2.
func TestTrackerUSDaily(t *testing.T) {
	tr := NewTracker(ict)
	for h := -7; h < 24; h++ {
		co, no2 := 4.0, 40.0
		if h >= 12 && h < 20 {
			co = 9.5
		}
		if h == 15 {
			no2 = 101
		}
		feedHour(tr, "pm25", at(h, 0), 35.4)
		feedHour(tr, "co", at(h, 0), ug(t, "co", co, "ppm"))
		feedHour(tr, "o3", at(h, 0), ug(t, "o3", 40, "ppb"))
		feedHour(tr, "no2", at(h, 0), ug(t, "no2", no2, "ppb"))
	}
	got, ok := tr.Daily(US, at(25, 0))
	// CO: one 8 h window at 9.5 ppm -> 101; NO2 101 ppb -> 101; O3 0.040 ppm -> 37; PM2.5 35.4 -> 100.
	checkIndex(t, "US daily", got, ok, 101, "no2", map[string]int{"pm25": 100, "co": 101, "o3": 37, "no2": 101})
}

// TestTrackerBuckets: late readings count, readings older than the ring are ignored, minimum
// readings per hour, and local clock hours in a zone with a half-hour offset.
func TestTrackerBuckets(t *testing.T) {
	tr := NewTracker(ict)
	tr.Observe("pm25", at(30, 0), 10)
	tr.Observe("pm25", at(29, 30), 20) // late, but within the ring
	if m, ok := tr.mean(pm25, tr.hourOf(at(29, 0))); !ok || m != 20 {
		t.Errorf("late reading: %v, %v", m, ok)
	}
	tr.Observe("pm25", at(30-ringHours, 0), 99) // as old as the ring: ignored
	if _, ok := tr.mean(pm25, tr.hourOf(at(30-ringHours, 0))); ok {
		t.Error("a reading older than the ring was kept")
	}
	if m, _ := tr.mean(pm25, tr.hourOf(at(30, 0))); m != 10 {
		t.Errorf("an old reading overwrote the newest hour: %v", m)
	}
	tr.Observe("pm25", at(30+ringHours, 0), 5) // same slot, 64 hours on: replaces the hour
	if m, _ := tr.mean(pm25, tr.hourOf(at(30+ringHours, 0))); m != 5 {
		t.Errorf("ring slot reuse: %v", m)
	}
	if _, ok := tr.mean(pm25, tr.hourOf(at(30, 0))); ok {
		t.Error("a slot kept an hour that left the ring")
	}
	// Another pollutant's hour leaves its ring when the newest hour of any pollutant moves on.
	tr.Observe("pm10", at(31+ringHours, 0), 40)
	tr.Observe("pm25", at(31+2*ringHours, 0), 7)
	if m, ok := tr.mean(pm10, tr.hourOf(at(31+2*ringHours, 0))); ok {
		t.Errorf("PM10 has a mean %v for an hour it never had: its slot kept an hour that left", m)
	}
	if _, ok := tr.mean(pm25, tr.hourOf(at(31+3*ringHours, 0))); ok {
		t.Error("an hour newer than every hour held has a mean")
	}

	// An hour counts up to maxPerHour readings; later ones leave its mean as it is.
	dense := NewTracker(ict)
	dense.ObserveHour("pm25", at(5, 0), 10*maxPerHour, maxPerHour)
	dense.Observe("pm25", at(4, 30), 1e6)
	if m, ok := dense.mean(pm25, dense.hourOf(at(4, 30))); !ok || m != 10 {
		t.Errorf("a full hour's mean: %v, %v; want 10", m, ok)
	}

	strict := NewTracker(ict)
	strict.MinPerHour = 9
	for m := 0; m < 40; m += 5 { // 8 of 12 readings
		strict.Observe("pm25", at(3, m), 10)
	}
	if _, ok := strict.mean(pm25, strict.hourOf(at(3, 0))); ok {
		t.Error("MinPerHour 9: an hour with 8 readings has a mean")
	}
	strict.Observe("pm25", at(3, 40), 10)
	if _, ok := strict.mean(pm25, strict.hourOf(at(3, 0))); !ok {
		t.Error("MinPerHour 9: an hour with 9 readings has no mean")
	}

	india := time.FixedZone("IST", 5*3600+1800)
	in := NewTracker(india)
	base := time.Date(2026, 11, 28, 10, 45, 0, 0, india)
	in.Observe("pm25", base, 10)                      // 10:45 -> hour 10:00–11:00
	in.Observe("pm25", base.Add(-50*time.Minute), 30) // 09:55 -> hour 09:00–10:00
	in.Observe("pm25", base.Add(-20*time.Minute), 20) // 10:25 -> hour 10:00–11:00
	if m, _ := in.mean(pm25, in.hourOf(base)); m != 15 {
		t.Errorf("+05:30 local hour mean %v, want 15", m)
	}
	got, ok := in.Hourly(VN, base.Add(15*time.Minute)) // 11:00
	if !ok || !got.Start.Equal(time.Date(2026, 11, 28, 10, 0, 0, 0, india)) {
		t.Errorf("+05:30: %+v, %v; want the hour from 10:00 local", got, ok)
	}
}

// TestHourOfAcrossZoneChanges checks the cached zone offset against a lookup per instant,
// every 7 minutes through Berlin's and Lord Howe Island's (30-minute) daylight-saving
// changes, forwards and then backwards in time.
func TestHourOfAcrossZoneChanges(t *testing.T) {
	for _, name := range []string{"Europe/Berlin", "Australia/Lord_Howe"} {
		loc, err := time.LoadLocation(name)
		if err != nil {
			t.Fatal(err)
		}
		tr := NewTracker(loc)
		var instants []time.Time
		for at := time.Date(2026, 3, 28, 0, 0, 0, 0, time.UTC); at.Before(time.Date(2026, 10, 27, 0, 0, 0, 0, time.UTC)); at = at.Add(7 * time.Minute) {
			instants = append(instants, at)
		}
		check := func(at time.Time) {
			_, off := at.In(loc).Zone()
			if got, want := tr.hourOf(at), floorDiv(at.Unix()+int64(off), 3600); got != want {
				t.Fatalf("%s %s: hour %d, want %d", name, at, got, want)
			}
		}
		for _, at := range instants {
			check(at)
		}
		for _, at := range slices.Backward(instants) {
			check(at)
		}
	}
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b < 0 {
		q--
	}
	return q
}

// TestTrackerHolds: Holds and Oldest say which hours the tracker keeps — the 56 clock hours
// ending with the newest observed — in the local zone, including a +05:30 one.
func TestTrackerHolds(t *testing.T) {
	for _, loc := range []*time.Location{ict, time.FixedZone("IST", 5*3600+1800)} {
		tr := NewTracker(loc)
		newest := time.Date(2026, 11, 28, 14, 20, 0, 0, loc)
		if !tr.Holds(newest.AddDate(-1, 0, 0)) || !tr.Oldest().IsZero() {
			t.Errorf("%v: an empty tracker must hold every hour and have no oldest", loc)
		}
		tr.Observe("pm25", newest, 30)
		oldest := time.Date(2026, 11, 26, 7, 0, 0, 0, loc) // 14:00 − 55 h
		if got := tr.Oldest(); !got.Equal(oldest) {
			t.Errorf("%v: oldest %v, want %v", loc, got, oldest)
		}
		if !tr.Holds(oldest) || tr.Holds(oldest.Add(-time.Nanosecond)) {
			t.Errorf("%v: Holds disagrees with Oldest %v", loc, oldest)
		}
		tr.Observe("pm25", oldest.Add(-time.Minute), 500) // dropped, as Holds says
		if _, ok := tr.mean(pm25, tr.hourOf(oldest.Add(-time.Minute))); ok {
			t.Errorf("%v: a reading before Oldest was kept", loc)
		}
	}
	if !Indexed("o3") || Indexed("tsp") {
		t.Error("Indexed: o3 is a pollutant of the indices, tsp is not")
	}
}
