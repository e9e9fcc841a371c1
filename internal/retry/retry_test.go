package retry

import (
	"context"
	"testing"
	"time"
)

// Delays double from First to Max, each within ±20 % of its step, and Reset starts again.
func TestBackoffDoublesWithJitter(t *testing.T) {
	b := Backoff{First: 100 * time.Millisecond, Max: time.Second}
	ms := time.Millisecond
	steps := []time.Duration{100 * ms, 200 * ms, 400 * ms, 800 * ms, time.Second, time.Second}
	distinct := map[time.Duration]bool{}
	for round := range 50 {
		b.Reset()
		for i, step := range steps {
			d := b.Next()
			if d < step*8/10 || d > step*12/10 {
				t.Fatalf("round %d, delay %d: %v, want %v ±20 %%", round, i, d, step)
			}
			if i == 0 {
				distinct[d] = true
			}
		}
	}
	if len(distinct) < 10 {
		t.Errorf("50 first delays took %d values: not jittered", len(distinct))
	}
}

func TestWait(t *testing.T) {
	if !Wait(context.Background(), time.Millisecond) {
		t.Error("a wait that ran to its end reported otherwise")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if Wait(ctx, time.Hour) {
		t.Error("a wait whose context is done reported it ran to its end")
	}
}
