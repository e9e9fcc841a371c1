package rules

import (
	"fmt"
	"slices"
	"time"

	"github.com/quantrac/quantrac/param"
)

// rule is what the engine evaluates: one regulation's limit on one parameter over one period,
// with the versions of its value over time (QCVN 05:2023 PM2.5 24 h: 50, then 45). Uncertain
// (U) values are listed in the catalog but never become versions.
type rule struct {
	reg      *Regulation
	param    string
	period   string // the period label
	kind     periodKind
	span     int64 // perRunning: hours; perBlock: the block length in ns
	stat     Statistic
	versions []*Limit     // by From; intervals do not overlap
	counted  bool         // a version counts exceedances against an allowance
	design   *DesignValue // US NAAQS: judged by a design value (designvalue.go), not counted
	force    string       // the versions' force (ForceBinding or ForceGuideline)
	years    int          // calendar years averaged (1 unless a version says more)
	// ref moves a canonical value (gases at 25 °C) to the regulation's reference conditions.
	ref float64
}

// groupRules groups the certain limits of reg by parameter and period, in file order, and
// checks that the versions of one rule share a statistic and do not overlap in time.
func groupRules(reg *Regulation) ([]*rule, error) {
	var rules []*rule
	for i := range reg.Limits {
		l := &reg.Limits[i]
		if l.Uncertain() {
			continue
		}
		idx := slices.IndexFunc(rules, func(r *rule) bool { return r.param == l.Parameter && r.period == l.Period })
		if idx < 0 {
			rules = append(rules, newRule(reg, l))
			idx = len(rules) - 1
		}
		r := rules[idx]
		if r.stat != l.Statistic {
			return nil, fmt.Errorf("%s: versions use different statistics (%s, %s)", l.describe(), r.stat, l.Statistic)
		}
		if len(r.versions) > 0 && (r.design == nil) != (l.Design == nil) {
			return nil, fmt.Errorf("%s: versions must all give a design_value, or none", l.describe())
		}
		if len(r.versions) > 0 && !slices.Equal(r.versions[0].Coefficients, l.Coefficients) {
			return nil, fmt.Errorf("%s: versions use different coefficients", l.describe())
		}
		if len(r.versions) > 0 && r.force != l.Force {
			return nil, fmt.Errorf("%s: versions have different forces (%s, %s)", l.describe(), r.force, l.Force)
		}
		r.force = l.Force
		r.versions = append(r.versions, l)
		if l.Design != nil {
			r.design = l.Design
		}
		r.counted = r.counted || (l.Counted() && l.Design == nil)
		r.years = max(r.years, l.Years)
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

func newRule(reg *Regulation, l *Limit) *rule {
	r := &rule{reg: reg, param: l.Parameter, period: l.Period, kind: l.kind, stat: l.Statistic, years: 1, ref: 1}
	switch l.kind {
	case perRunning:
		r.span = int64(l.Duration / time.Hour)
	case perBlock:
		r.span = int64(l.Duration)
	}
	if p, ok := param.Lookup(l.Parameter); ok {
		r.ref = p.AtReference(reg.Reference)
	}
	return r
}

// hourlyRules returns rules with the sample limits evaluated on 1-hour means instead, for
// stations with basis 1h: maxima on the hourly mean, ranges (pH) on the hour's lowest and
// highest readings, so that the range still holds for every reading. A sample limit whose
// parameter already has a 1h limit in the regulation stays a sample limit.
func hourlyRules(rules []*rule) []*rule {
	out := make([]*rule, len(rules))
	for i, r := range rules {
		out[i] = r
		if r.kind != perSample || slices.ContainsFunc(rules, func(o *rule) bool { return o.param == r.param && o.period == "1h" }) {
			continue
		}
		h := *r
		h.kind, h.period, h.stat = perHour, "1h", Mean
		if v := r.versions[0]; v.Min != nil && v.Max != nil {
			h.stat = Range
		}
		out[i] = &h
	}
	return out
}

// versionAt returns the index of the version in force at Unix time ns, or -1.
func (r *rule) versionAt(ns int64) int {
	for i, l := range r.versions {
		if l.inForceAt(ns) {
			return i
		}
	}
	return -1
}

// extremes reports whether the rule needs each hour's lowest and highest reading.
func (r *rule) extremes() bool { return r.kind != perSample && r.kind != perBlock && r.stat.extremes() }

// unitDays reports whether a counted rule counts days (else clock hours).
func (r *rule) unitDays() bool { return !(r.kind == perHour && r.stat != DailyMax1h) }

// dayKind reports whether the rule's periods are local calendar days.
func (r *rule) dayKind() bool {
	return r.kind == perDay || r.stat == MaxDaily8h || r.stat == DailyMax1h || r.design != nil
}
