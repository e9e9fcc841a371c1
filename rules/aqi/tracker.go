package aqi

import (
	"math"
	"time"
)

// The pollutants both schemes index, as indices into Tracker.series; their order breaks ties
// for the dominant pollutant.
const (
	pm25 = iota
	pm10
	o3
	no2
	so2
	co
	numPollutants
)

// pollutantID returns the canonical id of a pollutant slot.
func pollutantID(i int) string {
	return [numPollutants]string{"pm25", "pm10", "o3", "no2", "so2", "co"}[i]
}

// Pollutants returns the canonical ids of the pollutants the indices use.
func Pollutants() []string {
	out := make([]string, numPollutants)
	for i := range out {
		out[i] = pollutantID(i)
	}
	return out
}

// pollutantIndex returns the slot of a canonical pollutant id.
func pollutantIndex(p string) (int, bool) {
	switch p {
	case "pm25":
		return pm25, true
	case "pm10":
		return pm10, true
	case "o3":
		return o3, true
	case "no2":
		return no2, true
	case "so2":
		return so2, true
	case "co":
		return co, true
	}
	return 0, false
}

// ringHours is how many clock hours a Tracker keeps per pollutant. The daily index of the
// previous day, asked for at 23:59, reaches back 47 hours to the day's first hour and 7 more
// for its first 8 h mean: 55 hours; 56 (a multiple of 8) keeps the rings of 10,000 stations
// measuring all six pollutants at 54 MB.
const ringHours = 56

// slot returns the ring index of clock hour h.
func slot(h int64) int64 {
	i := h % ringHours
	if i < 0 {
		i += ringHours
	}
	return i
}

// Data completeness (Decision 1459 sets none; these are the EPA's 75 % rules, 40 CFR 50
// Appendices N and U, and quantrac's default data capture, rules/README.md, "Evaluation").
const (
	need8h  = 6  // hourly means an 8 h mean needs
	need24h = 18 // hourly means a 24 h mean needs
)

// ring holds the valid readings of one pollutant's clock hours: hour h at slot(h) while
// latest − ringHours < h ≤ latest (Tracker.advance clears the hours that leave it), 10 bytes
// an hour: 560 bytes per pollutant a station measures, 3.3 KB for all six.
type ring struct {
	sum [ringHours]float64
	n   [ringHours]uint16
}

// maxPerHour is the most readings an hour counts, one every 55 ms: later ones in the hour are
// left out of its mean (no monitor reports a pollutant that often).
const maxPerHour = math.MaxUint16

// Tracker keeps the hourly means one station needs for its indices — the last 56 local clock
// hours of each pollutant, in a fixed ring allocated with its first reading — and computes hourly and daily indices from them.
// Readings may arrive late or out of order; a reading older than the oldest hour kept is
// ignored. A Tracker is not safe for concurrent use: the caller locks.
type Tracker struct {
	// MinPerHour is the number of readings an hourly mean needs; 0 or 1 accepts any. No
	// Vietnamese rule sets it; 9 is 75 % of 5-minute records.
	MinPerHour int

	loc    *time.Location
	latest int64                // newest clock hour observed
	series [numPollutants]*ring // nil until the pollutant's first reading: a registered station
	// that has not reported, or does not measure a pollutant, costs nothing for it

	// The zone offset in force over [zoneStart, zoneEnd) (Unix seconds), so that hourOf does
	// not look the zone up for every reading.
	zoneOff, zoneStart, zoneEnd int64
}

// NewTracker returns an empty Tracker whose hours and days are those of loc (nil means UTC).
func NewTracker(loc *time.Location) *Tracker {
	if loc == nil {
		loc = time.UTC
	}
	return &Tracker{loc: loc, latest: math.MinInt64}
}

// Observe adds one valid reading of a pollutant, in µg/m³, taken at at. Parameters that no
// index uses, and NaN or infinite values, are ignored; the caller passes valid readings only
// (status 00, outside maintenance).
func (t *Tracker) Observe(param string, at time.Time, v float64) {
	i, ok := pollutantIndex(param)
	if !ok || math.IsNaN(v) || math.IsInf(v, 0) {
		return
	}
	h := t.hourOf(at)
	if t.latest != math.MinInt64 && h <= t.latest-ringHours {
		return // older than anything kept
	}
	t.add(i, h, v, 1)
}

// Indexed reports whether param is one of the pollutants the indices use.
func Indexed(param string) bool {
	_, ok := pollutantIndex(param)
	return ok
}

// Holds reports whether the clock hour containing at is still kept: a reading in it counts,
// and the indices of the hours and days that use it see it. Before the first reading every
// hour is.
func (t *Tracker) Holds(at time.Time) bool {
	return t.latest == math.MinInt64 || t.hourOf(at) > t.latest-ringHours
}

