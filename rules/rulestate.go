package rules

import (
	"strconv"
	"strings"
	"time"

	"github.com/quantrac/quantrac"
	"github.com/quantrac/quantrac/param"
)

// ruleState is the alert and period state of one rule at one station. A station keeps one
// per limit (35 at a station under QCVN 05:2023 and WHO 2021), so it is kept to 64 bytes: what
// few rules hold at a time is behind one pointer (more), and the fields are ordered so that
// none is padded.
type ruleState struct {
	rule   *rule
	factor float64 // the product of the station coefficients the limit names (Cmax = C × kq × kf)
	// The latest closed period's ratio, data capture and state (vUnset before the first), as
	// the metrics export them.
	lastRatio, lastCoverage float64
	more                    *ruleMore
	yr                      *yearState // 1y and counted rules
	x                       *ruleExtra // sample and block rules
	starts                  int32      // violations started, for quantrac_violations_total
	// hourMin is the readings an hour needs to be valid (hour coverage × 1 h ÷ interval).
	hourMin   int16
	alert     alertState
	lastState vstate
}

// ruleMore is the part of a rule's state that few rules hold at a time.
type ruleMore struct {
	// kept is the latest closed period's whole verdict for day rules (hasKept), whose periods
	// outlive the hours held: the API shows it as judged all the next day. Hour-labelled,
	// sample, block and year periods are evaluated again from what the series holds (years
	// from their sums).
	kept    keptVerdict
	hasKept bool
	active  *Transition // the "started" transition of the exceedance in progress
}

// kept returns the day rule's kept verdict, or nil.
func (r *ruleState) kept() *keptVerdict {
	if r.more == nil || !r.more.hasKept {
		return nil
	}
	return &r.more.kept
}

// active returns the "started" transition of the exceedance in progress, or nil.
func (r *ruleState) active() *Transition {
	if r.more == nil {
		return nil
	}
	return r.more.active
}

// setActive records tr (nil: none) as the exceedance in progress.
func (r *ruleState) setActive(tr *Transition) {
	if r.more == nil {
		if tr == nil {
			return
		}
		r.more = new(ruleMore)
	}
	r.more.active = tr
}

// keptVerdict is what the API shows of a day rule's latest closed period.
type keptVerdict struct {
	value, limit, ratio, coverage float64
	start, end                    int64
	version                       *Limit
	count                         int32
	state                         vstate
}

// setLast records v as the latest closed period's verdict: the metrics and the API show it as
// it was judged while the next period fills, whatever the hours held since.
func (r *ruleState) setLast(v *verdict) {
	r.lastRatio, r.lastCoverage, r.lastState = v.ratio, v.coverage, v.state
	if r.rule.dayKind() {
		if r.more == nil {
			r.more = new(ruleMore)
		}
		r.more.kept = keptVerdict{v.value, v.limit, v.ratio, v.coverage, v.start, v.end, v.version, int32(v.count), v.state}
		r.more.hasKept = true
	}
}

// latestVerdict returns the verdict of rs's latest closed period with its evidence.
func (s *stationState) latestVerdict(ser *series, rs *ruleState) verdict {
	if k := rs.kept(); k != nil {
		return verdict{state: k.state, value: k.value, limit: k.limit, ratio: k.ratio, coverage: k.coverage,
			count: int(k.count), start: k.start, end: k.end, version: k.version, factor: rs.factor}
	}
	return s.latest(ser, rs)
}

// ruleExtra is the state of sample and block rules: 24 bytes for a sample rule, whose
// blocks stay nil (a wastewater station has one per limit).
type ruleExtra struct {
	sampleT int64   // sample rules: the newest reading compared, Unix ns
	sampleV float64 // and its value
	blk     *blocks // block rules
}

func newRuleState(r *rule, st *quantrac.Station) ruleState {
	rs := ruleState{rule: r, factor: 1, lastState: vUnset, hourMin: int16(min(hourMin(r.reg.HourCoverage, st.Interval), 3600))}
	for _, c := range r.versions[0].Coefficients { // versions name the same coefficients (groupRules)
		rs.factor *= st.Coefficient(c)
	}
	switch {
	case r.kind == perYear:
		rs.yr = newYearState(r.reg.AnnualOfDays)
	case r.design != nil:
		rs.yr = newYearState(true)
		rs.yr.dv = new(dvState)
	case r.counted:
		rs.yr = newYearState(r.unitDays())
	case r.kind == perSample:
		rs.x = &ruleExtra{}
	case r.kind == perBlock:
		rs.x = &ruleExtra{blk: &blocks{}}
	}
	return rs
}

