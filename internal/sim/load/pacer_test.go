package load

import (
	"testing"
	"time"
)

func TestPacerTake(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	p := NewPacer(100, t0) // burst = 100/s × 20ms = 2
	steps := []struct {
		at       time.Duration
		max      int
		wantN    int
		wantWait time.Duration
	}{
		{0, 10, 2, 0},                     // full bucket
		{0, 10, 0, 10 * time.Millisecond}, // empty: next token in 1/100 s
		{10 * time.Millisecond, 10, 1, 0},
		{15 * time.Millisecond, 10, 0, 5 * time.Millisecond},
		{time.Second, 10, 2, 0}, // a long pause refills only the burst
		{time.Second + 30*time.Millisecond, 1, 1, 0},
		{time.Second + 30*time.Millisecond, 1, 1, 0},
		{time.Second + 30*time.Millisecond, 1, 0, 10 * time.Millisecond},
	}
	for i, s := range steps {
		n, wait := p.Take(t0.Add(s.at), s.max)
		if n != s.wantN || (wait-s.wantWait).Abs() > time.Microsecond {
			t.Errorf("step %d at %v: took %d wait %v, want %d wait %v", i, s.at, n, wait, s.wantN, s.wantWait)
		}
	}
}

// Over a simulated minute the pacer lets through the rate, whatever the batch size.
func TestPacerRate(t *testing.T) {
	for _, rate := range []float64{0.5, 7, 1000, 40000} {
		for _, batch := range []int{1, 64, 256} {
			t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
			p := NewPacer(rate, t0)
			now, total := t0, 0
			for now.Before(t0.Add(time.Minute)) {
				n, wait := p.Take(now, batch)
				total += n
				if n == 0 { // a timer fires no sooner than a millisecond
					now = now.Add(max(wait, time.Millisecond))
				}
			}
			want := rate * 60
			if d := float64(total) - want; d < -1 || d > want*0.01+2 {
				t.Errorf("rate %v batch %d: %d messages in a minute, want ≈ %v", rate, batch, total, want)
			}
		}
	}
	if n, _ := NewPacer(0, time.Now()).Take(time.Now(), 99); n != 99 {
		t.Errorf("unlimited pacer gave %d", n)
	}
}
