package api

import (
	"github.com/quantrac/quantrac"
	"github.com/quantrac/quantrac/report"
	"github.com/quantrac/quantrac/rules"
)

// withForce gives the transitions written before limits had a force (rules/README.md, "Force
// and words") theirs, from the catalog; those of a station the registry no longer holds keep
// none.
func (a *API) withForce(ts []quantrac.Transition) []quantrac.Transition {
	reg := a.o.Registry()
	for i := range ts {
		t := &ts[i]
		if st := reg.Station(t.Station); t.Force == "" && st != nil && a.o.Catalog != nil {
			t.Force = report.ForceOf(a.o.Catalog, st, t.Regulation, t.Parameter, t.Period)
		}
	}
	return ts
}

// active returns the exceedances in progress, each with its force.
func (a *API) active() []quantrac.Transition { return a.withForce(a.o.State.Active()) }

// binding reports whether an exceedance enters the station's conclusion: one without a force
// counts as binding.
func binding(force string) bool { return force != rules.ForceReference }
