package rules

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/quantrac/quantrac"
)

// Re-judging: verdicts are a view of the stored readings (rules/README.md, "Evaluation").
// When a reading would change a period already closed — late, reordered, a backfill, the same
// time with another value, a time read back from storage — the engine does not patch its
// aggregates: it marks the station stale from that reading's time, and RebuildStations
// replays the station's stored readings through the same code from the start of that local
// day, with the alert states the record held then. The transitions the replay gives for the
// periods after that instant are the record as it should be; they are compared with the
// stored ones, and the difference — new or changed points, and withdrawals of points no
// longer supported — is queued for Drain.

// rejudgeLead is how many hours before a day its running 8-h means read.
const rejudgeLead = window8 * time.Hour

// replayLead is how far before the first re-judged day the replay reads readings: the day
// before it, whose verdict stays the latest closed one until another day closes, and the
// hours its running 8-h means read.
const replayLead = 24*time.Hour + rejudgeLead

// rejudge replays station s from its stored readings and queues the corrections of its record.
func (e *Engine) rejudge(ctx context.Context, h History, s *stationState) error {
	s.mu.Lock()
	since, clock := s.staleSince, s.clock
	s.arrived = 0
	s.mu.Unlock()

	r := newStationState(s.st, e.cat)
	j := r.judgeFrom(since, clock)
	before, record, err := readRecord(ctx, h, s.st.ID, j)
	if err != nil {
		return err
	}
	if err := r.replayHours(ctx, h, since, j); err != nil {
		return err
	}
	var rs []quantrac.Reading
	err = h.Readings(ctx, s.st.Kind, s.st.ID, time.Unix(0, j).Add(-replayLead), func(rd quantrac.Reading) error {
		rs = append(rs, rd)
		return nil
	})
	if err != nil {
		return fmt.Errorf("rules: re-judging station %s: %w", s.st.ID, err)
	}
	out := r.replay(rs, j, before, clock)

	s.mu.Lock()
	defer s.mu.Unlock()
	diff, fresh := reconcile(out, record)
	r.carry(s, fresh)
	if s.arrived != 0 { // readings came while the station was read: they may be missing
		r.markStale(s.arrived)
	}
	r.offline, r.lastAny = s.offline, max(r.lastAny, s.lastAny)
	r.observed, r.settled = s.observed, s.settled
	r.queued = slices.Concat(s.queued, diff)
	s.stationData = r.stationData
	return nil
}

// judgeFrom returns the instant after which periods are re-judged: the start of the local
// day holding since (a reading for the hour ending 00:00 belongs to the day before), or, when
// what changed is not known (since 0), the start of the day before the clock's.
func (s *stationState) judgeFrom(since, clock int64) int64 {
	if since == 0 {
		since = clock - 24*hourNs
	}
	first, _, _ := s.cal.dayHours(s.cal.dayOf(s.cal.hourOf(since)))
	return s.cal.end(first) - hourNs
}

