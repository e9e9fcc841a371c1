package store

import (
	"context"
	"log/slog"
	"time"
)

// Why a message is held, the values of the reason label of quantrac_messages_held.
const (
	// heldUnavailable: InfluxDB was unavailable and the spool could not take the data (none,
	// full, a failed write).
	heldUnavailable = "unavailable"
	// heldRefused: InfluxDB refused the data for good, and its quarantine entry could be
	// neither written nor spooled.
	heldRefused = "refused"
)

// heldSet is messages of a batch that are not durable yet, and why.
type heldSet struct {
	p    *pending
	todo []int
	err  error
}

// heldStation is the held messages of one station, oldest first, and when they are tried next.
type heldStation struct {
	p   *pending
	b   backoff
	due time.Time
}

// retry settles held messages. Each station's held messages are retried together with the
// station's own backoff, so that a station whose message can be neither written nor
// quarantined waits alone while the messages of every other station settle as soon as
// InfluxDB or the spool takes them; the stations due at one moment share one write. It
// returns when the held channel is closed and every held message is settled, or when ctx ends
// (then they stay unacknowledged, and the broker redelivers them).
func (s *Sink) retry(ctx context.Context) {
	stations := map[string]*heldStation{}
	in := s.held
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for in != nil || len(stations) > 0 {
		select {
		case h, ok := <-in:
			if !ok {
				in = nil
				break
			}
			hold(stations, h)
		case <-timer.C:
			s.retryDue(ctx, stations)
		case <-ctx.Done():
			return
		}
		s.m.countHeld(stations)
		timer.Reset(time.Until(nextDue(stations)))
	}
}

// hold adds the messages of h to their stations' held messages; a station not held yet is
// due after its first backoff.
func hold(stations map[string]*heldStation, h heldSet) {
	for _, i := range h.todo {
		m := &h.p.msgs[i]
		st := stations[stationOf(m)]
		if st == nil {
			st = &heldStation{p: &pending{}}
			st.due = time.Now().Add(st.b.next(h.err))
			stations[stationOf(m)] = st
		}
		st.p.add(*m, h.p.body[m.start:m.end])
	}
}

// retryDue writes the held messages of the stations due as one body (attempt settles what it
// can), and gives those still held back to their stations, each with its backoff grown.
func (s *Sink) retryDue(ctx context.Context, stations map[string]*heldStation) {
	joint := &pending{}
	var due []string
	for id, st := range stations {
		if st.due.After(time.Now()) {
			continue
		}
		due = append(due, id)
		for _, m := range st.p.msgs {
			joint.add(m, st.p.body[m.start:m.end])
		}
		st.p = &pending{}
	}
	if len(due) == 0 {
		return
	}
	all := make([]int, len(joint.msgs))
	for i := range all {
		all[i] = i
	}
	held, err := s.attempt(ctx, joint, all)
	for _, i := range held {
		m := &joint.msgs[i]
		stations[stationOf(m)].p.add(*m, joint.body[m.start:m.end])
	}
	for _, id := range due {
		st := stations[id]
		if len(st.p.msgs) == 0 {
			delete(stations, id)
			continue
		}
		d := st.b.next(err)
		st.due = time.Now().Add(d)
		s.warnEvery(slog.LevelWarn, "held", "data not durable yet; holding acknowledgements and retrying",
			"station", id, "messages", len(st.p.msgs), "reason", st.p.msgs[0].held, "err", err, "retry_in", d)
	}
}

// nextDue is when the first held station is due; an hour away when none is held.
func nextDue(stations map[string]*heldStation) time.Time {
	next := time.Now().Add(time.Hour)
	for _, st := range stations {
		if st.due.Before(next) {
			next = st.due
		}
	}
	return next
}

// stationOf is the station a held message waits with: its station, or its topic when it has
// none.
func stationOf(m *message) string {
	if m.origin.Station != nil {
		return m.origin.Station.ID
	}
	return m.origin.Topic
}
