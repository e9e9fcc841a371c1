package rules

import (
	"slices"

	"github.com/quantrac/quantrac"
)

// migrate carries the state of the same station under its previous configuration over to s
// (a registry reload): its clock and status, each parameter's hours, and the alert, counters
// and yearly figures of every limit that remains (same regulation, parameter and period).
// What the reload changes in a way the kept hours cannot answer — a new interval or zone, a
// new limit without the years before — marks the station stale (Pending). A limit the reload
// removed ends its episode in progress at now (Unix ns), with reason limit_removed.
func (s *stationState) migrate(old *stationState, now int64) {
	kept := map[*ruleState]bool{}
	s.clock, s.nextClose, s.lastAny, s.valid, s.offline = old.clock, old.nextClose, old.lastAny, old.valid, old.offline
	s.observed, s.settled = old.observed, old.settled
	s.known, s.stale = old.known, old.stale
	sameClock := s.interval == old.interval && s.cal.sub == old.cal.sub && s.cal.loc.String() == old.cal.loc.String()
	if !sameClock {
		s.stale = true
	}
	for _, os := range old.order {
		ns := s.find(os.param)
		if ns == nil {
			if len(os.rules) == 0 {
				s.order = append(s.order, os)
			}
			continue
		}
		ns.last, ns.lastT = os.last, os.lastT
		if ns.needHours && os.h != nil && s.cal.sub == old.cal.sub && s.slotsPerHour() == old.slotsPerHour() {
			ns.h = os.h // the old state is dropped: its ring moves over
			switch {
			case ns.needExt && ns.h.ext == nil:
				// the kept hours have no extremes: their means stand in until a rebuild reads them
				ext := new([ringHours][2]float64)
				for id := ns.h.head - ringHours + 1; id <= ns.h.head; id++ {
					if ns.h.n(id) > 0 {
						m := ns.h.mean(id)
						ext[id&(ringHours-1)] = [2]float64{m, m}
					}
				}
				ns.h.ext = ext
				s.stale = true
			case !ns.needExt:
				ns.h.ext = nil
			}
		}
		for j := range ns.rules {
			r := &ns.rules[j]
			i := slices.IndexFunc(os.rules, func(o ruleState) bool {
				return o.rule.reg.ID == r.rule.reg.ID && o.rule.period == r.rule.period && o.rule.kind == r.rule.kind
			})
			if i < 0 {
				s.stale = s.stale || r.yr != nil
				continue
			}
			kept[&os.rules[i]] = true
			o := &os.rules[i]
			r.alert, r.more, r.starts = o.alert, o.more, o.starts
			r.lastRatio, r.lastCoverage, r.lastState = o.lastRatio, o.lastCoverage, o.lastState
			if r.x != nil && o.x != nil && (r.x.blk == nil) == (o.x.blk == nil) {
				r.x = o.x
			}
			if r.yr != nil && o.yr != nil && r.yr.unitDays == o.yr.unitDays {
				r.yr = o.yr
			} else if r.yr != nil {
				s.stale = true
			}
		}
	}
	for _, os := range old.order { // the limits the reload removed end their episodes
		for i := range os.rules {
			if r := &os.rules[i]; !kept[r] && r.alert == violating && r.active() != nil {
				s.queued = append(s.queued, endedBy(r.active(), quantrac.EndLimitRemoved, now))
			}
		}
	}
	for _, ser := range s.order {
		ser.after = nil // the guesses may name the old configuration's series
		for i := range ser.rules {
			if r := &ser.rules[i]; r.kept() == nil { // a day's evidence carried over stays as judged
				v := s.latest(ser, r)
				r.setLast(&v)
			}
		}
	}
}