// hourMin returns the readings an hour needs to be valid: coverage of the 1 h ÷ interval
// readings expected, at least one.
func hourMin(coverage float64, interval time.Duration) int {
	if interval <= 0 {
		interval = quantrac.DefaultInterval
	}
	expected := float64(time.Hour) / float64(interval)
	n := int(coverage*expected - 1e-9)
	if float64(n) < coverage*expected-1e-9 {
		n++
	}
	return max(1, n)
}

// step applies the verdict of a closed period to the alert and returns the transition it
// causes, if any.
func (s *stationState) step(ser *series, rs *ruleState, v *verdict, out []Transition) []Transition {
	h := 0.0
	if v.version != nil {
		h = v.version.Hysteresis
	}
	next, kind := step(rs.alert, v, h, rs.rule.counted)
	rs.alert = next
	if kind == "" {
		return out
	}
	tr := s.transition(ser, rs, v, kind)
	if kind == Started {
		rs.setActive(&tr)
		rs.starts++
	} else {
		rs.setActive(nil)
	}
	return append(out, tr)
}

// transition builds the evidence of a start or end.
func (s *stationState) transition(ser *series, rs *ruleState, v *verdict, kind string) Transition {
	r := rs.rule
	tr := Transition{Station: s.st.ID, Parameter: ser.param, Regulation: r.reg.ID, Period: r.period, Force: r.forceFor(s.st),
		State: kind, Value: v.value, Limit: v.limit, Ratio: v.ratio, Coverage: v.coverage, Count: v.count,
		WindowStart: time.Unix(0, v.start).UTC(), WindowEnd: time.Unix(0, v.end).UTC(),
		Version: versionString(r.reg.ID, v.version, s.st), Unit: r.valueUnit(ser), Statistic: r.statistic(),
		Reference: referenceText(r), Episode: episodeOf(rs, v, kind)}
	if r.design != nil && v.version != nil {
		tr.Form = v.version.Form(false)
	}
	if f := v.form; f != nil {
		tr.Form = v.version.Form(r.reg.AnnualOfDays)
		tr.Exceedances, tr.ExceedancesAllowed = f.exceedances, f.allowed
		if r.years > 1 {
			tr.Exceedances3y, tr.ExceedancesAllowed3y, tr.Years = f.mean, f.allowedMean, f.years
		}
	}
	return tr
}

// episodeOf is the episode of a transition: a start opens one named by its period's end, an
// end closes the one in progress.
func episodeOf(rs *ruleState, v *verdict, kind string) string {
	if kind == Started || rs.active() == nil {
		return time.Unix(0, v.end).UTC().Format(time.RFC3339Nano)
	}
	return rs.active().Episode
}

// statistic names what Value is: the statistic, or "sample" for a reading.
func (r *rule) statistic() string {
	if r.kind == perSample {
		return Sample
	}
	return string(r.stat)
}

// referenceText is the evidence's reference conditions: the regulation's reference
// temperature for gases (whose µg/m³ depend on it), "" for other parameters.
func referenceText(r *rule) string {
	if p, ok := param.Lookup(r.param); ok && p.IsGas() {
		ref := r.reg.Reference
		if ref == (param.Reference{}) {
			ref = param.Standard
		}
		return ref.String() + ", 1 atm"
	}
	return ""
}

// versionString names the limit version and how the station's coefficients scaled it:
// "QCVN-40:2011/B until 2031-12-31; C 150 mg/L × kq 0.9 × kf 1".
func versionString(reg string, l *Limit, st *quantrac.Station) string {
	if l == nil {
		return reg
	}
	var b strings.Builder
	b.WriteString(reg)
	if !l.From.IsZero() {
		b.WriteString(" from " + l.From.Format(time.DateOnly))
	}
	if !l.Until.IsZero() {
		b.WriteString(" until " + l.Until.Add(-time.Nanosecond).Format(time.DateOnly))
	}
	if len(l.Coefficients) > 0 && l.Max != nil {
		b.WriteString("; C " + strconv.FormatFloat(*l.Max, 'g', -1, 64) + " " + l.Unit)
		for _, c := range l.Coefficients {
			b.WriteString(" × " + c + " " + strconv.FormatFloat(st.Coefficient(c), 'g', -1, 64))
		}
	}
	return b.String()
}

// blocks is the state of a sub-hour block rule: the block being filled and the newest closed
// one. A reading for an older block is not counted (blocks keep no history).
type blocks struct {
	cur, done blockAgg
}

type blockAgg struct {
	end    int64 // Unix ns; 0: none
	n      int
	sum    float64
	lo, hi float64
	closed bool // the station's clock reached end, and the block was judged
}

func (b *blockAgg) add(v float64) {
	if b.n == 0 {
		b.lo, b.hi = v, v
	} else {
		b.lo, b.hi = min(b.lo, v), max(b.hi, v)
	}
	b.n++
	b.sum += v
}
