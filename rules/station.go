package rules

import (
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/quantrac/quantrac"
)

// stationState is everything the engine keeps for one station.
type stationState struct {
	// mu guards the state; a station keeps its mutex across registry reloads, because the
	// state that replaces it shares its series (migrate) while a scrape may still read it.
	mu        *sync.Mutex
	st        *quantrac.Station
	interval  time.Duration
	cal       calendar
	lastValid int64 // newest valid reading time, Unix ns; 0: none
	lastAny   int64 // newest reading time of any status
	offline   bool  // the station said "offline" on its status topic (MQTT will) since its last valid reading
	series    map[string]*series
	order     []*series // parameters with rules first, in rule order
	prev      *series   // the series looked up last
}

func newStationState(st *quantrac.Station, cat *Catalog) *stationState {
	s := &stationState{mu: new(sync.Mutex), st: st, interval: st.Interval, series: map[string]*series{}}
	if s.interval <= 0 {
		s.interval = quantrac.DefaultInterval
	}
	s.cal.loc = st.TimeLocation()
	var rules []*rule
	seen := map[string]bool{}
	for _, id := range st.Regulations {
		if reg := cat.Regulation(id); reg != nil && !seen[id] && reg.Kind == st.Kind {
			seen[id] = true
			rules = append(rules, reg.rules...)
		}
	}
	rules = append(rules, permitRules(st)...)
	for _, r := range rules {
		if r = r.certain(); r == nil {
			continue
		}
		ser := s.series[r.param]
		if ser == nil {
			ser = s.newSeries(r.param)
		}
		ser.rules = append(ser.rules, newRuleState(r, factors(r, st), ser.w))
	}
	for _, ser := range s.order {
		ser.sizeRing(s.interval)
	}
	return s
}

// factors returns, per version of r, the product of the station coefficients it names
// (QCVN 40:2011 Cmax = C × Kq × Kf; QCVN 14:2008 Cmax = C × K).
func factors(r *rule, st *quantrac.Station) []float64 {
	f := make([]float64, len(r.versions))
	for i, v := range r.versions {
		f[i] = 1
		for _, c := range v.Coefficients {
			f[i] *= st.Coefficient(c)
		}
	}
	return f
}

// lookup returns the series of parameter p, or nil. Stations send their parameters in the
// same order message after message, so each series remembers the one looked up after it,
// and that guess is tried before the map.
func (s *stationState) lookup(p string) *series {
	var ser *series
	if s.prev != nil && s.prev.after != nil && s.prev.after.param == p {
		ser = s.prev.after
	} else if ser = s.series[p]; ser != nil && s.prev != nil {
		s.prev.after = ser
	}
	if ser != nil {
		s.prev = ser
	}
	return ser
}

func (s *stationState) newSeries(p string) *series {
	ser := &series{param: p, unit: canonicalUnit(p), w: int64(s.interval)}
	s.series[p] = ser
	s.order = append(s.order, ser)
	return ser
}

// sizeRing allocates the slot ring for the series' rules and the daily buckets for 1y rules.
func (ser *series) sizeRing(interval time.Duration) {
	var l int64 = 1
	for i := range ser.rules {
		r := &ser.rules[i]
		if r.n == 0 {
			ser.year = newDayRing()
			l = max(l, (int64(24*time.Hour)+ser.w-1)/ser.w)
		}
		l = max(l, r.ringSlots())
	}
	ser.ring = make([]slot, l)
}

// observe evaluates one reading; the station is locked. emit is false while rebuilding.
func (s *stationState) observe(r *quantrac.Reading, out []Transition, emit bool) []Transition {
	t := r.Time.UnixNano()
	s.lastAny = max(s.lastAny, t)
	if !r.Valid() {
		return out
	}
	s.lastValid = max(s.lastValid, t)
	if emit {
		s.offline = false
	}
	ser := s.lookup(r.Param)
	if ser == nil {
		ser = s.newSeries(r.Param)
		ser.ring = make([]slot, 1)
	}
	if !ser.insert(t, r.Value, &s.cal) {
		return out
	}
	var v verdict
	for i := range ser.rules {
		rs := &ser.rules[i]
		rs.evaluateInto(&v, ser, s.interval)
		rs.last = summary{v.state, v.ratio, v.coverage}
		if rs.exc != nil {
			rs.exc.markRolling(&v, &s.cal)
		}
		h := 0.0
		if v.version != nil {
			h = v.version.Hysteresis
		}
		next, kind := step(rs.alert, &v, h)
		rs.alert = next
		if kind == "" {
			continue
		}
		tr := s.transition(ser, rs, &v, kind)
		if kind == Started {
			rs.active = &tr
			if emit {
				rs.starts++
			}
		}
		if emit {
			out = append(out, tr)
		}
	}
	return out
}

