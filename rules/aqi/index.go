package aqi

import (
	"math"
	"time"
)

// Index is the index of one station for one clock hour or one local day.
type Index struct {
	Value    int            // the largest sub-index, rounded half-up
	Category Category       // band of Value
	Dominant string         // pollutant with the largest sub-index (ties: pm25, pm10, o3, no2, so2, co)
	Sub      map[string]int // rounded sub-index of every pollutant that had one
	// Start and End bound the period described: one clock hour for Hourly, one local day
	// (midnight to midnight) for Daily.
	Start, End time.Time
}

// subs collects the unrounded sub-indices of one computation.
type subs struct {
	v  [numPollutants]float64
	ok [numPollutants]bool
}

func (s *subs) set(p int, v float64) { s.v[p], s.ok[p] = v, true }

// setMax records the larger of a pollutant's current sub-index and v.
func (s *subs) setMax(p int, v float64) {
	if !s.ok[p] || v > s.v[p] {
		s.set(p, v)
	}
}

// index builds the Index; ok is false when no sub-index is present or, for VN_AQI, when
// neither PM10 nor PM2.5 has one (Decision 1459 mục 2.1.b: at least one of them is mandatory).
func (s *subs) index(scheme Scheme, start, end time.Time) (Index, bool) {
	if scheme == VN && !s.ok[pm25] && !s.ok[pm10] {
		return Index{}, false
	}
	dom, best := -1, math.Inf(-1)
	for p := range numPollutants {
		if s.ok[p] && s.v[p] > best {
			dom, best = p, s.v[p]
		}
	}
	if dom < 0 {
		return Index{}, false
	}
	idx := Index{Value: Round(best), Dominant: pollutantID(dom), Sub: map[string]int{}, Start: start, End: end}
	idx.Category = CategoryOf(idx.Value)
	for p := range numPollutants {
		if s.ok[p] {
			idx.Sub[pollutantID(p)] = Round(s.v[p])
		}
	}
	return idx, true
}

// Hourly returns the hourly index (period label "1h") of the last complete local clock hour
// before now: at 14:05 or at 14:00:00 exactly, the hour 13:00–14:00, which Decision 1459
// labels 14:00. Readings of the current, incomplete hour are not used, so the value of an
// hour does not change while it fills. ok is false when no index is defined (VN: no PM
// NowCast) or the scheme is unknown.
//
// VN_AQI (Decision 1459 mục 2.2.1): PM10 and PM2.5 from the NowCast of the last 12 hourly
// means; SO2, CO, NO2 and O3 from the hour's mean, O3 on its 1 h column.
//
// US AQI: PM from the NowCast (truncated, 24 h column), as AirNow reports hourly values; NO2
// from the hour's mean; O3 the larger of the 8 h mean ending with the hour and the hour's mean
// (the 1 h column only defines values from 0.125 ppm, the 8 h column only up to 0.200 ppm);
// CO from the 8 h mean ending with the hour; SO2 from the hour's mean, or, from 305 ppb on,
// from the 24 h mean ending with the hour (200 when that is below 305 ppb, the top of the
// 1 h column).
func (t *Tracker) Hourly(s Scheme, now time.Time) (Index, bool) {
	if !s.Valid() {
		return Index{}, false
	}
	end := t.truncHour(now)
	start := end.Add(-time.Hour)
	h := t.hourOf(start)
	var sub subs
	for _, p := range [...]int{pm25, pm10} {
		if c, ok := t.nowcast(p, h); ok {
			t.put(&sub, s, p, "24h", c)
		}
	}
	if s == VN {
		for _, p := range [...]int{o3, no2, so2, co} {
			if c, ok := t.mean(p, h); ok {
				t.put(&sub, s, p, "1h", c)
			}
		}
		return sub.index(s, start, end)
	}
	if c, ok := t.mean(no2, h); ok {
		t.put(&sub, s, no2, "1h", c)
	}
	if c, ok := t.window(o3, h, 8, need8h); ok {
		t.put(&sub, s, o3, "8h", c)
	}
	if c, ok := t.mean(o3, h); ok {
		t.put(&sub, s, o3, "1h", c)
	}
	if c, ok := t.window(co, h, 8, need8h); ok {
		t.put(&sub, s, co, "8h", c)
	}
	if c, ok := t.mean(so2, h); ok {
		t.usSO2(&sub, c, h)
	}
	return sub.index(s, start, end)
}

