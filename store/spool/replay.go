package spool

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
)

// errCorrupt marks a frame that cannot be read back intact.
var errCorrupt = errors.New("corrupt frame")

// Next returns the oldest unconfirmed record, waiting until one is durable, ctx is done or
// the spool is closed. It does not advance: until Confirm(rec.Seq), every Next returns the
// same record (the same Data slice, read from disk once). The consumer loop is
//
//	for {
//		rec, err := s.Next(ctx)     // ctx.Err() or ErrClosed: stop
//		...write rec.Data to InfluxDB; on a retryable error back off and `continue`:
//		   the next Next returns rec again...
//		err = s.Confirm(rec.Seq)    // frees the segment once all its records are confirmed
//	}
//
// A damaged frame in a segment is skipped: Next scans forward to the next intact frame of a
// later record, counts and logs the records lost, and keeps the file as *.corrupt instead of
// deleting it once replayed. When nothing intact follows the damage, the rest of the segment
// is given up the same way.
func (s *Spool) Next(ctx context.Context) (Record, error) {
	s.rmu.Lock()
	defer s.rmu.Unlock()
	for {
		if err := s.waitDurable(ctx); err != nil {
			return Record{}, err
		}
		if s.hasCur && s.cur.Seq == s.head {
			return s.cur, nil
		}
		rec, size, err := s.readHead()
		if err == nil {
			s.cur, s.hasCur, s.curSize = rec, true, size
			return rec, nil
		}
		if err := s.skipCorrupt(err); err != nil {
			return Record{}, err
		}
	}
}

// waitDurable waits until the head record is durable. Called with rmu held: the head cannot
// move meanwhile, and durable only grows.
func (s *Spool) waitDurable(ctx context.Context) error {
	for {
		s.mu.Lock()
		closed, ready, ch, emptied, head := s.closed, s.head < s.durable, s.flushed, s.emptied(), s.head
		s.mu.Unlock()
		if emptied && !closed {
			if err := s.advance(head); err != nil {
				s.log.Warn("spool: checkpoint write failed while freeing emptied segments", "err", err)
			}
		}
		switch {
		case closed:
			return ErrClosed
		case ready:
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		case <-s.done:
			return ErrClosed
		}
	}
}

// emptied reports whether segs[0] holds no unconfirmed record, though Confirm could not free
// it: a write was in progress when its last record was confirmed, and then failed or went to
// a new segment. Called with mu held.
func (s *Spool) emptied() bool {
	switch {
	case len(s.segs) > 1:
		return s.head >= s.segs[1].first
	case len(s.segs) == 1:
		return s.head == s.nextSeq && !s.flushing
	}
	return false
}

// readHead reads and checks the frame at the head position. Called with rmu held and the
// head durable.
func (s *Spool) readHead() (Record, int64, error) {
	s.mu.Lock()
	seg, head, limit := s.segs[0], s.head, s.segs[0].synced
	s.mu.Unlock()
	f, err := s.reader(seg)
	if err != nil {
		return Record{}, 0, fmt.Errorf("%w: %w", errCorrupt, err)
	}
	hb := s.hb[:]
	if _, err := f.ReadAt(hb, s.rOff); err != nil {
		return Record{}, 0, fmt.Errorf("%w: header at %d: %w", errCorrupt, s.rOff, err)
	}
	h := parseHeader(hb)
	size := frameSize(int(h.n))
	if s.rOff+size > limit {
		return Record{}, 0, fmt.Errorf("%w: length %d at %d beyond end %d", errCorrupt, h.n, s.rOff, limit)
	}
	data := make([]byte, h.n)
	if _, err := f.ReadAt(data, s.rOff+headerSize); err != nil {
		return Record{}, 0, fmt.Errorf("%w: data at %d: %w", errCorrupt, s.rOff, err)
	}
	switch {
	case !h.checksum(hb, data):
		return Record{}, 0, fmt.Errorf("%w: checksum mismatch at %d", errCorrupt, s.rOff)
	case h.seq != head:
		return Record{}, 0, fmt.Errorf("%w: sequence number %d at %d, want %d", errCorrupt, h.seq, s.rOff, head)
	}
	return Record{Seq: h.seq, Data: data, Appended: h.time()}, size, nil
}

// reader returns segs[0] open for reading, opening it when the head moved to a new segment.
func (s *Spool) reader(seg *segment) (*os.File, error) {
	if s.rseg == seg {
		return s.rf, nil
	}
	if s.rf != nil {
		s.rf.Close()
		s.rf, s.rseg = nil, nil
	}
	f, err := os.Open(seg.path)
	if err != nil {
		return nil, err
	}
	s.rf, s.rseg = f, seg
	return f, nil
}

// skipCorrupt moves the head past a frame that readHead could not read (cause): to the next
// intact frame of a later record in the same segment, or past the segment's end. The records
// skipped are lost; they are counted and logged.
func (s *Spool) skipCorrupt(cause error) error {
	s.mu.Lock()
	seg, head, end, sealed, limit := s.segs[0], s.head, s.segEnd(0), s.sealed(0), s.segs[0].synced
	s.mu.Unlock()
	rest, err := s.readRest(seg, limit)
	if err != nil {
		s.log.Warn("spool: cannot read damaged segment", "file", seg.path, "err", err)
		rest = nil
	}
	at := resync(rest, 0, head, end-1)
	seg.damaged = true
	if at >= 0 && seqAt(rest[at:]) == head {
		// The damage lies before the head, in records replayed before a restart (locateHead
		// stopped at it): nothing is lost now, and it was counted when first skipped.
		s.log.Info("spool: skipped a damaged region of records already replayed", "file", seg.path,
			"offset", s.rOff, "skipped_bytes", at, "cause", cause)
		s.rOff += int64(at)
		return nil
	}
	next := end
	if at >= 0 {
		next = seqAt(rest[at:])
	}
	s.mu.Lock()
	s.corrupt++
	s.lost += next - head
	s.mu.Unlock()
	if at >= 0 {
		s.log.Error("spool: skipped corrupt region", "file", seg.path, "offset", s.rOff,
			"skipped_bytes", at, "lost_records", next-head, "first_lost", head, "cause", cause)
		s.rOff += int64(at)
		return s.advance(next)
	}
	s.log.Error("spool: no intact record left in segment", "file", seg.path, "offset", s.rOff,
		"lost_records", end-head, "first_lost", head, "cause", cause)
	if !sealed {
		s.rOff = limit
	}
	return s.advance(end)
}

// readRest reads segs[0] from the head position to its synced end, limit. It runs only on damaged
// segments, so reading up to one segment into memory is acceptable.
func (s *Spool) readRest(seg *segment, limit int64) ([]byte, error) {
	f, err := s.reader(seg)
	if err != nil {
		return nil, err
	}
	buf := make([]byte, max(limit-s.rOff, 0))
	n, err := f.ReadAt(buf, s.rOff)
	if errors.Is(err, io.EOF) {
		err = nil
	}
	return buf[:n], err
}
