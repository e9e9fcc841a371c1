package rules

import "math"

// slot holds the reading counted for one station interval: the readings' own timestamps are
// rounded to a multiple of the interval, and one reading per slot is counted. A later reading
// for the same slot replaces it only when its timestamp is not earlier, so redelivered and
// reordered input converge on the same content. t is 0 for an empty slot.
type slot struct {
	t int64 // reading time, Unix ns
	v float64
}

// slotBytes is the memory of one slot, reported by the benchmarks.
const slotBytes = 16

// series is the recent history of one parameter of one station: a ring of slots covering the
// longest period of its rules up to a day (twice that for rules counting calendar
// exceedances, so that the previous hour or day can still be corrected by late data), and
// daily buckets when a rule has a 1y period.
type series struct {
	param string
	unit  string
	w     int64 // slot width: the station interval, ns
	ring  []slot
	head  int64 // newest slot number seen; the windows end there
	hidx  int   // ring index of head: head mod len(ring)
	seen  bool  // head is set

	last  float64 // the newest valid value by time
	lastT int64

	year  *dayRing // nil unless a rule has period 1y
	rules []ruleState
	after *series // the series its station looked up after this one last time
}

// slotOf returns the slot number of instant t: t rounded to the nearest multiple of w.
func slotOf(t, w int64) int64 {
	s := t + w/2
	if s < 0 {
		return (s - w + 1) / w
	}
	return s / w
}

func (s *series) at(n int64) *slot {
	i := n % int64(len(s.ring))
	if i < 0 {
		i += int64(len(s.ring))
	}
	return &s.ring[i]
}

// back returns the slot d slots before the head, 0 ≤ d ≤ len(ring) (d = len(ring) is the
// head's own ring slot), without the division of at: the hot path takes it once per rule
// per reading.
func (s *series) back(d int64) *slot {
	i := s.hidx - int(d)
	if i < 0 {
		i += len(s.ring)
	}
	return &s.ring[i]
}

// setHead places the head at slot n.
func (s *series) setHead(n int64) {
	s.head = n
	s.hidx = int(n % int64(len(s.ring)))
	if s.hidx < 0 {
		s.hidx += len(s.ring)
	}
}

// insert counts a valid reading. It reports whether any window content changed.
func (s *series) insert(t int64, v float64, cal *calendar) bool {
	if t >= s.lastT {
		s.last, s.lastT = v, t
	}
	n := slotOf(t, s.w)
	if !s.seen {
		s.seen = true
		s.setHead(n)
	}
	if n > s.head {
		s.advance(n)
	}
	if n <= s.head-int64(len(s.ring)) {
		// Older than every short window: only the yearly buckets can still take it, and
		// they cannot tell a redelivered reading from a new one (README: limits).
		return s.year != nil && s.year.add(n*s.w, v, 0, false, cal)
	}
	sl := s.back(s.head - n)
	old, had := sl.v, sl.t != 0
	if had && t < sl.t {
		return false
	}
	sl.t, sl.v = t, v
	for i := range s.rules {
		s.rules[i].update(s, n, old, v, had, cal)
	}
	if s.year != nil {
		s.year.add(n*s.w, v, old, had, cal)
	}
	return true
}

// advance moves the head to slot n: slots leave the windows, and ring slots are cleared for
// reuse.
func (s *series) advance(n int64) {
	l := int64(len(s.ring))
	if n-s.head >= l {
		for i := range s.ring {
			s.ring[i] = slot{}
		}
		for i := range s.rules {
			s.rules[i].reset()
		}
		s.setHead(n)
		return
	}
	for s.head < n {
		s.head++
		if s.hidx++; s.hidx == len(s.ring) {
			s.hidx = 0
		}
		// The slot leaving a window of r.n slots is r.n before the new head (the new head's
		// own ring slot, still holding slot head-len, when r.n is the ring's length).
		for i := range s.rules {
			r := &s.rules[i]
			if r.n == 0 {
				continue
			}
			if out := s.back(r.n); out.t != 0 {
				r.evict(out.v)
			}
		}
		s.ring[s.hidx] = slot{}
	}
}

// extremes returns the minimum and maximum of the last m slots, or NaN when they are empty.
func (s *series) extremes(m int64) (lo, hi float64) {
	lo, hi = math.NaN(), math.NaN()
	for k := s.head - m + 1; k <= s.head; k++ {
		if sl := s.at(k); sl.t != 0 {
			if !(sl.v >= lo) {
				lo = sl.v
			}
			if !(sl.v <= hi) {
				hi = sl.v
			}
		}
	}
	return lo, hi
}

// bytes is the memory the series keeps for its windows.
func (s *series) bytes() int {
	b := len(s.ring) * slotBytes
	if s.year != nil {
		b += s.year.bytes()
	}
	for i := range s.rules {
		b += s.rules[i].bytes()
	}
	return b
}
