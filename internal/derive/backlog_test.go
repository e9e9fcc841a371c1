package derive

import (
	"fmt"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/quantrac/quantrac"
	"github.com/quantrac/quantrac/rules"
	"github.com/quantrac/quantrac/rules/aqi"
)

// ictZone is the stations' zone in these tests (Asia/Ho_Chi_Minh, UTC+7 without DST).
var ictZone = time.FixedZone("ICT", 7*3600)

// backlogStart is the first local midnight of the backlogs.
var backlogStart = time.Date(2026, 11, 25, 0, 0, 0, 0, ictZone)

// pointKey names one stored aqi point: InfluxDB keeps one per station, scheme, period and time.
type pointKey struct {
	scheme, period string
	end            time.Time
}

func (k pointKey) String() string {
	return fmt.Sprintf("%s %s %s", k.scheme, k.period, k.end.In(ictZone).Format("01-02 15:04"))
}

// backlogDeriver returns a Deriver for one station A1 with aqi [vn, us] in Asia/Ho_Chi_Minh.
func backlogDeriver(t *testing.T) (*Deriver, *quantrac.Station) {
	t.Helper()
	st := &quantrac.Station{ID: "A1", Kind: quantrac.Air, AQI: []string{"vn", "us"}, Timezone: "Asia/Ho_Chi_Minh"}
	reg, err := quantrac.NewRegistry(st)
	if err != nil {
		t.Fatal(err)
	}
	cat, err := rules.LoadCatalog()
	if err != nil {
		t.Fatal(err)
	}
	now := func() time.Time { return backlogStart.AddDate(0, 0, 4) }
	return New(rules.NewEngine(cat, reg, now), reg, now), st
}

// hourlyReadings returns the readings of hours [from, to) after backlogStart, one per hour
// and pollutant, each stamped with its hour's end. Each day has its own PM level, so that
// each day's index differs.
func hourlyReadings(from, to int) []quantrac.Reading {
	var rs []quantrac.Reading
	for k := from; k < to; k++ {
		pm := []float64{60, 15, 110}[k/24%3] + float64(k%5)
		for p, v := range map[string]float64{"pm25": pm, "pm10": 1.6 * pm, "o3": 60 + 6*float64(k%24),
			"no2": 40 + float64(k%9), "so2": 30, "co": 2000 + 50*float64(k%6)} {
			rs = append(rs, quantrac.Reading{Station: "A1", Kind: quantrac.Air, Param: p, Value: v,
				Time: backlogStart.Add(time.Duration(k+1) * time.Hour), Status: "00"})
		}
	}
	slices.SortStableFunc(rs, func(a, b quantrac.Reading) int { return a.Time.Compare(b.Time) })
	return rs
}

// reference is what an in-order tracker says of every hour and day of rs (in time order):
// the hourly index of each hour when its last reading is in, the daily index of each day
// when its last reading is in.
func reference(rs []quantrac.Reading) map[pointKey]int {
	tr := aqi.NewTracker(ictZone)
	want := map[pointKey]int{}
	for i, r := range rs {
		tr.Observe(r.Param, r.Time.Add(-time.Nanosecond), r.Value)
		if i+1 < len(rs) && rs[i+1].Time.Equal(r.Time) {
			continue
		}
		for _, s := range []aqi.Scheme{aqi.VN, aqi.US} {
			if idx, ok := tr.Hourly(s, r.Time); ok {
				want[pointKey{string(s), PeriodHourly, r.Time.UTC()}] = idx.Value
			}
			if r.Time.In(ictZone).Hour() != 0 {
				continue
			}
			if idx, ok := tr.Daily(s, r.Time); ok {
				want[pointKey{string(s), PeriodDaily, r.Time.UTC()}] = idx.Value
			}
		}
	}
	return want
}

// derived feeds the messages to d and returns the last value derived for each point and how
// many times each point was derived.
func derived(d *Deriver, st *quantrac.Station, msgs ...[]quantrac.Reading) (last map[pointKey]int, times map[pointKey]int) {
	last, times = map[pointKey]int{}, map[pointKey]int{}
	for _, rs := range msgs {
		e := &quantrac.Envelope{Station: st, Readings: rs}
		d.Observe(e)
		for _, idx := range e.Indices {
			k := pointKey{idx.Scheme, idx.Period, idx.End.UTC()}
			last[k] = idx.Value
			times[k]++
		}
	}
	return last, times
}

// only keeps the points of one period.
func only(m map[pointKey]int, period string) map[pointKey]int {
	out := map[pointKey]int{}
	for k, v := range m {
		if k.period == period {
			out[k] = v
		}
	}
	return out
}

// diff describes how got differs from want.
func diff(got, want map[pointKey]int) string {
	var out []string
	for k, v := range want {
		if g, ok := got[k]; !ok || g != v {
			out = append(out, fmt.Sprintf("%v: got %d (present %v), want %d", k, g, ok, v))
		}
	}
	for k, v := range got {
		if _, ok := want[k]; !ok {
			out = append(out, fmt.Sprintf("%v: got %d, want none", k, v))
		}
	}
	slices.Sort(out)
	return fmt.Sprint(out)
}

