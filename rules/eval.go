package rules

import (
	"math"
	"time"
)

// The periods built from hourly aggregates (rules/README.md, "Evaluation"). Every evaluator
// reads the series' hour ring only; closed hours count when valid (enough readings for the
// station's interval), and a period in progress (open) counts its open hour as it stands.

// window8 is the length of the running means of max_daily_8h, and need8 the valid hours one
// needs (75 %, 2008/50/EC Annex VII).
const (
	window8 = 8
	need8   = 6
)

// hourOK reports whether hour id counts in a period: valid when closed, any reading when it
// is the open hour of a period in progress.
func (s *stationState) hourOK(h *hourRing, rs *ruleState, id int64) bool {
	return h.n(id) > 0 && (h.taken(id) >= int(rs.hourMin) || id > s.cal.closedHour(s.clock))
}

// capture returns the data capture of hour id: the share of its reading slots taken (of the
// readings an hour expects, without slots), at most 1.
func (s *stationState) capture(h *hourRing, id int64) float64 {
	if h.slots > 0 {
		return float64(h.taken(id)) / float64(h.slots)
	}
	return min(1, float64(h.n(id))*float64(s.interval)/float64(time.Hour))
}

// evalHour evaluates the clock hour id: the mean (or extremes) of its readings; its data
// capture is the share of its reading slots taken.
func (s *stationState) evalHour(ser *series, rs *ruleState, id int64, open bool) verdict {
	v := verdict{start: s.cal.end(id) - hourNs, end: s.cal.end(id)}
	if ser.h == nil {
		return v
	}
	v.count = ser.h.n(id)
	v.coverage = s.capture(ser.h, id)
	if v.count == 0 {
		return v
	}
	lo, hi := ser.h.extremes(id)
	rs.judge(&v, ser.h.mean(id), lo, hi, need(open, -1))
	return v
}

func need(open bool, closed float64) float64 {
	if open {
		return 0
	}
	return closed
}

// hoursAcc accumulates the valid hours of a period.
type hoursAcc struct {
	n          int
	sum        float64
	lo, hi     float64
	maxMean    float64
	maxMeanSet bool
}

func (a *hoursAcc) add(h *hourRing, id int64) {
	m := h.mean(id)
	lo, hi := h.extremes(id)
	if a.n == 0 {
		a.lo, a.hi = lo, hi
	} else {
		a.lo, a.hi = math.Min(a.lo, lo), math.Max(a.hi, hi)
	}
	a.n++
	a.sum += m
	if !a.maxMeanSet || m > a.maxMean {
		a.maxMean, a.maxMeanSet = m, true
	}
}

func (a *hoursAcc) mean() float64 { return round12(a.sum / float64(a.n)) }

// running accumulates the n hours ending with hour last.
func (s *stationState) running(h *hourRing, rs *ruleState, last int64, n int) hoursAcc {
	var a hoursAcc
	for id := last - int64(n) + 1; id <= last; id++ {
		if s.hourOK(h, rs, id) {
			a.add(h, id)
		}
	}
	return a
}

// evalRunning evaluates the running mean of rs's N hourly means labelled at hour last.
func (s *stationState) evalRunning(ser *series, rs *ruleState, last int64, open bool) verdict {
	n := int(rs.rule.span)
	v := verdict{start: s.cal.end(last - int64(n)), end: s.cal.end(last)}
	if ser.h == nil || !ser.h.overlaps(last-int64(n)+1, last) {
		return v
	}
	a := s.running(ser.h, rs, last, n)
	v.count, v.coverage = a.n, float64(a.n)/float64(n)
	if a.n > 0 {
		rs.judge(&v, a.mean(), a.lo, a.hi, need(open, -1))
	}
	return v
}

// evalDay evaluates local day d: the mean (or extremes) of its valid hourly means, its highest
// running 8-h mean (max_daily_8h) or its highest hourly mean (daily_max_1h); data capture is
// valid hours (or valid 8-h means) ÷ the day's hours.
func (s *stationState) evalDay(ser *series, rs *ruleState, d int64, open bool) verdict {
	if rs.rule.design != nil {
		return s.evalDesign(ser, rs, d, open)
	}
	first, last, _ := s.cal.dayHours(d)
	v := verdict{start: s.cal.end(first) - hourNs, end: s.cal.end(last)}
	if ser.h == nil || !ser.h.overlaps(first-window8+1, last) {
		return v
	}
	hours := float64(last - first + 1)
	switch rs.rule.stat {
	case MaxDaily8h:
		best, n := math.Inf(-1), 0
		for id := first; id <= last; id++ {
			if a := s.running(ser.h, rs, id, window8); a.n >= need8 || (open && a.n > 0) {
				best = math.Max(best, a.mean())
				n++
			}
		}
		v.count, v.coverage = n, float64(n)/hours
		if n > 0 {
			rs.judge(&v, best, best, best, need(open, -1))
		}
	default:
		var a hoursAcc
		for id := first; id <= last; id++ {
			if s.hourOK(ser.h, rs, id) {
				a.add(ser.h, id)
			}
		}
		v.count, v.coverage = a.n, float64(a.n)/hours
		if a.n == 0 {
			return v
		}
		m := a.mean()
		if rs.rule.stat == DailyMax1h {
			m = a.maxMean
		}
		rs.judge(&v, m, a.lo, a.hi, need(open, -1))
	}
	return v
}

// dayMean returns the mean of local day d's valid hourly means and whether the day is valid
// (≥ 75 % of its hours: 18 of 24), as the days of a QCVN annual mean.
func (s *stationState) dayMean(ser *series, rs *ruleState, d int64) (float64, bool) {
	first, last, _ := s.cal.dayHours(d)
	if !ser.h.overlaps(first, last) {
		return 0, false
	}
	var a hoursAcc
	for id := first; id <= last; id++ {
		if s.hourOK(ser.h, rs, id) {
			a.add(ser.h, id)
		}
	}
	if a.n == 0 || float64(a.n)+1e-9 < DefaultMinCoverage*float64(last-first+1) {
		return 0, false
	}
	return a.mean(), true
}

// latestClosedDay returns the newest local day closed at the station's clock.
func (s *stationState) latestClosedDay() int64 {
	return s.cal.dayOf(s.cal.closedHour(s.clock)+1) - 1
}

// openYear returns the calendar year in progress at the station's clock.
func (s *stationState) openYear() int {
	return s.cal.yearOfDay(s.latestClosedDay() + 1)
}
