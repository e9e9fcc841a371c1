package qc

import (
	"cmp"
	"maps"
	"math"
	"slices"
	"strconv"
	"time"
)

// Reading is one valid reading of one parameter, in the parameter's canonical unit.
type Reading struct {
	Time  time.Time
	Value float64
}

// Span is a stretch of one parameter's readings that a check invalidates: every reading of
// Station's Parameter with From ≤ time ≤ To. From and To are times of readings.
type Span struct {
	Station, Parameter string
	From, To           time.Time
	Check              Check
	Reason             string // for people: what the check saw
}

// Checker runs the checks with one set of settings. It is immutable and safe for concurrent
// use.
type Checker struct {
	s         Settings
	sentinels []float64
}

// New returns a checker with settings s. A SpikeReadings below 1 is taken as 1.
func New(s Settings) *Checker {
	s.SpikeReadings = max(s.SpikeReadings, 1)
	s.Params = maps.Clone(s.Params)
	sent := append(DefaultSentinels(), s.Sentinels...)
	slices.Sort(sent)
	return &Checker{s: s, sentinels: slices.Compact(sent)}
}

// Settings returns the checker's settings.
func (c *Checker) Settings() Settings { return c.s }

// Series runs the flat-line, spike and sentinel checks on the readings of one parameter of
// one station (in any order; rs is not modified) that reports every interval (0 if unknown).
// Spans come in the order of Station's.
func (c *Checker) Series(station, parameter string, interval time.Duration, rs []Reading) []Span {
	sorted := prepare(rs)
	var out []Span
	if c.s.On(Flatline, parameter) {
		out = c.flatline(out, parameter, interval, sorted)
	}
	if c.s.On(Spike, parameter) {
		out = c.spike(out, parameter, interval, sorted)
	}
	if c.s.On(Sentinel, parameter) {
		out = c.sentinel(out, parameter, sorted)
	}
	for i := range out {
		out[i].Station = station
	}
	sortSpans(out)
	return out
}

// Station runs every check on a station's readings, by parameter id: Series on each, and
// PMRatio when the station reports pm25 and pm10. Spans are sorted by parameter, From,
// check and To.
func (c *Checker) Station(station string, interval time.Duration, series map[string][]Reading) []Span {
	var out []Span
	for _, id := range slices.Sorted(maps.Keys(series)) {
		out = append(out, c.Series(station, id, interval, series[id])...)
	}
	if pm25, ok := series["pm25"]; ok {
		out = append(out, c.PMRatio(station, interval, pm25, series["pm10"])...)
	}
	sortSpans(out)
	return out
}

// prepare returns the readings sorted by time, without non-finite values, one per instant
// (the highest value when several share one, so that the order of the input does not matter).
func prepare(rs []Reading) []Reading {
	out := make([]Reading, 0, len(rs))
	for _, r := range rs {
		if !math.IsNaN(r.Value) && !math.IsInf(r.Value, 0) {
			out = append(out, r)
		}
	}
	if strictlyInOrder(out) { // the usual case: readings as stored
		return out
	}
	slices.SortFunc(out, func(a, b Reading) int {
		return cmp.Or(a.Time.Compare(b.Time), cmp.Compare(b.Value, a.Value))
	})
	return slices.CompactFunc(out, func(a, b Reading) bool { return a.Time.Equal(b.Time) })
}

func strictlyInOrder(rs []Reading) bool {
	for i := 1; i < len(rs); i++ {
		if !rs[i-1].Time.Before(rs[i].Time) {
			return false
		}
	}
	return true
}

func sortSpans(s []Span) {
	slices.SortFunc(s, func(a, b Span) int {
		return cmp.Or(cmp.Compare(a.Parameter, b.Parameter), a.From.Compare(b.From),
			cmp.Compare(a.Check, b.Check), a.To.Compare(b.To))
	})
}

// num formats a value for a reason.
func num(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
