package rules

import (
	"math"
	"math/bits"
	"time"
)

// exceedances counts the calendar hours or days of the current year in which a limit was
// exceeded, for limits that allow a number of them per year (EU PM10 24 h: 35 days).
//
// For 1h and 24h limits the unit is the clock hour or the calendar day in the station's zone
// and its statistic is computed over exactly that block (the EU daily value is the 00:00–24:00
// mean, not a rolling one); the current and the previous block are kept, so late data for
// them still sets or clears their bit. For other periods (8h: "maximum daily 8-hour mean") a
// day counts when a rolling window ending in it exceeded.
type exceedances struct {
	hourly bool // units are hours (period ≤ 1h), else days
	blocks bool // the period equals the unit: evaluate blocks
	year   int
	bits   []uint64
	blk    [2]block // current, previous
}

// block is one unit's running statistic.
type block struct {
	u      unit
	sum    float64
	cnt    int
	lo, hi float64
	dirty  bool
}

func newExceedances(r *rule) *exceedances {
	e := &exceedances{hourly: r.dur <= time.Hour}
	e.blocks = r.dur == time.Hour || r.dur == 24*time.Hour
	n := 366
	if e.hourly {
		n = 366 * 24
	}
	e.bits = make([]uint64, (n+63)/64)
	return e
}

// count returns the number of exceeding units in year y.
func (e *exceedances) count(y int) int {
	if y != e.year {
		return 0
	}
	c := 0
	for _, w := range e.bits {
		c += bits.OnesCount64(w)
	}
	return c
}

// mark sets or clears the bit of unit u.
func (e *exceedances) mark(u unit, exceeded bool) {
	switch {
	case u.year > e.year:
		if !exceeded {
			return
		}
		clear(e.bits)
		e.year = u.year
	case u.year < e.year:
		return
	}
	if u.index < 0 || u.index >= len(e.bits)*64 {
		return
	}
	if exceeded {
		e.bits[u.index/64] |= 1 << (u.index % 64)
	} else {
		e.bits[u.index/64] &^= 1 << (u.index % 64)
	}
}

// update applies slot n's new value to its block and re-evaluates that block.
func (e *exceedances) update(r *ruleState, s *series, n int64, old, v float64, had bool, cal *calendar) {
	ts := n * s.w
	u := cal.unitOf(ts, e.hourly)
	var b *block
	switch {
	case u.start == e.blk[0].u.start && e.blk[0].u.end != 0:
		b = &e.blk[0]
	case u.start == e.blk[1].u.start && e.blk[1].u.end != 0:
		b = &e.blk[1]
	case u.start > e.blk[0].u.start:
		if u.start == e.blk[0].u.end {
			e.blk[1] = e.blk[0]
		} else {
			e.blk[1] = block{}
		}
		e.blk[0] = block{u: u, lo: math.NaN(), hi: math.NaN()}
		b = &e.blk[0]
	default:
		return // older than the previous unit: too late to count
	}
	if had {
		b.sum += v - old
		b.dirty = b.dirty || old == b.lo || old == b.hi
	} else {
		b.sum += v
		b.cnt++
	}
	if !(v >= b.lo) {
		b.lo = v
	}
	if !(v <= b.hi) {
		b.hi = v
	}
	e.evaluate(r, s, b)
}

// evaluate sets the block's bit from its statistic and coverage.
func (e *exceedances) evaluate(r *ruleState, s *series, b *block) {
	i := r.versionAt(b.u.end)
	if i < 0 || b.cnt == 0 {
		return
	}
	l := r.rule.versions[i]
	coverage := float64(b.cnt) * float64(s.w) / float64(b.u.end-b.u.start)
	if coverage+1e-9 < l.MinCoverage {
		e.mark(b.u, false)
		return
	}
	if b.dirty {
		b.lo, b.hi = math.NaN(), math.NaN()
		for k := slotOf(b.u.start, s.w); k <= slotOf(b.u.end, s.w); k++ {
			if sl := s.at(k); sl.t != 0 && k*s.w > b.u.start && k*s.w <= b.u.end && k > s.head-int64(len(s.ring)) {
				b.lo, b.hi = min(b.lo, sl.v), max(b.hi, sl.v)
				if math.IsNaN(b.lo) {
					b.lo = sl.v
				}
				if math.IsNaN(b.hi) {
					b.hi = sl.v
				}
			}
		}
		b.dirty = false
	}
	_, _, ratio := compare(r.rule.stat, b.sum/float64(b.cnt), b.lo, b.hi, l, r.factors[i])
	e.mark(b.u, ratio > 1)
}

// markRolling counts the day of a rolling window's end when it exceeded (periods other than
// the unit length).
func (e *exceedances) markRolling(v *verdict, cal *calendar) {
	if e.blocks || v.state != StateExceeded {
		return
	}
	e.mark(cal.unitOf(v.end, e.hourly), true)
}

func (e *exceedances) bytes() int { return 8*len(e.bits) + 2*72 + 16 }
