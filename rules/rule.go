package rules

import (
	"fmt"
	"slices"
	"time"
)

// rule is what the engine evaluates: one regulation's limit on one parameter over one period,
// with the versions of its value over time (QCVN 05:2023 PM2.5 24 h: 50, then 45).
type rule struct {
	regulation string
	param      string
	period     string
	dur        time.Duration
	stat       Statistic
	versions   []*Limit // by From; intervals do not overlap
}

// groupRules groups limits by parameter and period, in file order, and checks that the
// versions of one rule share a statistic and do not overlap in time.
func groupRules(regulation string, limits []Limit) ([]*rule, error) {
	var rules []*rule
	for i := range limits {
		l := &limits[i]
		idx := slices.IndexFunc(rules, func(r *rule) bool { return r.param == l.Parameter && r.period == l.Period })
		if idx < 0 {
			rules = append(rules, &rule{regulation: regulation, param: l.Parameter, period: l.Period, dur: l.Duration, stat: l.Statistic})
			idx = len(rules) - 1
		}
		r := rules[idx]
		if r.stat != l.Statistic {
			return nil, fmt.Errorf("%s: versions use different statistics (%s, %s)", l.describe(), r.stat, l.Statistic)
		}
		r.versions = append(r.versions, l)
	}
	for _, r := range rules {
		slices.SortStableFunc(r.versions, func(a, b *Limit) int { return a.From.Compare(b.From) })
		for i := 1; i < len(r.versions); i++ {
			prev, next := r.versions[i-1], r.versions[i]
			if prev.Until.IsZero() || next.From.IsZero() || prev.Until.After(next.From) {
				return nil, fmt.Errorf("%s: versions overlap in time (give each a from/until)", next.describe())
			}
		}
	}
	return rules, nil
}

// certain returns the rule without its uncertain (U) versions, or nil when none is left.
func (r *rule) certain() *rule {
	if !slices.ContainsFunc(r.versions, (*Limit).Uncertain) {
		return r
	}
	c := *r
	c.versions = slices.DeleteFunc(slices.Clone(r.versions), (*Limit).Uncertain)
	if len(c.versions) == 0 {
		return nil
	}
	return &c
}

// at returns the version in force at t, or nil.
func (r *rule) at(t time.Time) *Limit {
	for _, v := range r.versions {
		if v.InForce(t) {
			return v
		}
	}
	return nil
}

// allowsExceedances reports whether any version allows exceedances per year.
func (r *rule) allowsExceedances() bool {
	return slices.ContainsFunc(r.versions, func(l *Limit) bool { return l.AllowedExceedances > 0 })
}
