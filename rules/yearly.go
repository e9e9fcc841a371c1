package rules

import (
	"math"
)

// yearState keeps what a 1y rule or a counted rule needs of the calendar years in which the
// hour ring no longer holds the hours: running sums per year of its units — hours or days —
// folded in when their hours leave the ring. The units still held are evaluated from the ring
// when asked for, so a late reading for them changes the year's figures without bookkeeping.
type yearState struct {
	folded    int64 // the newest unit (hour id or day) folded into acc
	acc       [maxYears]yearAcc
	form      *formFigures // the current year's figures as of formStamp (counted rules)
	formStamp uint32
	unitDays  bool     // units are local days (else clock hours)
	dv        *dvState // design-value rules: the years' values (designvalue.go)
}

// maxYears is the most calendar years a form averages, and the years a yearState keeps.
const maxYears = 3

// yearAcc is one calendar year's folded units.
type yearAcc struct {
	sum  float64 // 1y rules: the sum of the valid units' means
	year int32
	n    int32 // valid units
	exc  int32 // counted rules: exceeding units
}

func newYearState(unitDays bool) *yearState {
	return &yearState{unitDays: unitDays, folded: math.MinInt64}
}

// get returns the folded figures of year y (zero when none).
func (ys *yearState) get(y int) yearAcc {
	for _, a := range ys.acc {
		if int(a.year) == y {
			return a
		}
	}
	return yearAcc{year: int32(y)}
}

// at returns year y's entry, taking the oldest entry's place when y is new.
func (ys *yearState) at(y int) *yearAcc {
	old := 0
	for i := range ys.acc {
		if int(ys.acc[i].year) == y {
			return &ys.acc[i]
		}
		if ys.acc[i].year < ys.acc[old].year {
			old = i
		}
	}
	ys.acc[old] = yearAcc{year: int32(y)}
	return &ys.acc[old]
}

// unitResult evaluates one closed unit (hour id or day) of a rule with a yearState: whether it
// is valid, its mean (1y rules) and whether it exceeded (counted rules).
func (s *stationState) unitResult(ser *series, rs *ruleState, u int64) (valid bool, mean float64, exceeded bool) {
	if rs.rule.kind == perYear {
		if rs.yr.unitDays {
			mean, valid = s.dayMean(ser, rs, u)
			return valid, mean, false
		}
		if ser.h.taken(u) >= int(rs.hourMin) && ser.h.n(u) > 0 {
			return true, ser.h.mean(u), false
		}
		return false, 0, false
	}
	var v verdict
	if rs.yr.unitDays {
		v = s.evalDay(ser, rs, u, false)
	} else {
		v = s.evalHour(ser, rs, u, false)
	}
	return v.state.judged(), v.value, v.state == vExceeded
}

// unitYear returns the calendar year of a unit.
func (s *stationState) unitYear(ys *yearState, u int64) int {
	if ys.unitDays {
		return s.cal.yearOfDay(u)
	}
	return s.cal.yearOfDay(s.cal.dayOf(u))
}

// firstHeld returns the oldest unit whose hours the ring still holds entirely.
func (s *stationState) firstHeld(ser *series, rs *ruleState) int64 {
	oldest := ser.h.head - ringHours + 1
	if !rs.yr.unitDays {
		return oldest
	}
	d := s.cal.dayOf(oldest)
	if first, _, _ := s.cal.dayHours(d); first-s.lead(rs) < oldest {
		d++
	}
	return d
}

// lead is how many hours before a day its evaluation reads (running 8-h means).
// Appendix U's periods starting later in the day make it negative: the day's first hours are
// not read.
func (s *stationState) lead(rs *ruleState) int64 {
	if d := rs.rule.design; d != nil && d.StartHours[1] > 0 {
		return -int64(d.StartHours[0])
	}
	if rs.rule.stat == MaxDaily8h {
		return window8 - 1
	}
	return 0
}

// fold moves into the yearly sums the units whose hours leave the ring when its head moves to
// newHead; they are closed (the clock passed them before the ring moved).
func (s *stationState) fold(ser *series, rs *ruleState, newHead int64) {
	ys := rs.yr
	boundary := newHead - ringHours // hours up to here leave
	from := max(ys.folded+1, s.firstHeld(ser, rs))
	var to int64
	if ys.unitDays {
		// the newest day whose first needed hour leaves
		d := s.cal.dayOf(boundary + s.lead(rs))
		if first, _, _ := s.cal.dayHours(d); first-s.lead(rs) > boundary {
			d--
		}
		to = min(d, s.cal.dayOf(ser.h.head)) // later days hold no data
	} else {
		to = min(boundary, ser.h.head)
	}
	for u := from; u <= to; u++ {
		if ys.dv != nil {
			s.dvDay(ser, rs, u, ys.dv.at(s.unitYear(ys, u)))
			continue
		}
		valid, mean, exceeded := s.unitResult(ser, rs, u)
		if !valid {
			continue
		}
		a := ys.at(s.unitYear(ys, u))
		a.n++
		a.sum += mean
		if exceeded {
			a.exc++
		}
	}
	ys.folded = max(ys.folded, to)
}

