package qc

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"time"
)

// Check names an automatic check; it is the check a span came from.
type Check string

// The checks.
const (
	Flatline Check = "flatline"
	Spike    Check = "spike"
	PMRatio  Check = "pm_ratio"
	Sentinel Check = "sentinel"
)

// Checks returns every check, in the order spans of one instant are listed.
func Checks() []Check { return []Check{Flatline, Spike, PMRatio, Sentinel} }

// Defaults of the checks that are not per parameter.
const (
	// DefaultFlatline is how long exactly the same value must last to be a flat line. Real
	// concentrations reported to 0.1 µg/m³ or 0.01 mg/L change within minutes; four hours
	// also bounds what a stuck analyser can do before it is caught (four hourly means).
	DefaultFlatline = 4 * time.Hour
	// DefaultSpikeReadings is how many consecutive readings a spike may last: three 5-minute
	// readings. Anything longer is an event (or an episode), not a spike.
	DefaultSpikeReadings = 3
	// DefaultPMRatioTolerance lets PM2.5 exceed PM10 by 10 % of PM10 before the PM2.5 reading
	// is invalidated: two instruments (or two channels of one) each have a few percent of
	// error, and PM2.5 is close to PM10 in smoke and combustion episodes.
	DefaultPMRatioTolerance = 0.10
	// DefaultPMRatioMargin (µg/m³) adds an absolute allowance, for clean air where a few
	// µg/m³ of instrument noise is a large fraction of PM10.
	DefaultPMRatioMargin = 5.0
)

// DefaultSentinels are the values loggers write for "no data" that a plausible range may not
// catch. Settings.Sentinels adds to them.
var defaultSentinels = []float64{-9999, 9999, 99999}

// DefaultSentinels returns -9999, 9999 and 99999.
func DefaultSentinels() []float64 { return slices.Clone(defaultSentinels) }

// Settings are the checks' settings. Defaults() returns the settings quantrac uses when the
// configuration says nothing more; the zero value turns every per-parameter check off.
type Settings struct {
	// Flatline is the flat-line duration of parameters whose own is 0.
	Flatline time.Duration
	// SpikeReadings is the longest spike, in consecutive readings (≥ 1).
	SpikeReadings int
	// PMRatioTolerance (a fraction of PM10) and PMRatioMargin (µg/m³) are how far PM2.5 may
	// exceed PM10 at the same instant.
	PMRatioTolerance, PMRatioMargin float64
	// Sentinels are values that mean "no data", beyond DefaultSentinels (which always apply
	// while the sentinel check is on).
	Sentinels []float64
	// Off turns checks off for every parameter.
	Off []Check
	// Params holds each parameter's settings by canonical id (package param). A parameter
	// not listed has the flat-line, pm_ratio and sentinel checks on, floor 0, no spike check.
	Params map[string]ParamSettings
}

// ParamSettings are one parameter's settings, in its canonical unit.
type ParamSettings struct {
	// Flatline overrides Settings.Flatline for this parameter when > 0.
	Flatline time.Duration
	// Floor is the detection floor: a flat run at or below it is not a flat line.
	Floor float64
	// Spike is the jump, out and back, that makes a spike; ≤ 0 turns the check off.
	Spike float64
	// Off turns checks off for this parameter.
	Off []Check
}

// On reports whether check c runs for parameter id.
func (s *Settings) On(c Check, id string) bool {
	if slices.Contains(s.Off, c) || slices.Contains(s.Params[id].Off, c) {
		return false
	}
	switch c {
	case Spike:
		return s.Params[id].Spike > 0
	case Flatline:
		return s.flatline(id) > 0
	}
	return true
}

// flatline returns the flat-line duration of parameter id.
func (s *Settings) flatline(id string) time.Duration {
	if d := s.Params[id].Flatline; d > 0 {
		return d
	}
	return s.Flatline
}

// Defaults returns the settings of every check and parameter when the configuration says
// nothing more: a fresh value the caller may change.
func Defaults() Settings {
	return Settings{
		Flatline:         DefaultFlatline,
		SpikeReadings:    DefaultSpikeReadings,
		PMRatioTolerance: DefaultPMRatioTolerance,
		PMRatioMargin:    DefaultPMRatioMargin,
		Params:           defaultParams(),
	}
}

// Validate reports settings that cannot be meant: negative durations, thresholds or
// tolerances, a spike shorter than one reading, and unknown checks in an off list. It does
// not check parameter ids: a caller that knows its catalog (package param) checks those.
func (s *Settings) Validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if s.Flatline < 0 {
		bad("flatline %v is negative", s.Flatline)
	}
	if s.SpikeReadings < 1 {
		bad("spike_readings %d: a spike lasts at least 1 reading", s.SpikeReadings)
	}
	if s.PMRatioTolerance < 0 || s.PMRatioMargin < 0 {
		bad("pm_ratio_tolerance %v and pm_ratio_margin %v must not be negative", s.PMRatioTolerance, s.PMRatioMargin)
	}
	checkOff := func(where string, off []Check) {
		for _, c := range off {
			if !slices.Contains(Checks(), c) {
				bad("%soff: unknown check %q (want flatline, spike, pm_ratio or sentinel)", where, c)
			}
		}
	}
	checkOff("", s.Off)
	for _, id := range slices.Sorted(maps.Keys(s.Params)) {
		p := s.Params[id]
		if p.Flatline < 0 || p.Spike < 0 || math.IsNaN(p.Spike) || math.IsNaN(p.Floor) {
			bad("%s: flatline %v and spike %v must not be negative", id, p.Flatline, p.Spike)
		}
		checkOff(id+": ", p.Off)
	}
	return errors.Join(errs...)
}
