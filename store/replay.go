package store

import (
	"bytes"
	"context"
	"log/slog"
	"time"

	"github.com/quantrac/quantrac"
	"github.com/quantrac/quantrac/internal/retry"
)

// SpoolOrigin is the topic of the quarantine entry of a spooled line InfluxDB refuses: the
// message it came from was acknowledged long ago, and only its lines were spooled.
const SpoolOrigin = "(spool)"

// replay drains the spool into InfluxDB, oldest record first, whenever InfluxDB takes writes.
// A record is confirmed only when every line of it is durable in InfluxDB (or quarantined
// durably there); when ctx ends first it stays in the spool and is replayed after the restart.
func (s *Sink) replay(ctx context.Context) {
	for {
		rec, err := s.opts.Spool.Next(ctx)
		if err != nil {
			return // ctx done or spool closed
		}
		if !s.replayRecord(ctx, rec.Data) {
			return
		}
		if err := s.opts.Spool.Confirm(rec.Seq); err != nil {
			s.log.Error("spool confirm failed", "seq", rec.Seq, "err", err)
		}
	}
}

// replayRecord writes one spooled record until it is in InfluxDB; if InfluxDB refuses it, it
// goes line by line. It reports false when ctx ended before the record was settled.
func (s *Sink) replayRecord(ctx context.Context, data []byte) bool {
	var b backoff
	for {
		err := s.w.Write(ctx, data, bytes.Count(data, []byte{'\n'}))
		switch {
		case err == nil:
			return true
		case !Retryable(err):
			return s.replayLines(ctx, data)
		}
		d := b.next(err)
		s.warnEvery(slog.LevelWarn, "replay", "InfluxDB write of spooled data failed; retrying", "err", err, "retry_in", d)
		if !retry.Wait(ctx, d) {
			return false
		}
	}
}

// replayLines writes a refused record line by line; a line InfluxDB refuses for good is
// quarantined. A line is done only when decide says durable or quarantined; otherwise it is
// retried (its data was acknowledged to the broker long ago: the spool is its only copy). It
// reports false when ctx ended first.
func (s *Sink) replayLines(ctx context.Context, data []byte) bool {
	for line := range bytes.Lines(data) {
		var b backoff
		for {
			out, q, err := s.replayLine(ctx, line)
			f := decide(out, q)
			if f == Quarantined {
				s.m.quarantinedPoints.Inc()
				s.log.Warn("InfluxDB refused a spooled point for good; kept in rejected_messages", "err", err)
			}
			if f != Held {
				break
			}
			d := b.next(err)
			s.warnEvery(slog.LevelError, "replayheld", "a spooled point is neither written nor quarantined; retrying", "err", err, "retry_in", d)
			if !retry.Wait(ctx, d) {
				return false
			}
		}
	}
	return true
}

// replayLine writes one spooled line and, when InfluxDB refuses it, its quarantine entry; the
// spool itself is not a fallback here (the line is in it already).
func (s *Sink) replayLine(ctx context.Context, line []byte) (data, quarantine Outcome, err error) {
	if err = s.w.Write(ctx, line, 1); err == nil {
		return Written, NotTried, nil
	}
	if Retryable(err) {
		return Failed, NotTried, err
	}
	origin := quantrac.Envelope{Topic: SpoolOrigin, Payload: line}
	entry := appendRejection(nil, &origin, quantrac.Rejection{Reason: ReasonWriteRejected, Detail: err.Error()}, time.Now())
	switch qerr := s.w.Write(ctx, entry, 1); {
	case qerr == nil:
		return Refused, Written, err
	case Retryable(qerr):
		return Refused, Failed, qerr
	default:
		return Refused, Refused, qerr
	}
}