// yearFigures returns year y's valid units, their sum of means and exceeding units: the folded
// figures plus the closed units the ring still holds.
func (s *stationState) yearFigures(ser *series, rs *ruleState, y int) (n int, sum float64, exc int) {
	a := rs.yr.get(y)
	n, sum, exc = int(a.n), a.sum, int(a.exc)
	if ser.h == nil || ser.h.head == 0 {
		return n, sum, exc
	}
	from, to := s.yearUnits(rs.yr, y)
	from = max(from, rs.yr.folded+1, s.firstHeld(ser, rs))
	to = min(to, s.latestClosedUnit(rs.yr))
	for u := from; u <= to; u++ {
		valid, mean, exceeded := s.unitResult(ser, rs, u)
		if valid {
			n++
			sum += mean
			if exceeded {
				exc++
			}
		}
	}
	return n, sum, exc
}

// yearUnits returns the first and last unit of year y.
func (s *stationState) yearUnits(ys *yearState, y int) (first, last int64) {
	if ys.unitDays {
		return s.cal.yearDays(y)
	}
	return s.cal.yearHours(y)
}

// latestClosedUnit returns the newest unit closed at the station's clock.
func (s *stationState) latestClosedUnit(ys *yearState) int64 {
	if ys.unitDays {
		return s.latestClosedDay()
	}
	return s.cal.closedHour(s.clock)
}

// elapsedUnits returns how many units of year y have closed at the station's clock.
func (s *stationState) elapsedUnits(ys *yearState, y int) int {
	first, last := s.yearUnits(ys, y)
	return int(max(0, min(last, s.latestClosedUnit(ys))-first+1))
}

// evalYear evaluates calendar year y: the mean of its valid daily (QCVN) or hourly (EU, WHO,
// US) means; for a 1y limit with years > 1, the average of the annual means of the years with
// a valid mean. Data capture is valid units ÷ the year's units, or ÷ the units so far while
// the year runs (open).
func (s *stationState) evalYear(ser *series, rs *ruleState, y int, open bool) verdict {
	fd, ld := s.cal.yearDays(y)
	first, _, _ := s.cal.dayHours(fd)
	_, last, _ := s.cal.dayHours(ld)
	v := verdict{start: s.cal.end(first) - hourNs, end: s.cal.end(last)}
	n, sum, _ := s.yearFigures(ser, rs, y)
	units := s.elapsedUnits(rs.yr, y)
	if !open {
		f, l := s.yearUnits(rs.yr, y)
		units = int(l - f + 1)
	} else if lc := s.latestClosedUnit(rs.yr); rs.yr.unitDays {
		v.end = s.cal.dayEnd(lc)
	} else {
		v.end = s.cal.end(lc)
	}
	v.count = n
	if units > 0 {
		v.coverage = float64(n) / float64(units)
	}
	if n == 0 {
		return v
	}
	mean := round12(sum / float64(n))
	if k := rs.rule.years; k > 1 {
		means, years := mean, 1
		for py := y - k + 1; py < y; py++ {
			pn, psum, _ := s.yearFigures(ser, rs, py)
			f, l := s.yearUnits(rs.yr, py)
			if pn > 0 && float64(pn)+1e-9 >= rs.rule.versions[0].MinCoverage*float64(l-f+1) {
				means += round12(psum / float64(pn))
				years++
				v.start = min(v.start, s.cal.end(s.cal.yearHoursFirst(py))-hourNs)
			}
		}
		mean = round12(means / float64(years))
	}
	rs.judge(&v, mean, mean, mean, need(open, -1))
	return v
}

// figures returns a counted rule's exceedance figures for year y under version l: the year's
// exceeding units and allowance, and with years > 1 both averaged over the years with data.
// While year y runs, a percentile form's allowance is the one its valid days can still reach
// (the days left counted as valid), so that a breach is reported only once no remaining day
// can undo it; once the year has closed it is the allowance of its valid days.
func (s *stationState) figures(ser *series, rs *ruleState, y int, l *Limit) *formFigures {
	n, _, exc := s.yearFigures(ser, rs, y)
	f := &formFigures{exceedances: exc, allowed: s.allowance(rs, l, y, n), years: 1}
	if rs.rule.years <= 1 {
		f.mean, f.allowedMean = float64(exc), float64(f.allowed)
		f.beyond = exc > f.allowed
		return f
	}
	sumExc, sumAllowed, k := exc, f.allowed, 1
	for py := y - rs.rule.years + 1; py < y; py++ {
		if pn, _, pexc := s.yearFigures(ser, rs, py); pn > 0 {
			sumExc += pexc
			sumAllowed += s.allowance(rs, l, py, pn)
			k++
		}
	}
	f.years = k
	f.mean, f.allowedMean = float64(sumExc)/float64(k), float64(sumAllowed)/float64(k)
	f.beyond = f.mean > f.allowedMean+1e-9
	return f
}

// allowance returns version l's allowance for year y with valid units so far.
func (s *stationState) allowance(rs *ruleState, l *Limit, y, valid int) int {
	if l.Percentile > 0 && y >= s.openYear() {
		fd, ld := s.cal.yearDays(y)
		valid += int(ld - max(s.latestClosedDay(), fd-1)) // the days left, counted as valid
	}
	return l.Allowance(valid)
}
