// Package retry is the one retry delay of quantrac's loops that wait for a broker, a stream
// or InfluxDB to come back: doubling from a first delay to a ceiling, each delay jittered so
// that many clients (stations, instances, held messages) restarted together do not retry in
// step.
package retry

import (
	"context"
	"math/rand/v2"
	"time"
)

// Backoff is a delay doubling from First to Max. The zero Backoff is not usable: set both.
type Backoff struct {
	First, Max time.Duration
	cur        time.Duration // the next delay before jitter; 0: First
}

// Next returns the next delay — the current one ±20 % — and doubles the current one up to Max.
func (b *Backoff) Next() time.Duration {
	d := b.Peek()
	b.cur = min(2*d, b.Max)
	return Jitter(d)
}

// Peek returns the next delay before jitter, without moving on.
func (b *Backoff) Peek() time.Duration {
	if b.cur <= 0 {
		return b.First
	}
	return b.cur
}

// Reset starts again from First.
func (b *Backoff) Reset() { b.cur = 0 }

// Jitter returns d ±20 %, at random.
func Jitter(d time.Duration) time.Duration {
	return time.Duration(float64(d) * (0.8 + 0.4*rand.Float64()))
}

// Wait waits d or until ctx is done; it reports whether the wait ran to its end.
func Wait(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
