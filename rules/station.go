package rules

import (
	"sync"
	"time"

	"github.com/quantrac/quantrac"
)

// stationState is everything the engine keeps for one station.
type stationState struct {
	// mu guards the state; a station keeps its mutex across registry reloads, because the
	// state that replaces it shares its series (migrate) while a scrape may still read it.
	// mu and st never change: a rebuild or a re-judging replaces the stationData under mu,
	// while other goroutines read mu to lock it.
	mu *sync.Mutex
	st *quantrac.Station
	stationData
}

// stationData is what a rebuild or a re-judging of a station replaces, under its lock.
type stationData struct {
	interval time.Duration
	slotW    int64 // reading slot width (the interval), ns; 0 below 1 h / 64: capture by count
	cal      calendar

	// clock is the newest valid reading time (Unix ns): a period is closed once it is at or
	// past the period's end. nextClose is the earliest end of a period still open. pending is
	// a newer reading time whose closings wait for the other readings of that instant in the
	// batch (a record's parameters): they close at the end of the batch or at a later reading.
	clock, nextClose, pending int64
	lastAny                   int64        // newest reading time of any status
	valid                     int64        // newest valid reading time (clock may be ahead: a wall-clock closure)
	arrived                   int64        // the oldest valid reading time observed since a re-judge began (0: none)
	observed, settled         uint64       // messages observed, and of them those the store settled (Engine.Settled)
	offline                   bool         // the station said "offline" on its status topic (MQTT will) since its last valid reading
	known                     bool         // rebuilt (or started empty on purpose): until then nothing is judged or exported
	stale                     bool         // a reading changed a closed period (or one read back from storage): it must be re-judged from the stored readings
	staleSince                int64        // the oldest reading time that made the station stale (0: none, or unknown: re-judge all held)
	storedTo                  int64        // readings at or before this time were read back from storage: their identity is not held
	stamp                     uint32       // counts changes of closed periods, for cached figures
	newest                    int64        // rebuild: the newest stored reading
	queued                    []Transition // caused by a rebuild or a wall-clock closure: taken by Engine.Drain
	// figFrom and figValid are set while a rebuild takes saved year figures (figures.go): the
	// first hour end it reads, and the newest valid reading the figures had seen.
	figFrom, figValid int64

	order []*series // one per parameter: those with rules first, in rule order
	prev  *series   // the series looked up last
}

func newStationState(st *quantrac.Station, cat *Catalog) *stationState {
	s := &stationState{mu: new(sync.Mutex), st: st, stationData: stationData{interval: st.Interval}}
	if s.interval <= 0 {
		s.interval = quantrac.DefaultInterval
	}
	if s.interval >= time.Hour/64 {
		s.slotW = int64(s.interval)
	}
	s.cal = newCalendar(st.TimeLocation())
	var rules []*rule
	seen := map[string]bool{}
	for _, id := range st.Regulations {
		if reg := cat.Regulation(id); reg != nil && !seen[id] && reg.Kind == st.Kind {
			seen[id] = true
			rules = append(rules, reg.stationRules(st)...)
		}
	}
	rules = append(rules, permitRules(st)...)
	perParam := map[string]int{}
	for _, r := range rules {
		perParam[r.param]++
	}
	for _, r := range rules {
		ser := s.find(r.param)
		if ser == nil {
			ser = s.newSeries(r.param)
			ser.rules = make([]ruleState, 0, perParam[r.param]) // exactly: a station keeps them for life
		}
		ser.rules = append(ser.rules, newRuleState(r, st))
		ser.needHours = ser.needHours || (r.kind != perSample && r.kind != perBlock)
		ser.needExt = ser.needExt || r.extremes()
	}
	return s
}

// slotsPerHour is the number of reading slots of an hour (0: none, below 1 h / 64).
func (s *stationState) slotsPerHour() int {
	if s.slotW == 0 {
		return 0
	}
	return int((hourNs + s.slotW - 1) / s.slotW)
}

// lookup returns the series of parameter p, or nil. Stations send their parameters in the
// same order message after message, so each series remembers the one looked up after it,
// and that guess is tried before the map.
func (s *stationState) lookup(p string) *series {
	var ser *series
	if s.prev != nil && s.prev.after != nil && s.prev.after.param == p {
		ser = s.prev.after
	} else if ser = s.find(p); ser != nil && s.prev != nil {
		s.prev.after = ser
	}
	if ser != nil {
		s.prev = ser
	}
	return ser
}

