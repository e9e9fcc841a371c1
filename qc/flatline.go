package qc

import (
	"fmt"
	"time"
)

// flatline appends a span for every run of exactly equal values above the detection floor
// that lasts at least the flat-line duration. A run needs at least 3 readings, and at least
// half the readings the interval promises over that duration, so two readings hours apart
// around an outage are not a flat line.
func (c *Checker) flatline(out []Span, id string, interval time.Duration, rs []Reading) []Span {
	d, floor := c.s.flatline(id), c.s.Params[id].Floor
	need := 3
	if interval > 0 {
		need = max(need, int(d/interval)/2)
	}
	for a := 0; a < len(rs); {
		b := a
		for b+1 < len(rs) && rs[b+1].Value == rs[a].Value {
			b++
		}
		long := rs[b].Time.Sub(rs[a].Time)
		if rs[a].Value > floor && long >= d && b-a+1 >= need {
			out = append(out, Span{Parameter: id, From: rs[a].Time, To: rs[b].Time, Check: Flatline,
				Reason: fmt.Sprintf("flat line: %s for %s (%d readings)", num(rs[a].Value), long, b-a+1)})
		}
		a = b + 1
	}
	return out
}
