package store

import (
	"context"
	"errors"
	"log/slog"

	"github.com/quantrac/quantrac"
	"github.com/quantrac/quantrac/store/spool"
)

// ReasonWriteRejected is the rejected_messages reason of a message whose points InfluxDB
// refused for good (a field type conflict, a timestamp outside the retention policy).
const ReasonWriteRejected = "write_rejected"

// flush settles the messages of a new batch: it writes the batch, falls back to the spool and
// quarantines what InfluxDB refuses. Messages still held go to the retrier, so that the writer
// is free for the next batch: one station whose data cannot be kept must not stop the others.
func (s *Sink) flush(ctx context.Context, p *pending) {
	todo := make([]int, len(p.msgs))
	for i := range todo {
		todo[i] = i
	}
	todo, err := s.attempt(ctx, p, todo)
	if len(todo) == 0 {
		return
	}
	select {
	case s.held <- heldSet{p, todo, err}:
	case <-ctx.Done(): // left unacknowledged: the broker redelivers them
	}
}

// attempt writes the messages todo of p as one body and settles what it can; it returns the
// messages still held and the write error.
func (s *Sink) attempt(ctx context.Context, p *pending, todo []int) ([]int, error) {
	body, points := p.join(todo)
	err := s.w.Write(ctx, body, points)
	switch {
	case err == nil:
		for _, i := range todo {
			s.settle(p, i, Written, NotTried)
		}
		return nil, nil
	case Retryable(err):
		return s.spoolAll(p, todo, err), err
	}
	var held []int
	for _, i := range todo {
		if s.alone(ctx, p, i) == Held {
			held = append(held, i)
		}
	}
	return held, err
}

// spoolAll appends the messages todo to the spool as one record (split in halves when too
// large for a segment) and settles each part once on disk; it returns those it could not
// spool.
func (s *Sink) spoolAll(p *pending, todo []int, cause error) []int {
	if s.opts.Spool == nil {
		return s.unkept(p, todo)
	}
	body, _ := p.join(todo)
	err := s.opts.Spool.Append(body)
	if errors.Is(err, spool.ErrTooLarge) && len(todo) > 1 {
		mid := len(todo) / 2
		return append(s.spoolAll(p, todo[:mid], cause), s.spoolAll(p, todo[mid:], cause)...)
	}
	if err != nil {
		s.spoolFailed(err)
		return s.unkept(p, todo)
	}
	s.warnEvery(slog.LevelWarn, "spooled", "InfluxDB write failed; data spooled", "err", cause, "messages", len(todo))
	for _, i := range todo {
		s.settle(p, i, Spooled, NotTried)
	}
	return nil
}

// unkept settles the messages todo, which neither InfluxDB nor the spool took: they stay held.
func (s *Sink) unkept(p *pending, todo []int) []int {
	for _, i := range todo {
		s.settle(p, i, Failed, NotTried)
	}
	return todo
}

// alone writes one message of a batch InfluxDB refused, so that one bad message cannot block
// the others, and quarantines it if InfluxDB refuses it too.
func (s *Sink) alone(ctx context.Context, p *pending, i int) Fate {
	m := &p.msgs[i]
	data, err := s.keep(ctx, p.body[m.start:m.end], m.points)
	q := NotTried
	if data == Refused {
		entry := appendRejection(nil, &m.origin, quantrac.Rejection{Reason: ReasonWriteRejected, Detail: err.Error()}, m.origin.Received)
		var qerr error
		if q, qerr = s.keep(ctx, entry, 1); q == Refused {
			s.warnEvery(slog.LevelError, "quarantine", "InfluxDB refuses the quarantine entry of a refused message; holding it",
				"topic", m.origin.Topic, "err", qerr, "data_err", err)
		}
	}
	return s.settle(p, i, data, q)
}

// keep writes lines to InfluxDB, or to the spool when InfluxDB is unavailable.
func (s *Sink) keep(ctx context.Context, lines []byte, points int) (Outcome, error) {
	err := s.w.Write(ctx, lines, points)
	switch {
	case err == nil:
		return Written, nil
	case !Retryable(err):
		return Refused, err
	case s.opts.Spool == nil:
		return Failed, err
	}
	if serr := s.opts.Spool.Append(lines); serr != nil {
		s.spoolFailed(serr)
		return Failed, err
	}
	return Spooled, err
}

// settle decides the fate of message i of p from what happened to its data and its
// quarantine entry, acknowledges it unless it is held, and accounts for it.
func (s *Sink) settle(p *pending, i int, data, quarantine Outcome) Fate {
	m := &p.msgs[i]
	f := decide(data, quarantine)
	if f == Held {
		m.held = heldUnavailable
		if data == Refused {
			m.held = heldRefused
		}
	}
	if f == Held || m.settled {
		return f
	}
	m.settled = true
	if m.ack != nil {
		m.ack()
	}
	s.m.pendingPoints.Sub(float64(m.points))
	s.m.pendingReadings.Sub(float64(m.readings))
	if data == Spooled {
		s.m.spooled.Add(float64(m.points))
	}
	switch f {
	case Durable:
		s.m.durable.Add(float64(m.readings))
	case Quarantined:
		s.m.quarantinedPoints.Add(float64(m.points))
		s.m.quarantinedReadings.Add(float64(m.readings))
		s.log.Warn("InfluxDB refused a message's points for good; kept in rejected_messages",
			"topic", m.origin.Topic, "points", m.points, "quarantine", quarantine)
		if s.opts.Quarantined != nil && m.readings > 0 && m.origin.Station != nil {
			s.opts.Quarantined(m.origin.Station.ID, m.oldest)
		}
	}
	return f
}

// spoolFailed logs why the spool did not take data.
func (s *Sink) spoolFailed(err error) {
	if errors.Is(err, spool.ErrFull) {
		s.warnEvery(slog.LevelWarn, "spoolfull", "spool full; holding acknowledgements (backpressure) until InfluxDB takes data")
		return
	}
	s.warnEvery(slog.LevelError, "spoolerr", "spool append failed; holding acknowledgements", "err", err)
}

// add appends message m of another batch, whose lines are lines, to p.
func (p *pending) add(m message, lines []byte) {
	m.start = len(p.body)
	p.body = append(p.body, lines...)
	m.end = len(p.body)
	p.points += m.points
	p.msgs = append(p.msgs, m)
}

// join returns the lines and points of the messages todo: the batch body itself when todo is
// every message, a copy otherwise.
func (p *pending) join(todo []int) ([]byte, int) {
	if len(todo) == len(p.msgs) {
		return p.body, p.points
	}
	var body []byte
	points := 0
	for _, i := range todo {
		m := &p.msgs[i]
		body = append(body, p.body[m.start:m.end]...)
		points += m.points
	}
	return body, points
}
