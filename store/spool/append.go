package spool

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"
)

// maxRetainedBatch is the largest batch buffer kept for reuse after a flush.
const maxRetainedBatch = 16 << 20

// batch holds the frames queued between two flushes, one chunk per segment they go to.
type batch struct {
	chunks []chunk
	out    *outcome // what became of them, for their Appends; a new one for every flush
}

// outcome is what became of the records of one batch.
type outcome struct {
	done bool
	err  error // nil: written and fsynced
}

// chunk is a run of consecutive frames bound for one segment.
type chunk struct {
	seg *segment
	buf []byte
}

// reset empties b, keeping its buffers unless they grew very large.
func (b *batch) reset() {
	for i := range b.chunks {
		b.chunks[i].seg = nil
		if cap(b.chunks[i].buf) > maxRetainedBatch {
			b.chunks[i].buf = nil
		}
		b.chunks[i].buf = b.chunks[i].buf[:0]
	}
	b.chunks = b.chunks[:0]
}

// Append writes rec to the spool and returns once it is fsynced: a nil error means rec
// survives a crash. It returns ErrFull, having written nothing, when rec would take the spool
// beyond MaxBytes, and ErrTooLarge when rec could never fit. Concurrent Appends are written
// with one write and one fsync (group commit): the first caller to find no write in progress
// becomes the leader and writes everything queued so far, the others wait for it.
//
// After a failed write or fsync (a full disk, an I/O error) the Appends of that write and of
// those queued behind it return the error, and nothing of them stays: the files are cut back
// to what was durable (see dropUnwritten). The next Append writes again, so the spool takes
// data as soon as space returns. Only when the files cannot be cut back does every later Append
// return the error; Close and Open again to recover.
func (s *Spool) Append(rec []byte) error {
	size := frameSize(len(rec))
	if len(rec) > maxDataLen || size > s.opts.MaxBytes {
		return fmt.Errorf("%w: %d bytes, MaxBytes is %d", ErrTooLarge, len(rec), s.opts.MaxBytes)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.closed:
		return ErrClosed
	case s.err != nil:
		return s.err
	case s.bytes+size > s.opts.MaxBytes:
		return ErrFull
	}
	seq := s.nextSeq
	at := s.opts.Now()
	s.nextSeq++
	s.bytes += size
	if seq == s.head {
		s.headTime = at
	}
	s.enqueue(seq, at, rec, size)
	out := s.fill.out
	for !out.done {
		if s.flushing {
			s.cond.Wait()
		} else {
			s.flush()
		}
	}
	return out.err
}

// enqueue adds the frame of one record to the fill batch, starting a new segment when the
// current one is full. Called with mu held.
func (s *Spool) enqueue(seq uint64, at time.Time, rec []byte, size int64) {
	seg := s.tail
	if seg == nil || (seg.size > 0 && seg.size+size > s.opts.SegmentBytes) {
		seg = &segment{first: seq, path: s.segPath(seq)}
		s.segs = append(s.segs, seg)
		s.tail = seg
	}
	seg.size += size
	b := s.fill
	if n := len(b.chunks); n == 0 || b.chunks[n-1].seg != seg {
		if n < cap(b.chunks) {
			b.chunks = b.chunks[:n+1]
		} else {
			b.chunks = append(b.chunks, chunk{})
		}
		b.chunks[n].seg = seg
	}
	c := &b.chunks[len(b.chunks)-1]
	c.buf = appendFrame(c.buf, seq, at, rec)
}

