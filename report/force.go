package report

import (
	"slices"

	"github.com/quantrac/quantrac"
	"github.com/quantrac/quantrac/rules"
)

// ForceOf returns the force for station st of the limit named by regulation, parameter and
// period (rules.ForceBinding or rules.ForceReference), as the catalog states it now: for
// violation points written without a force field. A regulation the catalog no longer holds
// counts as binding, so that no exceedance escapes the conclusion.
func ForceOf(cat *rules.Catalog, st *quantrac.Station, regulation, parameter, period string) string {
	reg := cat.Regulation(regulation)
	if regulation == rules.PermitRegulation || reg == nil {
		return rules.ForceBinding
	}
	i := slices.IndexFunc(reg.Limits, func(l rules.Limit) bool { return l.Parameter == parameter && l.Period == period })
	if i < 0 {
		i = slices.IndexFunc(reg.Limits, func(l rules.Limit) bool { return l.Parameter == parameter })
	}
	if i < 0 {
		return reg.ForceFor(&rules.Limit{Force: reg.Force}, st)
	}
	return reg.ForceFor(&reg.Limits[i], st)
}

// fillForce gives the violations written before limits had a force theirs, from the catalog.
func fillForce(cat *rules.Catalog, st *quantrac.Station, ts []quantrac.Transition) {
	for i := range ts {
		if t := &ts[i]; t.Force == "" {
			t.Force = ForceOf(cat, st, t.Regulation, t.Parameter, t.Period)
		}
	}
}

// Binding reports whether the limit enters the station's conclusion: a limit without a force
// (a report saved before limits had one) counts as binding.
func (e Exceedance) Binding() bool { return e.Force != rules.ForceReference }

// BindingLimits are the station's limits that enter its conclusion.
func (s *Station) BindingLimits() []Exceedance {
	return slices.DeleteFunc(slices.Clone(s.Limits), func(e Exceedance) bool { return !e.Binding() })
}

// ReferenceLimits are the station's reference limits, listed apart from the conclusion.
func (s *Station) ReferenceLimits() []Exceedance {
	return slices.DeleteFunc(slices.Clone(s.Limits), func(e Exceedance) bool { return e.Binding() })
}

// BindingViolations are the starts and ends of exceedances of binding limits.
func (s *Station) BindingViolations() []quantrac.Transition {
	return slices.DeleteFunc(slices.Clone(s.Violations), func(t quantrac.Transition) bool { return t.Force == rules.ForceReference })
}

// ReferenceViolations are the starts and ends of passings of reference levels.
func (s *Station) ReferenceViolations() []quantrac.Transition {
	return slices.DeleteFunc(slices.Clone(s.Violations), func(t quantrac.Transition) bool { return t.Force != rules.ForceReference })
}