// transition builds the evidence of a start or end.
func (s *stationState) transition(ser *series, rs *ruleState, v *verdict, kind string) Transition {
	return Transition{Station: s.st.ID, Parameter: ser.param, Regulation: rs.rule.regulation, Period: rs.rule.period,
		State: kind, Value: v.value, Limit: v.limit, Ratio: v.ratio, Coverage: v.coverage, Count: v.count,
		WindowStart: time.Unix(0, v.start).UTC(), WindowEnd: time.Unix(0, v.end).UTC(),
		Version: versionString(rs.rule.regulation, v.version, s.st)}
}

// versionString names the limit version and how the station's coefficients scaled it:
// "QCVN-40:2011/B; C 150 mg/L × kq 0.9 × kf 1".
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

// migrate carries the state of the same station under its previous configuration over to s.
func (s *stationState) migrate(old *stationState) {
	s.lastValid, s.lastAny, s.offline = old.lastValid, old.lastAny, old.offline
	for _, os := range old.order {
		ns := s.series[os.param]
		if ns == nil {
			if len(os.rules) == 0 {
				s.series[os.param] = os
				s.order = append(s.order, os)
			}
			continue
		}
		if sameRules(os, ns) {
			for i := range os.rules {
				os.rules[i].factors = ns.rules[i].factors
				os.rules[i].rule = ns.rules[i].rule
			}
			*ns = *os
			continue
		}
		s.replay(os, ns)
	}
	for _, ser := range s.order {
		ser.after = nil // the guesses may name the old configuration's series
	}
}

// sameRules reports whether a series can be kept as it is.
func sameRules(a, b *series) bool {
	return a.w == b.w && len(a.ring) == len(b.ring) && (a.year == nil) == (b.year == nil) &&
		slices.EqualFunc(a.rules, b.rules, func(x, y ruleState) bool {
			return x.rule.regulation == y.rule.regulation && x.rule.period == y.rule.period && x.n == y.n &&
				(x.exc == nil) == (y.exc == nil)
		})
}

// replay refills ns from the slots old kept, then carries alert state and counters over by
// regulation and period.
func (s *stationState) replay(old, ns *series) {
	year := ns.year
	ns.year = nil
	for k := old.head - int64(len(old.ring)) + 1; k <= old.head; k++ {
		if sl := old.at(k); sl.t != 0 {
			ns.insert(sl.t, sl.v, &s.cal)
		}
	}
	switch {
	case old.year != nil && year != nil:
		ns.year = old.year
	case year != nil:
		ns.year = year
	}
	ns.last, ns.lastT = old.last, old.lastT
	for j := range ns.rules {
		r := &ns.rules[j]
		i := slices.IndexFunc(old.rules, func(o ruleState) bool {
			return o.rule.regulation == r.rule.regulation && o.rule.period == r.rule.period
		})
		if i >= 0 {
			o := &old.rules[i]
			r.alert, r.active, r.starts = o.alert, o.active, o.starts
			if r.exc != nil && o.exc != nil {
				r.exc.year, r.exc.bits = o.exc.year, o.exc.bits
			}
		}
		if ns.seen {
			v := r.evaluate(ns, s.interval)
			r.last = summary{v.state, v.ratio, v.coverage}
		}
	}
}

// up reports whether the station is up at now: its newest valid reading is within 3
// reporting intervals, and it has not said it went offline since. The station is locked.
func (s *stationState) up(now time.Time) bool {
	return !s.offline && s.lastValid > 0 && now.Sub(time.Unix(0, s.lastValid)) <= 3*s.interval
}
