package spool

import (
	"encoding/binary"
	"fmt"
	"os"
	"time"
)

// Confirm marks the record Next returned as written elsewhere, so that Next moves on to the
// following record. Once every record of a segment is confirmed the segment file is deleted
// and its bytes freed; when the last segment is emptied it is deleted too, so Bytes is 0
// whenever Len is 0.
//
// seq must be the sequence number of the record the last Next returned (ErrNotHead
// otherwise); confirming an already confirmed record does nothing. The confirmed position is
// written to the checkpoint file at once, so a crash of the process re-delivers nothing
// already confirmed; it is fsynced every CheckpointSyncBytes, which bounds what a power loss
// re-delivers. An error from Confirm concerns the checkpoint only: the record is confirmed
// in memory all the same.
func (s *Spool) Confirm(seq uint64) error {
	s.rmu.Lock()
	defer s.rmu.Unlock()
	s.mu.Lock()
	closed, head := s.closed, s.head
	s.mu.Unlock()
	switch {
	case closed:
		return ErrClosed
	case seq < head:
		return nil
	case !s.hasCur || s.cur.Seq != seq:
		return fmt.Errorf("%w: %d, head is %d", ErrNotHead, seq, head)
	}
	s.rOff += s.curSize
	s.unsynced += s.curSize
	return s.advance(seq + 1)
}

// advance moves the head to next, frees the segments left behind, refreshes the head's
// append time and writes the checkpoint. Called with rmu held.
func (s *Spool) advance(next uint64) error {
	s.cur, s.hasCur, s.curSize = Record{}, false, 0
	s.mu.Lock()
	s.head = next
	var (
		drops []*segment
		w     *os.File
	)
	for len(s.segs) > 1 && next >= s.segs[1].first {
		drops = append(drops, s.segs[0])
		s.segs = s.segs[1:]
	}
	if len(s.segs) == 1 && next == s.nextSeq && !s.flushing {
		drops = append(drops, s.segs[0])
		if s.wseg == s.segs[0] {
			w = s.w
			s.w, s.wseg = nil, nil
		}
		s.segs, s.tail = nil, nil
	}
	for _, d := range drops {
		s.bytes -= d.size
		s.rOff = 0
	}
	var seg *segment
	if len(s.segs) > 0 {
		seg = s.segs[0]
	}
	durable, pending := next < s.durable, next < s.nextSeq
	s.mu.Unlock()

	// When segments go, the checkpoint is synced before they are removed and the directory
	// after, so that even a power loss can neither bring a deleted segment back nor leave a
	// checkpoint older than the oldest segment (two fsyncs per segment: cheap).
	sync := s.unsynced >= s.opts.CheckpointSyncBytes || len(drops) > 0
	if sync {
		s.unsynced = 0
	}
	err := s.cp.write(next, sync)
	if w != nil {
		w.Close()
	}
	for _, d := range drops {
		s.removeSegment(d)
	}
	if len(drops) > 0 && !s.opts.noSync {
		if serr := syncDir(s.opts.Dir); serr != nil && err == nil {
			err = fmt.Errorf("spool: %w", serr)
		}
	}
	s.refreshHeadTime(seg, next, durable, pending)
	return err
}

// removeSegment deletes a fully confirmed segment file, or renames it *.corrupt when a
// corrupt region was skipped in it, so that it can be inspected.
func (s *Spool) removeSegment(seg *segment) {
	if s.rseg == seg {
		s.rf.Close()
		s.rf, s.rseg = nil, nil
	}
	var err error
	if seg.damaged {
		err = os.Rename(seg.path, seg.path+corruptExt)
		s.log.Warn("spool: kept damaged segment for inspection", "file", seg.path+corruptExt)
	} else {
		err = os.Remove(seg.path)
	}
	if err != nil {
		// The records are confirmed: at worst the file is found again by Open, which
		// deletes it or, with a stale checkpoint, re-delivers it.
		s.log.Warn("spool: cannot remove confirmed segment", "file", seg.path, "err", err)
	}
}

// refreshHeadTime sets the append time of the new head record next, reading its header
// when it is durable. A record still being written was appended just now.
func (s *Spool) refreshHeadTime(seg *segment, next uint64, durable, pending bool) {
	var t time.Time
	switch {
	case durable && seg != nil:
		t = s.opts.Now()
		if f, err := s.reader(seg); err == nil {
			if _, err := f.ReadAt(s.hb[:], s.rOff); err == nil {
				if h := parseHeader(s.hb[:]); h.seq == next {
					t = h.time()
				}
			}
		}
	case pending:
		t = s.opts.Now()
	default:
		return // empty: the next Append sets it
	}
	s.mu.Lock()
	if s.head == next {
		s.headTime = t
	}
	s.mu.Unlock()
}

// seqAt returns the sequence number in the frame header at the start of b.
func seqAt(b []byte) uint64 { return binary.LittleEndian.Uint64(b[8:]) }