// Daily returns the daily index (period label "24h") of the last complete local day before
// now: at any time on 29 November, 28 November from 00:00 to 24:00 local time — the hourly
// means labelled 01:00 to 00:00 of Decision 1459, and EPA's midnight-to-midnight day. Hours of
// the day that arrive late count whenever Daily is called again. ok is false when no index is
// defined (VN: neither PM10 nor PM2.5 has 18 hourly means) or the scheme is unknown.
//
// VN_AQI (Decision 1459 mục 2.2.2): PM10 and PM2.5 from the 24 h mean; O3 the larger of the
// day's largest 1 h mean on the 1 h column and its largest 8 h mean on the 8 h column, the
// 8 h part skipped when that mean is above 400 µg/m³; SO2, NO2 and CO from the day's largest
// 1 h mean. An 8 h mean is the mean of 8 consecutive hourly means; the day's 24 of them end
// with its 24 hours, so the first reaches back 7 hours into the previous day, as in the
// Decision's example.
//
// US AQI (40 CFR 58 App. G, TAD): PM10 and PM2.5 from the 24 h mean; O3 the larger of the
// day's largest 8 h mean and its largest 1 h mean, each where its column defines one; CO from
// the largest 8 h mean; NO2 from the largest 1 h mean; SO2 from the largest 1 h mean, or from
// 305 ppb on, from the 24 h mean (200 when that is below 305 ppb). 8 h means end within the
// day, as for VN_AQI (NAAQS Appendix U starts them within the day instead, which would make the
// value of a day wait until 07:00 the next day).
func (t *Tracker) Daily(s Scheme, now time.Time) (Index, bool) {
	if !s.Valid() {
		return Index{}, false
	}
	y, m, d := now.In(t.loc).Date()
	start := time.Date(y, m, d-1, 0, 0, 0, 0, t.loc)
	end := time.Date(y, m, d, 0, 0, 0, 0, t.loc)
	from, to := t.hourOf(start), t.hourOf(end)
	var sub subs
	for _, p := range [...]int{pm25, pm10} {
		if c, ok := t.window(p, to-1, int(to-from), need24h); ok {
			t.put(&sub, s, p, "24h", c)
		}
	}
	if c, ok := t.maxMean(o3, from, to); ok {
		t.put(&sub, s, o3, "1h", c)
	}
	if c, ok := t.maxWindow(o3, from, to, 8, need8h); ok {
		t.put(&sub, s, o3, "8h", c) // VN: undefined above 400 µg/m³; US: above 0.200 ppm
	}
	if c, ok := t.maxMean(no2, from, to); ok {
		t.put(&sub, s, no2, "1h", c)
	}
	if s == VN {
		for _, p := range [...]int{so2, co} {
			if c, ok := t.maxMean(p, from, to); ok {
				t.put(&sub, s, p, "1h", c)
			}
		}
		return sub.index(s, start, end)
	}
	if c, ok := t.maxWindow(co, from, to, 8, need8h); ok {
		t.put(&sub, s, co, "8h", c)
	}
	if c, ok := t.maxMean(so2, from, to); ok {
		t.usSO2(&sub, c, to-1)
	}
	return sub.index(s, start, end)
}

// put records the sub-index of a concentration when its column defines one, keeping the larger
// value when the pollutant already has one (O3 1 h and 8 h).
func (t *Tracker) put(sub *subs, s Scheme, p int, period string, c float64) {
	if v, ok := subIndex(s, pollutantID(p), period, c); ok {
		sub.setMax(p, v)
	}
}

// usSO2 records the US SO2 sub-index from a 1 h mean c1 (the hour's, or the day's largest) and
// the 24 h mean ending with hour end: the 1 h column up to 304 ppb; from 305 ppb the 1 h
// value only says "200 or more" (TAD footnote), so the 24 h mean decides, with 200 as the
// floor when it is below the 24 h column's first breakpoint.
func (t *Tracker) usSO2(sub *subs, c1 float64, end int64) {
	if v, ok := subIndex(US, "so2", "1h", c1); ok {
		sub.set(so2, v)
		return
	}
	sub.set(so2, 200)
	if c24, ok := t.window(so2, end, 24, need24h); ok {
		t.put(sub, US, so2, "24h", c24)
	}
}

// truncHour returns the start of the local clock hour containing now.
func (t *Tracker) truncHour(now time.Time) time.Time {
	l := now.In(t.loc)
	return time.Date(l.Year(), l.Month(), l.Day(), l.Hour(), 0, 0, 0, t.loc)
}