// find returns the series of parameter p, or nil: a station has a few parameters, and a
// slice of them costs less memory than a map at 10,000 stations.
func (s *stationState) find(p string) *series {
	for _, ser := range s.order {
		if ser.param == p {
			return ser
		}
	}
	return nil
}

func (s *stationState) newSeries(p string) *series {
	ser := &series{param: p}
	s.order = append(s.order, ser)
	return ser
}

// observe takes one reading; the station is locked. Transitions are emitted only for a known
// station; an unknown one (being rebuilt) only aggregates.
func (s *stationState) observe(r *quantrac.Reading, out []Transition) []Transition {
	t := r.Time.UnixNano()
	s.lastAny = max(s.lastAny, t)
	if !r.Valid() {
		return out
	}
	if s.known {
		s.offline = false
	}
	s.valid = max(s.valid, t)
	if s.arrived == 0 || t < s.arrived {
		s.arrived = t
	}
	ser := s.lookup(r.Param)
	if ser == nil {
		ser = s.newSeries(r.Param)
	}
	if t >= ser.lastT {
		ser.last, ser.lastT = r.Value, t
	}
	if t > max(s.clock, s.pending) {
		if s.pending != 0 {
			out = s.advanceClock(s.pending, out)
		}
		if t-1 >= s.nextClose {
			out = s.advanceClock(t-1, out) // close what ended before this reading
		}
		if t >= s.nextClose {
			s.pending = t // a reading stamped at a period's end closes it, with its record
		} else {
			s.clock = t
		}
	}
	out = s.add(ser, t, r.Value, out)
	if s.pending == 0 && s.nextClose <= s.clock {
		s.pending = s.clock // a block started by this reading ended already: close it with the batch
	}
	return out
}

// ring returns the series' hour ring, allocating it with the first reading; nil when its rules
// need no hours.
func (s *stationState) ring(ser *series) *hourRing {
	if ser.h == nil && ser.needHours {
		ser.h = newHourRing(s.slotsPerHour())
		if ser.needExt {
			ser.h.ext = new([ringHours][2]float64)
		}
	}
	return ser.h
}

// add counts a valid reading in its hour and its sample and block rules. A reading that
// would change a period already closed, or a point read back from storage (whose identity the
// engine does not hold), makes the station stale instead: its periods are re-judged from the
// stored readings (Engine.RebuildStations), which then include it.
func (s *stationState) add(ser *series, t int64, v float64, out []Transition) []Transition {
	if t <= s.cal.end(s.cal.closedHour(s.clock)) || t <= s.storedTo || s.readBack(t) {
		s.markStale(t)
		return out
	}
	id := s.cal.hourOf(t)
	k := s.gridPoint(id, t)
	if ser.seen(id, k, t) {
		// The same point again (a redelivery), perhaps with another value: in storage the last
		// write wins, which only the stored readings can tell.
		s.markStale(t)
		return out
	}
	if s.late(ser, t) {
		s.markStale(t)
		return out
	}
	ser.remember(id, k, t)
	if h := s.ring(ser); h != nil {
		if id > h.head {
			s.advanceRing(ser, id)
		}
		h.add(id, s.slotOf(id, t), 1, v, v, v)
	}
	for i := range ser.rules {
		switch rs := &ser.rules[i]; rs.rule.kind {
		case perSample:
			out = s.sample(ser, rs, t, v, out)
		case perBlock:
			s.block(rs, t, v)
		}
	}
	return out
}

// late reports whether a reading of an hour still open comes after its series judged a
// newer one: a sample older than the newest sample compared, or a reading of a sub-hour block
// already closed. A block ending at the clock is closed only once judged: a reading stamped
// at its block's end (a station reporting once per block) moves the clock there before it is
// added, and starts that block, which closes with its record.
func (s *stationState) late(ser *series, t int64) bool {
	for i := range ser.rules {
		rs := &ser.rules[i]
		switch rs.rule.kind {
		case perSample:
			if t < rs.x.sampleT {
				return true
			}
		case perBlock:
			span, b := rs.rule.span, rs.x.blk
			end := ceilDiv(t+s.cal.sub, span)*span - s.cal.sub
			if end < s.clock || (end == s.clock && end <= b.cur.end && (end < b.cur.end || b.cur.closed)) {
				return true
			}
		}
	}
	return false
}

