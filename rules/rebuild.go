package rules

import (
	"context"
	"fmt"
	"time"

	"github.com/quantrac/quantrac"
)

// History is the stored readings the engine rebuilds its windows from at start (the daemon
// implements it against InfluxDB). Readings calls fn for the readings of station measured at
// or after since, in any order; both valid and flagged readings may be passed.
type History interface {
	Readings(ctx context.Context, station string, since time.Time, fn func(quantrac.Reading)) error
}

// Rebuild replays each station's history into the engine, so that windows, exceedance counts
// and violations in progress are as they were before a restart. It emits no transitions: a
// violation still in progress was recorded when it started, and is reported again by
// quantrac_violation and Active. quantrac_violations_total counts only violations started
// after the rebuild.
//
// The look-back per station is the longest window of its rules (twice it for limits counting
// calendar exceedances, a year for 1y limits) and, for limits allowing exceedances, the start
// of now's calendar year.
func (e *Engine) Rebuild(ctx context.Context, h History, now time.Time) error {
	e.mu.RLock()
	defer e.mu.RUnlock()
	for _, s := range e.order {
		since, ok := s.lookback(now)
		if !ok {
			continue
		}
		s.mu.Lock()
		err := h.Readings(ctx, s.st.ID, since, func(r quantrac.Reading) {
			r.Station = s.st.ID
			s.observe(&r, nil, false)
		})
		s.mu.Unlock()
		if err != nil {
			return fmt.Errorf("rules: rebuilding station %s: %w", s.st.ID, err)
		}
	}
	return nil
}

// lookback returns how far back the station's windows reach from now; ok is false when the
// station has no rules.
func (s *stationState) lookback(now time.Time) (since time.Time, ok bool) {
	since = now
	for _, ser := range s.order {
		for i := range ser.rules {
			r := &ser.rules[i]
			ok = true
			span := time.Duration(len(ser.ring)) * s.interval
			if r.n == 0 {
				span = Year + 24*time.Hour
			}
			since = minTime(since, now.Add(-span))
			if r.exc != nil {
				y := now.In(s.cal.loc).Year()
				since = minTime(since, time.Date(y, 1, 1, 0, 0, 0, 0, s.cal.loc))
			}
		}
	}
	return since, ok
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}
