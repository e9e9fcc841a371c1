package load

import (
	"math"
	"time"
)

// Pacer is a token bucket: tokens accrue at Rate per second up to Burst, and each message
// takes one. Callers take tokens in batches and sleep only when the bucket is empty, so a high
// rate costs one timer per batch rather than one sleep per message.
type Pacer struct {
	rate   float64 // tokens per second; ≤ 0 means unlimited
	burst  float64
	tokens float64
	last   time.Time
}

// pacerBurstWindow is how much time's worth of tokens the bucket holds: enough that a sender
// woken late by the timer catches up, small enough that the rate stays smooth.
const pacerBurstWindow = 20 * time.Millisecond

// NewPacer returns a pacer for rate messages per second starting at now, with a full bucket.
func NewPacer(rate float64, now time.Time) *Pacer {
	burst := math.Max(1, rate*pacerBurstWindow.Seconds())
	return &Pacer{rate: rate, burst: burst, tokens: burst, last: now}
}

// Take takes up to want tokens at now. It returns how many it took and, when none, how long
// to wait until the next one.
func (p *Pacer) Take(now time.Time, want int) (int, time.Duration) {
	if p.rate <= 0 {
		return want, 0
	}
	if dt := now.Sub(p.last).Seconds(); dt > 0 {
		p.tokens = math.Min(p.burst, p.tokens+dt*p.rate)
		p.last = now
	}
	// The epsilon keeps float rounding from losing a token that is due.
	n := int(math.Min(p.tokens+1e-9, float64(want)))
	if n == 0 {
		return 0, time.Duration(math.Ceil((1 - p.tokens) / p.rate * float64(time.Second)))
	}
	p.tokens -= float64(n)
	return n, 0
}
