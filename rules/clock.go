package rules

// advanceClock moves the station's clock to target and judges every period that closes: each
// closed hour, 8-h mean, day and year with data, in time order, steps its rule's alert.
func (s *stationState) advanceClock(target int64, out []Transition) []Transition {
	old := s.clock
	s.clock, s.pending = target, 0
	s.stamp++
	lold, lnew := s.cal.closedHour(old), s.cal.closedHour(target)
	for _, ser := range s.order {
		for i := range ser.rules {
			out = s.closeRule(ser, &ser.rules[i], lold, lnew, out)
		}
	}
	s.nextClose = s.cal.end(lnew + 1)
	if lnew != lold {
		for _, ser := range s.order {
			ser.forget(lnew, s.cal.end(lnew)) // closed hours keep their aggregates only
		}
	}
	for _, ser := range s.order {
		for i := range ser.rules {
			if x := ser.rules[i].x; x != nil && x.blk != nil && x.blk.cur.n > 0 && !x.blk.cur.closed {
				s.nextClose = min(s.nextClose, x.blk.cur.end)
			}
		}
	}
	return out
}

// closeRule judges the periods of rs that close between closed hours lold and lnew.
func (s *stationState) closeRule(ser *series, rs *ruleState, lold, lnew int64, out []Transition) []Transition {
	r := rs.rule
	switch {
	case r.kind == perSample:
		return out
	case r.kind == perBlock:
		if b := rs.x.blk; b.cur.n > 0 && !b.cur.closed && b.cur.end <= s.clock {
			b.cur.closed = true
			v := s.evalBlock(rs, &b.cur, false)
			out = s.judged(ser, rs, &v, true, out)
		}
		return out
	case ser.h == nil || ser.h.head == 0:
		return out
	case r.dayKind():
		dold, dnew := s.cal.dayOf(lold+1), s.cal.dayOf(lnew+1) // the days open before and after
		if dnew == dold {
			return out
		}
		first := s.cal.dayOf(ser.h.head - ringHours + 1)
		for d := max(dold, first); d < dnew && d <= s.cal.dayOf(ser.h.head); d++ {
			v := s.evalDay(ser, rs, d, false)
			out = s.judged(ser, rs, &v, d == dnew-1, out)
		}
		v := s.latest(ser, rs)
		rs.setLast(&v)
	case r.kind == perYear:
		yold, ynew := s.cal.yearOfDay(s.cal.dayOf(lold+1)), s.cal.yearOfDay(s.cal.dayOf(lnew+1))
		if ynew == yold {
			return out
		}
		for y := max(yold, ynew-2); y < ynew; y++ { // earlier years closed before, or hold no data
			v := s.evalYear(ser, rs, y, false)
			out = s.judged(ser, rs, &v, y == ynew-1, out)
		}
	default: // 1h and running means, labelled by hour
		if lnew == lold {
			return out
		}
		top := min(lnew, ser.h.head)
		if r.kind == perRunning {
			top = min(lnew, ser.h.head+r.span-1)
		}
		for l := max(lold+1, ser.h.head-ringHours+1); l <= top; l++ {
			v := s.evalLabel(ser, rs, l, false)
			out = s.judged(ser, rs, &v, l == lnew, out)
		}
		if top < lnew {
			v := s.evalLabel(ser, rs, lnew, false)
			rs.setLast(&v)
		}
	}
	return out
}

// evalLabel evaluates an hour-labelled period: the hour, or the running mean ending with it.
func (s *stationState) evalLabel(ser *series, rs *ruleState, l int64, open bool) verdict {
	if rs.rule.kind == perRunning {
		return s.evalRunning(ser, rs, l, open)
	}
	return s.evalHour(ser, rs, l, open)
}

// judged records the verdict of a closed period: its exceedance figures, the summary when it
// is the latest closed period, and the alert step when it has data.
func (s *stationState) judged(ser *series, rs *ruleState, v *verdict, latest bool, out []Transition) []Transition {
	s.withForm(ser, rs, v)
	if latest {
		rs.setLast(v)
	}
	if v.count == 0 || !s.known {
		return out
	}
	return s.step(ser, rs, v, out)
}

// withForm adds a counted rule's exceedance figures to a judged verdict.
func (s *stationState) withForm(ser *series, rs *ruleState, v *verdict) {
	if !rs.rule.counted || !v.state.judged() {
		return
	}
	y := s.cal.yearOfDay(s.cal.dayOf(s.cal.hourOf(v.end)))
	v.form = s.figures(ser, rs, y, v.version)
}

// latest evaluates rs's latest closed period (the one its verdict is about).
func (s *stationState) latest(ser *series, rs *ruleState) verdict {
	l := s.cal.closedHour(s.clock)
	var v verdict
	switch r := rs.rule; {
	case s.clock == 0:
	case r.kind == perSample:
		v = s.evalSample(rs)
	case r.kind == perBlock:
		b := &rs.x.blk.done
		if rs.x.blk.cur.closed {
			b = &rs.x.blk.cur
		}
		v = s.evalBlock(rs, b, false)
	case r.dayKind():
		v = s.evalDay(ser, rs, s.cal.dayOf(l+1)-1, false)
	case r.kind == perYear:
		v = s.evalYear(ser, rs, s.openYear()-1, false)
	default:
		v = s.evalLabel(ser, rs, l, false)
	}
	s.withForm(ser, rs, &v)
	return v
}

// provisional evaluates rs's period in progress as it stands; ok is false when it has no data
// (or the rule has no period in progress: sample limits).
func (s *stationState) provisional(ser *series, rs *ruleState) (v verdict, ok bool) {
	l := s.cal.closedHour(s.clock)
	switch r := rs.rule; {
	case s.clock == 0 || r.kind == perSample:
		return v, false
	case r.kind == perBlock:
		b := rs.x.blk
		if b.cur.closed || b.cur.n == 0 {
			return v, false
		}
		v = s.evalBlock(rs, &b.cur, true)
	case r.dayKind():
		v = s.evalDay(ser, rs, s.cal.dayOf(l+1), true)
	case r.kind == perYear:
		v = s.evalYear(ser, rs, s.openYear(), true)
	default:
		v = s.evalLabel(ser, rs, l+1, true)
	}
	return v, v.count > 0
}

// flush ends a station's batch: it closes the periods that end at its newest reading.
func (s *stationState) flush(out []Transition) []Transition {
	if s.pending != 0 {
		out = s.advanceClock(s.pending, out)
	}
	return out
}
