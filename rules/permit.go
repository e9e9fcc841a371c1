package rules

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/quantrac/quantrac"
	"github.com/quantrac/quantrac/param"
)

// permitRules turns a station's own permit limits into rules of regulation "permit". Limits
// that do not validate are skipped here and reported by Check.
func permitRules(st *quantrac.Station) []*rule {
	reg, _ := permitRegulation(st)
	if reg == nil {
		return nil
	}
	return reg.stationRules(st)
}

// stationRules returns the rules of the regulation for station st: with basis 1h, sample limits
// are evaluated on hourly means (README.md, "Station registry"; rules/README.md, "Evaluation").
func (r *Regulation) stationRules(st *quantrac.Station) []*rule {
	if st.Basis == quantrac.Basis1h {
		return r.hourly
	}
	return r.rules
}

// permitRegulation builds regulation "permit" from the station's limits; it returns the valid
// part and one error per invalid limit.
func permitRegulation(st *quantrac.Station) (*Regulation, []error) {
	if len(st.Limits) == 0 {
		return nil, nil
	}
	reg := &Regulation{ID: PermitRegulation, Title: "Discharge permit of station " + st.ID, Kind: st.Kind, Force: ForceBinding, Country: st.Country,
		Timezone: st.Timezone, Source: Source{Document: "station registry"}, Reference: param.Standard,
		HourCoverage: DefaultHourCoverage}
	var errs []error
	for i, pl := range st.Limits {
		lf := limitFile{Parameter: pl.Parameter, Period: pl.Period, Statistic: pl.Statistic,
			Max: pl.Max, Min: pl.Min, Unit: pl.Unit, Source: fmt.Sprintf("station %s limits[%d]", st.ID, i)}
		if lf.Unit == "" {
			lf.Unit = canonicalUnit(pl.Parameter)
		}
		if lf.Period == "" {
			lf.Period = Sample // a permit's maximum holds for every sample
		}
		l, err := lf.limit(time.UTC, reg)
		if err != nil {
			errs = append(errs, fmt.Errorf("limits[%d]: %w", i, err))
			continue
		}
		reg.Limits = append(reg.Limits, l)
	}
	rules, err := groupRules(reg)
	if err != nil {
		errs = append(errs, fmt.Errorf("limits: %w", err))
		return nil, errs
	}
	reg.rules, reg.hourly = rules, hourlyRules(rules)
	return reg, errs
}

// Check validates the stations' use of the catalog: unknown regulation ids, regulations of
// another kind than the station, station coefficients a regulation multiplies its limits by
// but the station does not set (QCVN 40:2011 kq and kf, QCVN 14:2008 k: a missing one must not
// silently mean 1), and permit limits with an unknown parameter, unit, period or statistic.
// It is the one validation of stations × catalog: `quantrac check` prints one line per error,
// and `quantrac run` and a registry reload refuse a registry that has any.
func Check(cat *Catalog, reg *quantrac.Registry) []error {
	var errs []error
	file := "stations"
	if reg != nil && reg.File != "" {
		file = reg.File
	}
	for _, st := range reg.Stations() {
		bad := func(key string, err error) {
			errs = append(errs, fmt.Errorf("%s: station %s: %s: %w", file, st.ID, key, err))
		}
		for _, id := range st.Regulations {
			r := cat.Regulation(id)
			switch {
			case r == nil:
				bad("regulations", fmt.Errorf("unknown regulation %q (see quantrac rules)", id))
			case r.Kind != st.Kind:
				bad("regulations", fmt.Errorf("regulation %q is for %s stations, not %s", id, r.Kind, st.Kind))
			default:
				for _, c := range missingCoefficients(r, st) {
					bad("coefficients."+c, fmt.Errorf("%s multiplies its limits by %s (%s); set it explicitly (1 when it does not apply)", id, c, coefficientFormula(r)))
				}
			}
		}
		_, perrs := permitRegulation(st)
		for _, e := range perrs {
			bad("permit", e)
		}
	}
	return errs
}

// missingCoefficients returns the coefficient names r's certain limits use that st does not
// set, in first-use order.
func missingCoefficients(r *Regulation, st *quantrac.Station) []string {
	var out []string
	for _, l := range r.Limits {
		for _, c := range l.Coefficients {
			if _, ok := st.Coefficients[c]; !ok && !l.Uncertain() && !slices.Contains(out, c) {
				out = append(out, c)
			}
		}
	}
	return out
}

// coefficientFormula writes the regulation's Cmax formula from its limits' coefficients:
// "Cmax = C × kq × kf".
func coefficientFormula(r *Regulation) string {
	var names []string
	for _, l := range r.Limits {
		for _, c := range l.Coefficients {
			if !slices.Contains(names, c) {
				names = append(names, c)
			}
		}
	}
	return "Cmax = C × " + strings.Join(names, " × ")
}

// canonicalUnit returns the canonical unit of a parameter, or "" when it is unknown.
func canonicalUnit(name string) string {
	if p, ok := param.Lookup(name); ok {
		return p.Unit
	}
	return ""
}