// TestAQIBacklogInOneMessage: three days of hourly readings in one message, in order or newest
// first, get the daily index of each of the three days and the hourly index of each hour,
// each once and equal to what an in-order tracker says of it.
func TestAQIBacklogInOneMessage(t *testing.T) {
	rs := hourlyReadings(0, 72) // 25 Nov 01:00 … 28 Nov 00:00: three complete days
	want := reference(rs)
	days := only(want, PeriodDaily)
	if len(days) != 6 {
		t.Fatalf("the reference has %d daily indices, want 3 days × 2 schemes: %v", len(days), days)
	}
	if v := slices.Sorted(maps.Values(days)); v[0] == v[5] {
		t.Fatalf("the days' indices do not differ: %v", days)
	}
	if hours := len(only(want, PeriodHourly)); hours < 2*70 {
		t.Fatalf("the reference has %d hourly indices", hours)
	}
	newestFirst := slices.Clone(rs)
	slices.Reverse(newestFirst)
	for name, msg := range map[string][]quantrac.Reading{"in order": rs, "newest first": newestFirst} {
		t.Run(name, func(t *testing.T) {
			d, st := backlogDeriver(t)
			got, times := derived(d, st, msg)
			if s := diff(got, want); s != "[]" {
				t.Errorf("derived indices differ from the tracker's: %s", s)
			}
			for k, n := range times {
				if n != 1 {
					t.Errorf("%v derived %d times", k, n)
				}
			}
		})
	}
}

// TestAQIStreamInOrderUnchanged: the same readings one message an hour, in order, derive each
// hour's and each day's index once, as they did before backlogs were handled.
func TestAQIStreamInOrderUnchanged(t *testing.T) {
	rs := hourlyReadings(0, 72)
	var msgs [][]quantrac.Reading
	for i := 0; i < len(rs); i += 6 {
		msgs = append(msgs, rs[i:i+6])
	}
	d, st := backlogDeriver(t)
	got, times := derived(d, st, msgs...)
	if s := diff(got, reference(rs)); s != "[]" {
		t.Errorf("derived indices differ from the tracker's: %s", s)
	}
	for k, n := range times {
		if n != 1 {
			t.Errorf("%v derived %d times", k, n)
		}
	}
}

// TestAQIBacklogNewestDayFirst: the three days sent one message a day, newest first, end with
// the indices of the in-order tracker: the newer days are revised with the hours the tracker
// holds; the oldest, beyond them (it holds 25 Nov from 16:00 on when it comes), is computed
// from its own message, with the hours whose NowCast reaches back past 16:00. The NowCasts of
// 26 Nov 00:00–03:00 miss 25 Nov 13:00–15:00, which weigh at most w⁹ in them: with these data
// they round to the in-order index.
func TestAQIBacklogNewestDayFirst(t *testing.T) {
	d, st := backlogDeriver(t)
	got, _ := derived(d, st, hourlyReadings(48, 72), hourlyReadings(24, 48), hourlyReadings(0, 24))
	if s := diff(got, reference(hourlyReadings(0, 72))); s != "[]" {
		t.Errorf("indices differ from the in-order tracker's: %s", s)
	}
}

// TestAQILateReadingRevises: a reading that arrives after its hour was complete changes the
// stored indices of that hour and of the hours and day built on it.
func TestAQILateReadingRevises(t *testing.T) {
	rs := hourlyReadings(0, 48)
	var early, late []quantrac.Reading
	for _, r := range rs {
		if r.Param == "pm25" && r.Time.Equal(backlogStart.Add(30*time.Hour)) {
			r.Value = 400
			late = append(late, r)
			continue
		}
		early = append(early, r)
	}
	d, st := backlogDeriver(t)
	derived(d, st, early)
	got, _ := derived(d, st, late)
	all := append(slices.Clone(early), late...)
	slices.SortStableFunc(all, func(a, b quantrac.Reading) int { return a.Time.Compare(b.Time) })
	want := map[pointKey]int{}
	for k, v := range reference(all) {
		// the late reading's hour (26 Nov 05:00–06:00), the 11 after, and its day
		hour := k.period == PeriodHourly && !k.end.Before(backlogStart.Add(30*time.Hour)) && !k.end.After(backlogStart.Add(41*time.Hour))
		if hour || k.period == PeriodDaily && k.end.Equal(backlogStart.AddDate(0, 0, 2)) {
			want[k] = v
		}
	}
	if len(want) != 2*13 {
		t.Fatalf("the reference has %d hourly indices for the revised hours", len(want))
	}
	if s := diff(got, want); s != "[]" {
		t.Errorf("revised indices differ from the tracker's: %s", s)
	}
}

// TestAQIOldPartialDay: a message with part of a day older than the tracker holds writes the
// hourly indices of its hours but no daily index for the day, which it does not cover whole.
func TestAQIOldPartialDay(t *testing.T) {
	d, st := backlogDeriver(t)
	derived(d, st, hourlyReadings(72, 96)) // 28 Nov: the tracker holds from 26 Nov 17:00 on
	got, _ := derived(d, st, hourlyReadings(6, 18))
	want := map[pointKey]int{}
	for k, v := range reference(hourlyReadings(6, 18)) {
		if k.period == PeriodHourly {
			want[k] = v
		}
	}
	if len(want) < 2*10 {
		t.Fatalf("the reference has %d hourly indices", len(want))
	}
	if s := diff(got, want); s != "[]" {
		t.Errorf("indices of the old partial day: %s", s)
	}
}
