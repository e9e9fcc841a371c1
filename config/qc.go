package config

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"time"

	"github.com/quantrac/quantrac/internal/yamlpos"
	"github.com/quantrac/quantrac/param"
	"github.com/quantrac/quantrac/qc"
)

// QC is the qc section: the automatic data-quality checks (README "Automatic checks"). The
// checks run only when the section is present; `qc: {}` takes every default of package qc.
// A key left out keeps qc's default (qc/defaults.go documents each one and where it comes
// from).
type QC struct {
	// Flatline is how long exactly the same value must last to be a flat line.
	Flatline *time.Duration `yaml:"flatline"`
	// SpikeReadings is the longest spike, in consecutive readings.
	SpikeReadings *int `yaml:"spike_readings"`
	// PMRatioTolerance (a fraction of PM10) and PMRatioMargin (µg/m³) are how far PM2.5 may
	// exceed the PM10 of the same instant.
	PMRatioTolerance *float64 `yaml:"pm_ratio_tolerance"`
	PMRatioMargin    *float64 `yaml:"pm_ratio_margin"`
	// Sentinels are values meaning "no data" beyond -9999, 9999 and 99999.
	Sentinels []float64 `yaml:"sentinels"`
	// Off switches checks off for every parameter.
	Off []string `yaml:"off"`
	// Parameters holds settings per parameter, by canonical id.
	Parameters map[string]QCParameter `yaml:"parameters"`
}

// QCParameter is one parameter's settings under qc.parameters, in the parameter's canonical
// unit. A key left out keeps the parameter's default.
type QCParameter struct {
	Flatline *time.Duration `yaml:"flatline"`
	Spike    *float64       `yaml:"spike"` // 0 switches the spike check off
	Floor    *float64       `yaml:"floor"`
	// Off, when given, replaces the parameter's default list (ph: {off: []} turns pH's
	// flat-line check on).
	Off *[]string `yaml:"off"`
}

// The bounds of qc's durations: a flat line shorter than a few readings is the ordinary
// resolution of an analyser, and the daemon keeps each station's readings of the longest
// flat-line duration in memory.
const (
	minQCFlatline = time.Minute
	maxQCFlatline = 48 * time.Hour
	maxSpikeReads = 20
)

// Settings returns the checks' settings: qc.Defaults with what the section sets.
func (q *QC) Settings() qc.Settings {
	s := qc.Defaults()
	if q.Flatline != nil {
		s.Flatline = *q.Flatline
	}
	if q.SpikeReadings != nil {
		s.SpikeReadings = *q.SpikeReadings
	}
	if q.PMRatioTolerance != nil {
		s.PMRatioTolerance = *q.PMRatioTolerance
	}
	if q.PMRatioMargin != nil {
		s.PMRatioMargin = *q.PMRatioMargin
	}
	s.Sentinels = slices.Clone(q.Sentinels)
	s.Off = checks(q.Off)
	for id, p := range q.Parameters {
		ps := s.Params[id]
		if p.Flatline != nil {
			ps.Flatline = *p.Flatline
		}
		if p.Spike != nil {
			ps.Spike = *p.Spike
		}
		if p.Floor != nil {
			ps.Floor = *p.Floor
		}
		if p.Off != nil {
			ps.Off = checks(*p.Off)
		}
		s.Params[id] = ps
	}
	return s
}

func checks(names []string) []qc.Check {
	var out []qc.Check
	for _, n := range names {
		out = append(out, qc.Check(n))
	}
	return out
}

// validateQC checks the qc section, each problem at its key's line.
func (c *Config) validateQC(p *problems) {
	q := c.QC
	if q == nil {
		if yamlpos.Line(p.root, "qc") > 0 {
			p.add("qc", "is empty: write `qc: {}` to run every check with its defaults, or leave the section out to run none")
		}
		return
	}
	if q.Flatline != nil {
		validFlatline(p, "qc.flatline", *q.Flatline)
	}
	if n := q.SpikeReadings; n != nil && (*n < 1 || *n > maxSpikeReads) {
		p.add("qc.spike_readings", "%d out of range (1..%d readings)", *n, maxSpikeReads)
	}
	if v := q.PMRatioTolerance; v != nil && !(*v >= 0 && *v <= 10) {
		p.add("qc.pm_ratio_tolerance", "%v out of range (0..10, a fraction of PM10: 0.1 is 10 %%)", *v)
	}
	if v := q.PMRatioMargin; v != nil && !(*v >= 0 && !math.IsInf(*v, 0)) {
		p.add("qc.pm_ratio_margin", "%v must be a number of µg/m³, 0 or more", *v)
	}
	for i, v := range q.Sentinels {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			p.add(fmt.Sprintf("qc.sentinels[%d]", i), "%v is not a value a reading can have", v)
		}
	}
	validChecks(p, "qc.off", q.Off)
	for _, id := range slices.Sorted(maps.Keys(q.Parameters)) {
		validQCParameter(p, id, q.Parameters[id])
	}
}

func validQCParameter(p *problems, id string, qp QCParameter) {
	key := "qc.parameters." + id
	if par, ok := param.Lookup(id); !ok {
		p.add(key, "unknown parameter %q (parameters are named by their canonical ids: FORMATS.md lists them)", id)
		return
	} else if par.ID != id {
		p.add(key, "%q is an alias: write the canonical id %q", id, par.ID)
		return
	}
	if qp.Flatline != nil {
		validFlatline(p, key+".flatline", *qp.Flatline)
	}
	if v := qp.Spike; v != nil && !(*v >= 0 && !math.IsInf(*v, 0)) {
		p.add(key+".spike", "%v must be a jump in the parameter's canonical unit, 0 (off) or more", *v)
	}
	if v := qp.Floor; v != nil && (math.IsNaN(*v) || math.IsInf(*v, 0)) {
		p.add(key+".floor", "%v is not a value a reading can have", *v)
	}
	if qp.Off != nil {
		validChecks(p, key+".off", *qp.Off)
	}
}

func validFlatline(p *problems, key string, d time.Duration) {
	if d < minQCFlatline || d > maxQCFlatline {
		p.add(key, "%v out of range (%v..%v; switch the check off with off: [flatline])", d, minQCFlatline, maxQCFlatline)
	}
}

func validChecks(p *problems, key string, names []string) {
	for i, n := range names {
		if !slices.Contains(qc.Checks(), qc.Check(n)) {
			p.add(fmt.Sprintf("%s[%d]", key, i), "unknown check %q (want flatline, spike, pm_ratio or sentinel)", n)
		}
	}
}