// Oldest returns the start of the oldest clock hour kept, zero before the first reading.
func (t *Tracker) Oldest() time.Time {
	if t.latest == math.MinInt64 {
		return time.Time{}
	}
	w := time.Unix((t.latest-ringHours+1)*3600, 0).UTC() // the hour's local wall clock
	return time.Date(w.Year(), w.Month(), w.Day(), w.Hour(), 0, 0, 0, t.loc)
}

// ObserveHour adds the n valid readings of a pollutant, summing to sum, of the hour that ends
// at end (an hourly aggregate read back from InfluxDB after a restart, whose hours cover
// (end − 1 h, end]): they go to the clock hour [end − 1 h, end), as Observe(param, at − 1 ns,
// v) puts each of its readings.
func (t *Tracker) ObserveHour(param string, end time.Time, sum float64, n int) {
	i, ok := pollutantIndex(param)
	if !ok || n <= 0 || math.IsNaN(sum) || math.IsInf(sum, 0) {
		return
	}
	h := t.hourOf(end.Add(-time.Nanosecond))
	if t.latest != math.MinInt64 && h <= t.latest-ringHours {
		return
	}
	t.add(i, h, sum, n)
}

// add counts n readings summing to sum in pollutant p's clock hour h, which is held or newer
// than every hour held; p's ring is allocated on first use.
func (t *Tracker) add(p int, h int64, sum float64, n int) {
	if h > t.latest {
		t.advance(h)
	}
	if t.series[p] == nil {
		t.series[p] = new(ring)
	}
	r, i := t.series[p], slot(h)
	if int(r.n[i])+n > maxPerHour {
		return
	}
	r.sum[i] += sum
	r.n[i] += uint16(n)
}

// advance makes h the newest hour held, clearing the hours that leave the rings.
func (t *Tracker) advance(h int64) {
	from := max(t.latest+1, h-ringHours+1)
	for _, r := range t.series {
		if r == nil {
			continue
		}
		for k := from; k <= h; k++ {
			r.sum[slot(k)], r.n[slot(k)] = 0, 0
		}
	}
	t.latest = h
}

// hourOf returns the local clock hour of an instant: hours are counted on the local wall
// clock, so that with a +05:30 zone 10:45 belongs to the hour 10:00–11:00.
func (t *Tracker) hourOf(at time.Time) int64 {
	s := at.Unix()
	if s < t.zoneStart || s >= t.zoneEnd {
		t.zoneOff, t.zoneStart, t.zoneEnd = zoneAt(at.In(t.loc))
	}
	s += t.zoneOff
	h := s / 3600
	if s%3600 < 0 {
		h--
	}
	return h
}

// zoneAt returns the offset of l's zone and the Unix seconds over which it is in force.
func zoneAt(l time.Time) (off, start, end int64) {
	_, o := l.Zone()
	s, e := l.ZoneBounds()
	start, end = math.MinInt64, math.MaxInt64
	if !s.IsZero() {
		start = s.Unix()
	}
	if !e.IsZero() {
		end = e.Unix()
	}
	return int64(o), start, end
}

// mean returns the hourly mean of a pollutant for a clock hour.
func (t *Tracker) mean(p int, h int64) (float64, bool) {
	r := t.series[p]
	if r == nil {
		return math.NaN(), false
	}
	if h > t.latest || h <= t.latest-ringHours {
		return math.NaN(), false
	}
	i := slot(h)
	if r.n[i] == 0 || int(r.n[i]) < t.MinPerHour {
		return math.NaN(), false
	}
	return r.sum[i] / float64(r.n[i]), true
}

// window returns the mean of the hourly means of the n hours ending with hour end, when at
// least need of them are present.
func (t *Tracker) window(p int, end int64, n, need int) (float64, bool) {
	var sum float64
	got := 0
	for h := end - int64(n) + 1; h <= end; h++ {
		if m, ok := t.mean(p, h); ok {
			sum += m
			got++
		}
	}
	if got < need || got == 0 {
		return 0, false
	}
	return sum / float64(got), true
}

// maxMean returns the largest hourly mean of the hours [from, to).
func (t *Tracker) maxMean(p int, from, to int64) (float64, bool) {
	best, ok := math.Inf(-1), false
	for h := from; h < to; h++ {
		if m, present := t.mean(p, h); present {
			best, ok = max(best, m), true
		}
	}
	return best, ok
}

// maxWindow returns the largest n-hour mean among the windows ending at the hours [from, to).
func (t *Tracker) maxWindow(p int, from, to int64, n, need int) (float64, bool) {
	best, ok := math.Inf(-1), false
	for h := from; h < to; h++ {
		if m, valid := t.window(p, h, n, need); valid {
			best, ok = max(best, m), true
		}
	}
	return best, ok
}

// nowcast returns the NowCast of a pollutant whose most recent hour is h.
func (t *Tracker) nowcast(p int, h int64) (float64, bool) {
	var c [nowcastHours]float64
	for i := range c {
		c[i], _ = t.mean(p, h-int64(i))
	}
	return NowCast(c[:])
}
