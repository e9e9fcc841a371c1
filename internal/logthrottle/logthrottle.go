// Package logthrottle logs a recurring event the first time and then at most once per interval,
// saying how many were left out: bad input and outages must show in the log without flooding it.
package logthrottle

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// Throttle logs each key at most once per interval. It is safe for concurrent use.
type Throttle struct {
	log      *slog.Logger
	interval time.Duration
	mu       sync.Mutex
	last     map[string]time.Time
	dropped  map[string]int
}

// New returns a Throttle that logs to log at most once per interval for each key.
func New(log *slog.Logger, interval time.Duration) *Throttle {
	return &Throttle{log: log, interval: interval, last: map[string]time.Time{}, dropped: map[string]int{}}
}

// Log logs msg with args at level, as of now, unless key was logged less than the interval
// before; a record that is logged says, as suppressed_since_last, how many of key were left
// out since the previous one.
func (t *Throttle) Log(now time.Time, level slog.Level, key, msg string, args ...any) {
	t.mu.Lock()
	if last, ok := t.last[key]; ok && now.Sub(last) < t.interval {
		t.dropped[key]++
		t.mu.Unlock()
		return
	}
	n := t.dropped[key]
	t.last[key], t.dropped[key] = now, 0
	t.mu.Unlock()
	t.log.Log(context.Background(), level, msg, append(args, "suppressed_since_last", n)...)
}