// flush writes and fsyncs the fill batch as the leader. Called with mu held and no flush in
// progress; it releases mu while writing.
func (s *Spool) flush() {
	s.flushing = true
	b := s.fill
	s.fill, s.spare = s.spare, nil
	s.fill.out = &outcome{}
	upto := s.nextSeq
	w, wseg := s.w, s.wseg
	s.mu.Unlock()

	if s.hookW != nil {
		s.hookW()
	}
	w, wseg, err := s.write(b, w, wseg)

	s.mu.Lock()
	s.flushes++
	s.w, s.wseg = w, wseg
	b.out.done = true
	if err != nil {
		b.out.err = fmt.Errorf("spool: write: %w", err)
		s.dropUnwritten(b.out.err)
	} else {
		for _, c := range b.chunks {
			c.seg.synced += int64(len(c.buf))
		}
		s.durable = upto
		s.failed = nil
		close(s.flushed)
		s.flushed = make(chan struct{})
	}
	b.reset()
	s.spare = b
	s.flushing = false
	s.cond.Broadcast()
}

// write appends the chunks of b to their segment files, creating new ones as needed, and
// fsyncs every file written and, when a file was created, the directory. It returns the file
// and segment left open for the next write. It runs without mu: only the leader calls it.
func (s *Spool) write(b *batch, w *os.File, wseg *segment) (*os.File, *segment, error) {
	created := false
	for _, c := range b.chunks {
		if c.seg != wseg {
			if w != nil {
				if err := w.Close(); err != nil {
					return nil, nil, err
				}
			}
			var err error
			w, err = os.OpenFile(c.seg.path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC|os.O_APPEND, 0o640)
			if err != nil {
				return nil, nil, err
			}
			wseg, created = c.seg, true
		}
		if _, err := w.Write(c.buf); err != nil {
			return w, wseg, err
		}
		if err := s.fsync(w); err != nil {
			return w, wseg, err
		}
	}
	if created && !s.opts.noSync {
		if err := syncDir(s.opts.Dir); err != nil {
			return w, wseg, err
		}
	}
	return w, wseg, nil
}

// fsync flushes f to disk.
func (s *Spool) fsync(f *os.File) error {
	if s.opts.noSync {
		return nil
	}
	return f.Sync()
}

// syncDir fsyncs a directory so that files created or renamed in it survive a crash.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// dropUnwritten undoes every record that is not durable after a write failed with cause: the
// batch being written and those queued behind it. Their Appends return cause (they never
// returned nil: nothing acknowledged is dropped). Segment files are cut back to their synced
// size, files created for them are removed, and the next Append starts a new segment, so the
// space they took is freed and the spool is exactly as it was before them. Called with mu held
// by the leader, whose flush failed.
//
// The cut is not fsynced: after a crash a torn tail is truncated by Open, and an intact frame
// found again is only an extra copy of points whose message was never acknowledged.
func (s *Spool) dropUnwritten(cause error) {
	s.failed = cause
	s.log.Error("spool write failed; the records of that write are refused, and the next append tries again", "err", cause)
	s.fill.reset()
	s.fill.out.done, s.fill.out.err = true, cause
	s.fill.out = &outcome{}
	close(s.flushed) // wakes the consumer, to free segments this leaves emptied (see emptied)
	s.flushed = make(chan struct{})
	if s.w != nil {
		_ = s.w.Close() // the error that matters is cause
		s.w, s.wseg = nil, nil
	}
	s.tail = nil
	s.nextSeq = s.durable
	s.bytes = 0
	kept := s.segs[:0]
	for _, seg := range s.segs {
		if err := cutBack(seg); err != nil {
			s.err = fmt.Errorf("%w; cutting %s back to its durable size: %w", cause, seg.path, err)
			s.log.Error("spool cannot undo a failed write; appends fail until the spool is reopened", "err", s.err)
		}
		if seg.synced > 0 {
			kept = append(kept, seg)
			s.bytes += seg.synced
		}
	}
	clear(s.segs[len(kept):])
	s.segs = kept
}

// cutBack truncates seg's file to its synced size, or removes it when nothing of it is durable.
func cutBack(seg *segment) error {
	if seg.size == seg.synced {
		return nil
	}
	seg.size = seg.synced
	var err error
	if seg.synced == 0 {
		err = os.Remove(seg.path)
	} else {
		err = os.Truncate(seg.path, seg.synced)
	}
	if errors.Is(err, fs.ErrNotExist) {
		return nil // never created
	}
	return err
}
