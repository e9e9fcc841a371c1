package qc

import (
	"fmt"
	"time"
)

// sentinel appends a span for every run of consecutive readings that hold sentinel values.
func (c *Checker) sentinel(out []Span, id string, rs []Reading) []Span {
	return runs(out, len(rs), func(i int) bool { return c.isSentinel(rs[i].Value) },
		func(a, b int) Span {
			return Span{Parameter: id, From: rs[a].Time, To: rs[b].Time, Check: Sentinel,
				Reason: fmt.Sprintf("sentinel value %s (%d readings)", num(rs[a].Value), b-a+1)}
		})
}

func (c *Checker) isSentinel(v float64) bool {
	for _, s := range c.sentinels {
		if v == s {
			return true
		}
	}
	return false
}

// PMRatio runs the PM2.5 > PM10 check on one station's PM2.5 and PM10 readings (each in any
// order; neither is modified): a PM2.5 reading above the nearest PM10 reading less than one
// interval away (the same instant when interval is 0) by more than the tolerance is
// invalidated. Consecutive invalid PM2.5 readings make one span.
func (c *Checker) PMRatio(station string, interval time.Duration, pm25, pm10 []Reading) []Span {
	if !c.s.On(PMRatio, "pm25") || len(pm10) == 0 {
		return nil
	}
	small, big := prepare(pm25), prepare(pm10)
	ref := make([]float64, len(small)) // the PM10 each PM2.5 reading is compared with
	k := 0
	bad := func(i int) bool {
		t := small[i].Time
		for k+1 < len(big) && !big[k+1].Time.After(t) {
			k++
		}
		best, ok := nearest(big, k, t, interval)
		ref[i] = best
		return ok && small[i].Value > best*(1+c.s.PMRatioTolerance)+c.s.PMRatioMargin
	}
	out := runs(nil, len(small), bad, func(a, b int) Span {
		return Span{Station: station, Parameter: "pm25", From: small[a].Time, To: small[b].Time, Check: PMRatio,
			Reason: fmt.Sprintf("PM2.5 %s above PM10 %s (tolerance %s %% + %s µg/m³, %d readings)",
				num(small[a].Value), num(ref[a]), num(100*c.s.PMRatioTolerance), num(c.s.PMRatioMargin), b-a+1)}
	})
	sortSpans(out)
	return out
}

// nearest returns the value of the reading of big nearest to t less than interval away,
// given that big[k] is the last reading at or before t (or the first reading).
func nearest(big []Reading, k int, t time.Time, interval time.Duration) (float64, bool) {
	best, bestD, ok := 0.0, time.Duration(0), false
	for _, j := range []int{k, k + 1} {
		if j >= len(big) {
			continue
		}
		d := big[j].Time.Sub(t).Abs()
		if (d < interval || d == 0) && (!ok || d < bestD) {
			best, bestD, ok = big[j].Value, d, true
		}
	}
	return best, ok
}

// runs appends one span, made by mk, for every maximal run of consecutive readings 0..n-1 for
// which bad is true. bad is called once per reading, in order.
func runs(out []Span, n int, bad func(i int) bool, mk func(a, b int) Span) []Span {
	start := -1
	for i := range n {
		switch b := bad(i); {
		case b && start < 0:
			start = i
		case !b && start >= 0:
			out = append(out, mk(start, i-1))
			start = -1
		}
	}
	if start >= 0 {
		out = append(out, mk(start, n-1))
	}
	return out
}
