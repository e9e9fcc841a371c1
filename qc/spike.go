package qc

import (
	"fmt"
	"time"
)

// spike appends a span for every spike: readings i..j-1 (at most SpikeReadings of them)
// that are all more than the threshold above, or all more than it below, both the reading
// before them and reading j. Only the spike's readings are invalidated. After a spike, the
// reading before it stays the baseline for the next reading, so that two faults in a row
// (a sentinel, then a spike) are both found. When the interval is known, readings more than
// three intervals apart are not consecutive: nothing is judged across a gap.
func (c *Checker) spike(out []Span, id string, interval time.Duration, rs []Reading) []Span {
	th := c.s.Params[id].Spike
	after := -1 // the baseline of a spike just found
	for i := 1; i+1 < len(rs); i++ {
		b := i - 1
		if after >= 0 {
			b, after = after, -1
		}
		j, ok := c.spikeEnd(rs, b, i, th, interval)
		if !ok {
			continue
		}
		out = append(out, Span{Parameter: id, From: rs[i].Time, To: rs[j-1].Time, Check: Spike,
			Reason: fmt.Sprintf("spike: %s → %s → %s in %d reading(s) (threshold %s)",
				num(rs[b].Value), num(rs[i].Value), num(rs[j].Value), j-i, num(th))})
		after, i = b, j-1 // the loop goes on at j, against the same baseline
	}
	return out
}

// spikeEnd returns j, the reading that ends a spike starting at i against baseline reading
// b, if one does: the first j (at most SpikeReadings after i) such that readings i..j-1 are
// all beyond the threshold from both readings b and j, on the same side.
func (c *Checker) spikeEnd(rs []Reading, b, i int, th float64, interval time.Duration) (int, bool) {
	gap := func(m int) bool { return interval > 0 && rs[m].Time.Sub(rs[m-1].Time) > 3*interval }
	for m := b + 1; m <= i; m++ {
		if gap(m) {
			return 0, false
		}
	}
	base := rs[b].Value
	dir := 1.0
	if rs[i].Value < base {
		dir = -1
	}
	for j := i + 1; j < len(rs) && j-i <= c.s.SpikeReadings; j++ {
		if gap(j) {
			return 0, false
		}
		if dir*(rs[j-1].Value-base) <= th {
			return 0, false // reading j-1 is not out: no spike here
		}
		if beyond(rs[i:j], rs[j].Value, dir, th) {
			return j, true
		}
	}
	return 0, false
}

// beyond reports whether every reading of rs is more than th beyond v in direction dir.
func beyond(rs []Reading, v, dir, th float64) bool {
	for _, r := range rs {
		if dir*(r.Value-v) <= th {
			return false
		}
	}
	return true
}
