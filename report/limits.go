package report

import (
	"fmt"
	"slices"
	"time"

	"github.com/quantrac/quantrac"
	"github.com/quantrac/quantrac/param"
	"github.com/quantrac/quantrac/rules"
)

// Limit is one limit as it applies to a station: a regulation's, with the station's
// coefficients applied (QCVN 40:2011 Cmax = C × Kq × Kf), or the station's permit's.
type Limit struct {
	Regulation string    `json:"regulation"`
	Parameter  string    `json:"parameter"`
	Period     string    `json:"period"`
	Force      string    `json:"force"` // rules.ForceBinding or rules.ForceReference for the station
	Statistic  string    `json:"statistic"`
	Unit       string    `json:"unit"`
	Versions   []Version `json:"versions"` // by from
}

// Version is a limit's value in force from From (inclusive) until Until (exclusive); zero
// times are open ends. Min and Max are in the parameter's canonical unit.
type Version struct {
	From    time.Time `json:"from,omitzero"`
	Until   time.Time `json:"until,omitzero"`
	Min     *float64  `json:"min,omitempty"`
	Max     *float64  `json:"max,omitempty"`
	Allowed int       `json:"allowed_per_year"` // exceeding hours or days a calendar year allows
	Written string    `json:"written,omitempty"`
}

// Key names the limit: "parameter regulation period" (archive.LimitKey).
func (l *Limit) Key() string { return l.Parameter + " " + l.Regulation + " " + l.Period }

// At returns the version in force at t, or nil.
func (l *Limit) At(t time.Time) *Version {
	for i := range l.Versions {
		v := &l.Versions[i]
		if (v.From.IsZero() || !t.Before(v.From)) && (v.Until.IsZero() || t.Before(v.Until)) {
			return v
		}
	}
	return nil
}

// StationLimits returns the limits the rules evaluate for st: those of its regulations of its
// kind (values marked uncertain are left out, as the engine leaves them out), then its permit's.
func StationLimits(cat *rules.Catalog, st *quantrac.Station) []Limit {
	var out []Limit
	seen := map[string]bool{}
	for _, id := range st.Regulations {
		reg := cat.Regulation(id)
		if reg == nil || reg.Kind != st.Kind || seen[id] {
			continue
		}
		seen[id] = true
		for i := range reg.Limits {
			l := &reg.Limits[i]
			if l.Uncertain() {
				continue
			}
			f := 1.0
			for _, c := range l.Coefficients {
				f *= st.Coefficient(c)
			}
			v := Version{From: l.From, Until: l.Until, Min: scale(l.Min, f), Max: scale(l.Max, f),
				Allowed: l.AllowedExceedances, Written: l.Written}
			out = addVersion(out, Limit{Regulation: id, Parameter: l.Parameter, Period: l.Period,
				Force: reg.ForceFor(l, st), Statistic: string(l.Statistic), Unit: l.Unit}, v)
		}
	}
	for _, pl := range st.Limits {
		l, v, err := permitLimit(pl)
		if err == nil {
			out = addVersion(out, l, v)
		}
	}
	if st.Basis == quantrac.Basis1h { // the rules evaluate sample limits on hourly means
		for i := range out {
			l := &out[i]
			if l.Period == rules.Sample && !slices.ContainsFunc(out, func(o Limit) bool {
				return o.Regulation == l.Regulation && o.Parameter == l.Parameter && o.Period == "1h"
			}) {
				l.Period = "1h"
				l.Statistic = string(rules.Mean) // the hour's mean, or its lowest and highest reading
				if v := l.Versions[0]; v.Min != nil && v.Max != nil {
					l.Statistic = string(rules.Range)
				}
			}
		}
	}
	for i := range out {
		slices.SortStableFunc(out[i].Versions, func(a, b Version) int { return a.From.Compare(b.From) })
	}
	return out
}

func addVersion(ls []Limit, l Limit, v Version) []Limit {
	i := slices.IndexFunc(ls, func(x Limit) bool { return x.Key() == l.Key() })
	if i < 0 {
		ls = append(ls, l)
		i = len(ls) - 1
	}
	ls[i].Versions = append(ls[i].Versions, v)
	return ls
}

func scale(p *float64, f float64) *float64 {
	if p == nil {
		return nil
	}
	v := *p * f
	return &v
}

// permitLimit converts a permit limit of the registry to the parameter's canonical unit.
func permitLimit(pl quantrac.PermitLimit) (Limit, Version, error) {
	p, ok := param.Lookup(pl.Parameter)
	if !ok {
		return Limit{}, Version{}, fmt.Errorf("unknown parameter %q", pl.Parameter)
	}
	conv := func(x *float64) (*float64, error) {
		if x == nil {
			return nil, nil
		}
		unit := pl.Unit
		if unit == "" {
			unit = p.Unit
		}
		v, err := p.ToCanonical(*x, unit)
		return &v, err
	}
	lo, err1 := conv(pl.Min)
	hi, err2 := conv(pl.Max)
	if err1 != nil || err2 != nil {
		return Limit{}, Version{}, fmt.Errorf("unit %q", pl.Unit)
	}
	stat := pl.Statistic
	if stat == "" {
		stat = string(rules.Mean)
	}
	period := pl.Period
	if period == "" {
		period = rules.Sample // as the rules read a permit limit without a period
	}
	return Limit{Regulation: rules.PermitRegulation, Parameter: p.ID, Period: period, Force: rules.ForceBinding, Statistic: stat, Unit: p.Unit},
		Version{Min: lo, Max: hi}, nil
}