// readBack reports whether t falls in the hour of the newest reading a rebuild read back: that
// hour's aggregates came from InfluxQL, which gives its readings but not the slots they took,
// so a reading added to it is judged from the stored readings instead.
func (s *stationState) readBack(t int64) bool {
	return s.storedTo != 0 && s.cal.hourOf(t) == s.cal.hourOf(s.storedTo)
}

// markStale records that the periods from t on must be re-judged from storage.
func (s *stationState) markStale(t int64) {
	if !s.stale || t < s.staleSince {
		s.staleSince = t
	}
	s.stale = true
}

// gridPoint returns k when t is exactly the k-th station-interval grid point of hour id (its
// k-th interval's end), else 0.
func (s *stationState) gridPoint(id, t int64) int {
	if s.slotW == 0 {
		return 0
	}
	off := t - (s.cal.end(id) - hourNs)
	if off%s.slotW != 0 || off/s.slotW > 64 {
		return 0
	}
	return int(off / s.slotW)
}

// slotOf returns the capture slot of a reading at t in hour id: the station-interval grid
// point of the hour nearest to t (slot k ends the hour's k-th interval; a reading just after
// the hour starts takes the first).
func (s *stationState) slotOf(id, t int64) uint64 {
	if s.slotW == 0 {
		return 0
	}
	off := t - (s.cal.end(id) - hourNs)
	k := min(max((off+s.slotW/2)/s.slotW, 1), int64(s.slotsPerHour()))
	return 1 << uint(k-1)
}

// advanceRing moves a series' hour ring to hour id, folding the units whose hours leave it
// into the yearly figures first.
func (s *stationState) advanceRing(ser *series, id int64) {
	h := ser.h
	if h.head != 0 {
		for i := range ser.rules {
			if rs := &ser.rules[i]; rs.yr != nil {
				s.fold(ser, rs, id)
			}
		}
	}
	h.clearTo(id)
}

// sample compares a reading with a sample limit: each reading is a period, judged in time
// order (an older one makes the station stale in add).
func (s *stationState) sample(ser *series, rs *ruleState, t int64, v float64, out []Transition) []Transition {
	rs.x.sampleT, rs.x.sampleV = t, v
	vd := s.evalSample(rs)
	rs.setLast(&vd)
	if s.known {
		out = s.step(ser, rs, &vd, out)
	}
	return out
}

func (s *stationState) evalSample(rs *ruleState) verdict {
	v := verdict{start: rs.x.sampleT, end: rs.x.sampleT}
	if x := rs.x; x.sampleT != 0 {
		v.count, v.coverage = 1, 1
		rs.judge(&v, x.sampleV, x.sampleV, x.sampleV, 0)
	}
	return v
}

// block counts a reading in its clock block (one not yet closed: add makes older ones stale).
func (s *stationState) block(rs *ruleState, t int64, v float64) {
	b, span := rs.x.blk, rs.rule.span
	end := ceilDiv(t+s.cal.sub, span)*span - s.cal.sub
	switch {
	case end > b.cur.end:
		if b.cur.n > 0 {
			b.done = b.cur
		}
		b.cur = blockAgg{end: end}
		b.cur.add(v)
		s.nextClose = min(s.nextClose, end)
	case end == b.cur.end:
		b.cur.add(v)
	}
}

func (s *stationState) evalBlock(rs *ruleState, b *blockAgg, open bool) verdict {
	v := verdict{start: b.end - rs.rule.span, end: b.end, count: b.n}
	v.coverage = min(1, float64(b.n)*float64(s.interval)/float64(rs.rule.span))
	if b.n > 0 {
		rs.judge(&v, round12(b.sum/float64(b.n)), b.lo, b.hi, need(open, -1))
	}
	return v
}

// up reports whether the station is up at now: its newest valid reading is within 3
// reporting intervals, and it has not said it went offline since. The station is locked.
func (s *stationState) up(now time.Time) bool {
	return !s.offline && s.valid > 0 && now.Sub(time.Unix(0, s.valid)) <= 3*s.interval
}
