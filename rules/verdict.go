package rules

import (
	"math"
)

// Verdict states of a period, exported as the State of a LimitStatus.
const (
	StateOK           = "ok"                // inside the limit
	StateExceeded     = "exceeded"          // outside the limit
	StateInsufficient = "insufficient_data" // data capture below the period's minimum: no verdict
	StateNoLimit      = "not_in_force"      // no version of the limit is in force in the period
	StateNoData       = "no_data"           // no valid reading in the period
	StateUnknown      = "unknown"           // not yet known: the station's state is being rebuilt
)

// vstate is a verdict state, kept small in every rule.
type vstate uint8

const (
	vNoData vstate = iota
	vOK
	vExceeded
	vInsufficient
	vNotInForce
	vUnset // a rule's latest closed period before the first: reads as no data
)

func (s vstate) String() string {
	return [...]string{vNoData: StateNoData, vOK: StateOK, vExceeded: StateExceeded,
		vInsufficient: StateInsufficient, vNotInForce: StateNoLimit, vUnset: StateNoData}[s]
}

// judged reports whether the verdict compared a value with the limit.
func (s vstate) judged() bool { return s == vOK || s == vExceeded }

// verdict is the evaluation of one period of one rule.
type verdict struct {
	state      vstate
	value      float64 // the statistic at the regulation's reference; for a range, the side nearest to or furthest past its edge
	limit      float64 // the edge value compares with, coefficients applied
	ratio      float64
	coverage   float64
	count      int   // readings (sample, blocks, 1h) or valid hours, 8-h means, days
	start, end int64 // the period (start, end], Unix ns
	version    *Limit
	factor     float64
	form       *formFigures // counted limits: the exceedance figures of the period's year
}

// formFigures are a counted limit's exceedance figures for one calendar year (rules/README.md,
// "Evaluation").
type formFigures struct {
	exceedances int     // exceeding hours or days of the year so far
	allowed     int     // what the year allows (percentile forms: by its valid days)
	mean        float64 // averaged over years (years > 1): exceedances per year
	allowedMean float64 // and the allowance averaged likewise
	years       int     // years with data that the averages cover
	beyond      bool    // the form's figure is above its allowance: the regulation is breached
}

// judge completes v, whose count, coverage and window are set: the version in force in the
// period, data capture, and the comparison of the statistic (mean, or the extremes lo and hi)
// with the limit. need is the data capture a verdict needs; a negative need takes the
// version's min_coverage, and 0 judges a period in progress as it stands.
func (r *ruleState) judge(v *verdict, mean, lo, hi, need float64) {
	if v.count == 0 {
		v.state = vNoData
		return
	}
	at := v.end - 1 // in force in the period: its last instant before the end label (24:00 is the day's)
	if r.rule.kind == perSample {
		at = v.end
	}
	i := r.rule.versionAt(at)
	if i < 0 {
		v.state = vNotInForce
		return
	}
	v.version, v.factor = r.rule.versions[i], r.factor
	if need < 0 {
		need = v.version.MinCoverage
	}
	if v.coverage+1e-9 < need {
		v.state = vInsufficient
		return
	}
	ref := r.rule.ref
	v.value, v.limit, v.ratio = compare(r.rule.stat, round12(mean*ref), round12(lo*ref), round12(hi*ref), v.version, v.factor)
	v.state = vOK
	if v.ratio > 1 {
		v.state = vExceeded
	}
}

// compare reduces a period to the value compared with the limit and its limit ratio. A ratio
// above 1 is outside the limit. For an upper bound it is value ÷ limit; for a lower bound
// 2 − value ÷ limit, so that it too is 1 at the edge and grows by how far the value is past
// the edge relative to it; a range takes the larger of its two sides.
func compare(stat Statistic, mean, lo, hi float64, l *Limit, factor float64) (value, limit, ratio float64) {
	vlo, vhi := mean, mean
	switch stat {
	case Max:
		vlo, vhi = hi, hi
	case Min:
		vlo, vhi = lo, lo
	case Range:
		vlo, vhi = lo, hi
	}
	ratio = math.Inf(-1)
	if l.Max != nil {
		limit = *l.Max * factor
		value, ratio = vhi, vhi/limit
	}
	if l.Min != nil && *l.Min > 0 {
		edge := *l.Min * factor
		if r := 2 - vlo/edge; r > ratio {
			value, limit, ratio = vlo, edge, r
		}
	}
	if math.IsInf(ratio, -1) {
		ratio = 0
	}
	return value, limit, ratio
}