// readRecord reads the station's stored transitions: the newest of each limit at or before j
// (the alert states then), and those after j (what the replay is compared with).
func readRecord(ctx context.Context, h History, station string, j int64) (map[string]Transition, []Transition, error) {
	before := map[string]Transition{}
	var after []Transition
	err := h.Record(ctx, station, time.Unix(0, j), func(tr Transition) error {
		if tr.WindowEnd.UnixNano() > j {
			after = append(after, tr)
			return nil
		}
		k := limitKey(tr.Parameter, tr.Regulation, tr.Period)
		if old, ok := before[k]; !ok || tr.WindowEnd.After(old.WindowEnd) {
			before[k] = tr
		}
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("rules: reading the record of station %s: %w", station, err)
	}
	return before, after, nil
}

// replayHours feeds the stored hourly aggregates that the station's yearly and counted
// limits need from before the readings the replay reads (from the start of their years to
// replayLead before j).
func (s *stationState) replayHours(ctx context.Context, h History, since, j int64) error {
	from := s.yearsBack(time.Unix(0, since))
	until := time.Unix(0, j).Add(-replayLead)
	if from.IsZero() || !from.Before(until) {
		return nil
	}
	q := AggregateQuery{Kind: s.st.Kind, Stations: []string{s.st.ID}, Since: from, Until: until, Width: time.Hour,
		Phase: time.Duration((hourNs - s.cal.sub) % hourNs), Extremes: s.extremes(), Fields: []string{},
		Raw: s.interval >= rawInterval}
	for _, ser := range s.order {
		if ser.needHours {
			q.Fields = append(q.Fields, ser.param)
		}
	}
	err := h.Aggregates(ctx, q, func(a Aggregate) error {
		if a.Count > 0 {
			s.feed(&a)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("rules: re-judging station %s: hours: %w", s.st.ID, err)
	}
	return nil
}

// yearsBack returns the start of the earliest calendar year the station's yearly and counted
// limits need for periods from t on (zero when none does).
func (s *stationState) yearsBack(t time.Time) time.Time {
	y, back := t.In(s.cal.loc).Year(), -1
	for _, ser := range s.order {
		for i := range ser.rules {
			switch r := ser.rules[i].rule; {
			case r.kind == perYear:
				back = max(back, r.years)
			case r.design != nil:
				back = max(back, r.years)
			case r.counted:
				back = max(back, r.years-1)
			}
		}
	}
	if back < 0 {
		return time.Time{}
	}
	return time.Date(y-back, 1, 1, 0, 0, 0, 0, s.cal.loc)
}

// replay feeds the stored readings rs in time order: those up to j rebuild the hours without
// judging, then the alert states of instant j are taken from the record (before), and every
// period closing after j is judged; the clock is finally moved to clock, the periods the
// wall clock had closed. It returns the transitions, in time order.
func (s *stationState) replay(rs []quantrac.Reading, j int64, before map[string]Transition, clock int64) []Transition {
	i := 0
	for ; i < len(rs) && rs[i].Time.UnixNano() <= j; i++ {
		s.observe(&rs[i], nil)
	}
	s.flush(nil)
	if s.clock < j {
		s.advanceClock(j, nil)
	}
	s.known = true
	for _, ser := range s.order {
		for k := range ser.rules {
			rl := &ser.rules[k]
			if tr, ok := before[limitKey(ser.param, rl.rule.reg.ID, rl.rule.period)]; ok && tr.State == Started {
				rl.alert = violating
				rl.setActive(&tr)
			}
		}
	}
	var out []Transition
	for ; i < len(rs); i++ {
		out = s.observe(&rs[i], out)
	}
	out = s.flush(out)
	if clock > s.clock {
		out = s.advanceClock(clock, out)
	}
	if len(rs) > 0 { // the open hours' readings were replayed one by one: their identity is held
		s.newest = rs[len(rs)-1].Time.UnixNano()
	}
	s.stale, s.staleSince = false, 0
	s.stamp++
	return out
}

// reconcile compares the replay's transitions with the stored ones after the same instant and
// returns the corrections — each replayed point the record lacks or holds otherwise, and a
// withdrawal of each stored point the replay no longer gives — and, per limit, the episodes
// the record did not hold (starts recorded for the first time).
func reconcile(want, have []Transition) (out []Transition, fresh map[string]int32) {
	stored := map[string]Transition{}
	for _, tr := range have {
		stored[pointKey(&tr)] = tr
	}
	given := map[string]bool{}
	fresh = map[string]int32{}
	for _, tr := range want {
		k := pointKey(&tr)
		given[k] = true
		old, ok := stored[k]
		if !ok || !sameTransition(&old, &tr) {
			out = append(out, tr)
		}
		if tr.State == Started && (!ok || old.State != Started) {
			fresh[limitKey(tr.Parameter, tr.Regulation, tr.Period)]++
		}
	}
	for _, tr := range have {
		if !given[pointKey(&tr)] {
			tr.State = quantrac.ViolationWithdrawn
			out = append(out, tr)
		}
	}
	return out, fresh
}

// carry keeps what the re-judged station counted before: the violations started, plus the
// episodes the correction records for the first time.
func (s *stationState) carry(old *stationState, fresh map[string]int32) {
	for _, ser := range s.order {
		oser := old.find(ser.param)
		for k := range ser.rules {
			rs := &ser.rules[k]
			rs.starts = 0
			if oser != nil {
				for m := range oser.rules {
					if o := &oser.rules[m]; o.rule.reg.ID == rs.rule.reg.ID && o.rule.period == rs.rule.period {
						rs.starts = o.starts
					}
				}
			}
			rs.starts += fresh[limitKey(ser.param, rs.rule.reg.ID, rs.rule.period)]
		}
	}
}

// pointKey is the identity of a violations point: its limit and time.
func pointKey(tr *Transition) string {
	return limitKey(tr.Parameter, tr.Regulation, tr.Period) + " " + tr.WindowEnd.UTC().Format(time.RFC3339Nano)
}

func limitKey(param, regulation, period string) string {
	return param + " " + regulation + " " + period
}

// sameTransition reports whether two transitions say the same as stored points (times to the
// second, as the store writes the window fields; numbers to a relative 1e-9).
func sameTransition(a, b *Transition) bool {
	near := func(x, y float64) bool {
		d := x - y
		return d <= 1e-9*max(1, abs(y)) && -d <= 1e-9*max(1, abs(y))
	}
	return a.State == b.State && a.Episode == b.Episode && near(a.Value, b.Value) && near(a.Limit, b.Limit) &&
		near(a.Ratio, b.Ratio) && near(a.Coverage, b.Coverage) && a.Count == b.Count &&
		a.WindowStart.Unix() == b.WindowStart.Unix() && a.Version == b.Version &&
		a.Exceedances == b.Exceedances && a.ExceedancesAllowed == b.ExceedancesAllowed &&
		near(a.Exceedances3y, b.Exceedances3y) && near(a.ExceedancesAllowed3y, b.ExceedancesAllowed3y)
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}
