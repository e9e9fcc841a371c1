package rules

import (
	"fmt"
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
	return reg.rules
}

// permitRegulation builds regulation "permit" from the station's limits; it returns the valid
// part and one error per invalid limit.
func permitRegulation(st *quantrac.Station) (*Regulation, []error) {
	if len(st.Limits) == 0 {
		return nil, nil
	}
	reg := &Regulation{ID: PermitRegulation, Title: "Discharge permit of station " + st.ID, Kind: st.Kind,
		Timezone: st.Timezone, Source: Source{Document: "station registry"}}
	var errs []error
	for i, pl := range st.Limits {
		lf := limitFile{Parameter: pl.Parameter, Period: pl.Period, Statistic: pl.Statistic,
			Max: pl.Max, Min: pl.Min, Unit: pl.Unit, Source: fmt.Sprintf("station %s limits[%d]", st.ID, i)}
		if lf.Unit == "" {
			lf.Unit = canonicalUnit(pl.Parameter)
		}
		l, err := lf.limit(time.UTC)
		if err != nil {
			errs = append(errs, fmt.Errorf("limits[%d]: %w", i, err))
			continue
		}
		reg.Limits = append(reg.Limits, l)
	}
	rules, err := groupRules(PermitRegulation, reg.Limits)
	if err != nil {
		errs = append(errs, fmt.Errorf("limits: %w", err))
		return nil, errs
	}
	reg.rules = rules
	return reg, errs
}

// Check validates the stations' use of the catalog: unknown regulation ids, regulations of
// another kind than the station, and permit limits with an unknown parameter, unit, period or
// statistic. `quantrac check` prints one line per error.
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
			}
		}
		_, perrs := permitRegulation(st)
		for _, e := range perrs {
			bad("permit", e)
		}
	}
	return errs
}

// canonicalUnit returns the canonical unit of a parameter, or "" when it is unknown.
func canonicalUnit(name string) string {
	if p, ok := param.Lookup(name); ok {
		return p.Unit
	}
	return ""
}
