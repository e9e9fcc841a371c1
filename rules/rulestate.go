package rules

import (
	"math"
	"time"
	"unsafe"
)

// ruleState is the window and alert state of one rule at one station. A series keeps the
// states of its rules in one slice, and the fields every reading touches come first, so that
// a reading walks a few adjacent cache lines rather than one object per rule.
type ruleState struct {
	n     int64   // slots per window; 0 for 1y rules, which read the series' dayRing
	sum   float64 // valid readings in the window
	cnt   int
	lo    float64 // extremes of the window, kept for max, min and range statistics
	hi    float64
	dirty bool       // lo/hi must be recomputed from the slots
	alert alertState // see step
	last  summary    // the newest evaluation, as exported

	rule    *rule
	factors []float64    // station coefficient product per version of rule
	exc     *exceedances // nil unless a version allows exceedances per year
	active  *Transition  // the "started" transition of the violation in progress
	starts  int          // violations started, for quantrac_violations_total
}

// summary is what the metrics export of a rule's newest verdict; the whole verdict is
// recomputed from the window when asked for (evaluate is pure).
type summary struct {
	state           string
	ratio, coverage float64
}

func newRuleState(r *rule, factors []float64, w int64) ruleState {
	rs := ruleState{rule: r, factors: factors, lo: math.NaN(), hi: math.NaN()}
	if r.dur != Year {
		rs.n = max(1, (int64(r.dur)+w/2)/w)
	}
	if r.allowsExceedances() {
		rs.exc = newExceedances(r)
	}
	return rs
}

func (r *ruleState) needsExtremes() bool { return r.rule.stat != Mean }

// ringSlots is how many slots of history the rule needs.
func (r *ruleState) ringSlots() int64 {
	if r.exc != nil && r.exc.blocks {
		return 2 * r.n
	}
	return r.n
}

func (r *ruleState) reset() {
	r.sum, r.cnt, r.lo, r.hi, r.dirty = 0, 0, math.NaN(), math.NaN(), false
}

// update applies slot n's new value v (replacing old when had) to the window and blocks.
func (r *ruleState) update(s *series, n int64, old, v float64, had bool, cal *calendar) {
	if r.exc != nil && r.exc.blocks {
		r.exc.update(r, s, n, old, v, had, cal)
	}
	if r.n == 0 || n <= s.head-r.n {
		return
	}
	if had {
		r.sum += v - old
	} else {
		r.sum += v
		r.cnt++
	}
	if !r.needsExtremes() {
		return
	}
	if had && (old == r.lo || old == r.hi) {
		r.dirty = true
	}
	if !(v >= r.lo) {
		r.lo = v
	}
	if !(v <= r.hi) {
		r.hi = v
	}
}

// evict removes a value leaving the window.
func (r *ruleState) evict(v float64) {
	r.cnt--
	r.sum -= v
	if r.cnt == 0 {
		r.reset()
		return
	}
	if r.needsExtremes() && (v == r.lo || v == r.hi) {
		r.dirty = true
	}
}

// aggregate returns the window's count, sum and extremes at the series head.
func (r *ruleState) aggregate(s *series) (cnt int, sum, lo, hi float64) {
	if r.n == 0 {
		return s.year.n, s.year.sum, math.NaN(), math.NaN()
	}
	if r.dirty {
		r.lo, r.hi = s.extremes(r.n)
		r.dirty = false
	}
	return r.cnt, r.sum, r.lo, r.hi
}

// exactSum re-adds the window in slot order: running sums drift by rounding, which must not
// decide a verdict at the limit, and the slot order makes it independent of arrival order.
func (r *ruleState) exactSum(s *series) float64 {
	if r.n == 0 {
		return s.year.exactSum()
	}
	var sum float64
	for k := s.head - r.n + 1; k <= s.head; k++ {
		if sl := s.at(k); sl.t != 0 {
			sum += sl.v
		}
	}
	return sum
}

func (r *ruleState) bytes() int {
	b := int(unsafe.Sizeof(*r)) + 8*len(r.factors)
	if r.exc != nil {
		b += r.exc.bytes()
	}
	return b
}

// window returns the start and end of the window ending at the series head.
func (r *ruleState) window(s *series) (start, end int64) {
	end = s.head * s.w
	return end - int64(r.rule.dur), end
}

// Verdict states of a window, exported as the State of a Status.
const (
	StateOK           = "ok"                // inside the limit
	StateExceeded     = "exceeded"          // outside the limit
	StateInsufficient = "insufficient_data" // data capture below min_coverage: no verdict
	StateNoLimit      = "not_in_force"      // no version of the limit is in force at the window end
	StateNoData       = "no_data"           // no valid reading yet
)

// verdict is the evaluation of a window.
type verdict struct {
	state      string
	value      float64 // the statistic; for a range, the bound nearest to or furthest past its edge
	limit      float64 // the edge value compares with, coefficients applied
	ratio      float64
	coverage   float64
	count      int
	start, end int64
	version    *Limit
	factor     float64
}

// evaluate computes the verdict of the window ending at the series head.
func (r *ruleState) evaluate(s *series, interval time.Duration) (v verdict) {
	r.evaluateInto(&v, s, interval)
	return v
}

// evaluateInto is evaluate writing into v: the hot path reuses one verdict.
func (r *ruleState) evaluateInto(v *verdict, s *series, interval time.Duration) {
	start, end := r.window(s)
	*v = verdict{start: start, end: end, state: StateNoData}
	cnt, sum, lo, hi := r.aggregate(s)
	v.count = cnt
	v.coverage = min(1, float64(cnt)*float64(interval)/float64(r.rule.dur))
	if !s.seen || cnt == 0 {
		return
	}
	i := r.versionAt(end)
	if i < 0 {
		v.state = StateNoLimit
		return
	}
	v.version, v.factor = r.rule.versions[i], r.factors[i]
	if v.coverage+1e-9 < v.version.MinCoverage {
		v.state = StateInsufficient
		return
	}
	mean := sum / float64(cnt)
	v.value, v.limit, v.ratio = compare(r.rule.stat, mean, lo, hi, v.version, v.factor)
	if math.Abs(v.ratio-1) < 1e-6 && r.rule.stat == Mean {
		mean = r.exactSum(s) / float64(cnt)
		v.value, v.limit, v.ratio = compare(r.rule.stat, mean, lo, hi, v.version, v.factor)
	}
	v.state = StateOK
	if v.ratio > 1 {
		v.state = StateExceeded
	}
}

// versionAt returns the index of the version in force at end (Unix ns), or -1.
func (r *ruleState) versionAt(end int64) int {
	for i, l := range r.rule.versions {
		if l.inForceAt(end) {
			return i
		}
	}
	return -1
}

// compare reduces the window to the value compared with the limit and its limit ratio. A
// ratio above 1 is outside the limit. For an upper bound it is value ÷ limit; for a lower
// bound 2 − value ÷ limit, so that it too is 1 at the edge and grows by how far the value is
// past the edge relative to it; a range takes the larger of its two sides.
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
