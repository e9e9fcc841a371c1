package spool

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// segExt names segment files: the first record's sequence number, 20 digits, then segExt.
// A new on-disk format would take a new extension.
const segExt = ".seg"

// corruptExt is appended to the name of a segment kept for inspection after corruption.
const corruptExt = ".corrupt"

// Open opens the spool in opts.Dir, creating it if needed, and recovers it after a crash:
// the last segment is scanned, a torn tail (an incomplete last frame, or zeros after the last
// intact frame) is truncated, counted and logged, and any other damage seals the segment and
// keeps a copy of it (see scanTail). Older segments were fsynced before the next one was started and are checked when replayed
// (see Next). Only I/O errors make Open fail, never the content of the files.
func Open(opts Options) (*Spool, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(opts.Dir, 0o750); err != nil {
		return nil, fmt.Errorf("spool: %w", err)
	}
	unlock, err := lockDir(opts.Dir)
	if err != nil {
		return nil, err
	}
	s := &Spool{
		opts:    opts,
		log:     opts.Logger,
		unlock:  unlock,
		done:    make(chan struct{}),
		fill:    &batch{out: &outcome{}},
		spare:   &batch{},
		flushed: make(chan struct{}),
	}
	s.cond.L = &s.mu
	if err := s.recover(); err != nil {
		s.abandon()
		return nil, fmt.Errorf("spool: open %s: %w", opts.Dir, err)
	}
	if opts.Registerer != nil {
		s.metrics = newCollector(s)
		if err := opts.Registerer.Register(s.metrics); err != nil {
			s.metrics = nil
			s.abandon()
			return nil, fmt.Errorf("spool: metrics: %w", err)
		}
	}
	return s, nil
}

// abandon releases what a failed Open acquired.
func (s *Spool) abandon() {
	for _, f := range []*os.File{s.w, s.rf} {
		if f != nil {
			f.Close()
		}
	}
	if s.cp != nil {
		_ = s.cp.f.Close() // abandoning after a failed Open: the first error is the one to report
	}
	_ = s.unlock() // the lock file's descriptor; nothing to do if closing it fails
}

// recover rebuilds the in-memory state from the directory.
func (s *Spool) recover() error {
	segs, err := s.listSegments()
	if err != nil {
		return err
	}
	s.nextSeq = 1
	if len(segs) > 0 {
		last := segs[len(segs)-1]
		next, err := s.scanTail(last)
		if err != nil {
			return err
		}
		s.nextSeq = next
	}
	s.durable = s.nextSeq
	cp, seq, err := openCheckpoint(s.opts.Dir, s.opts.noSync)
	if cp == nil {
		return err
	}
	s.cp = cp
	if errors.Is(err, errNoCheckpoint) && !s.opts.noSync {
		if err := syncDir(s.opts.Dir); err != nil { // the new file's directory entry
			return err
		}
	}
	s.head = s.startHead(segs, seq, err)
	s.nextSeq = max(s.nextSeq, s.head)
	s.durable = s.nextSeq
	if err := s.dropConfirmed(segs); err != nil {
		return err
	}
	if err := s.cp.write(s.head, true); err != nil {
		return err
	}
	if err := s.openTail(); err != nil {
		return err
	}
	s.locateHead()
	return nil
}

// listSegments returns the segment files in the directory, oldest first. Files with other
// names (the checkpoint, the lock, *.corrupt) are left alone.
func (s *Spool) listSegments() ([]*segment, error) {
	entries, err := os.ReadDir(s.opts.Dir)
	if err != nil {
		return nil, err
	}
	var segs []*segment
	for _, e := range entries {
		stem, ok := strings.CutSuffix(e.Name(), segExt)
		if !ok || !e.Type().IsRegular() {
			continue
		}
		first, err := strconv.ParseUint(stem, 10, 64)
		if err != nil {
			s.log.Warn("spool: ignoring file with a segment extension but no sequence number", "file", e.Name())
			continue
		}
		info, err := e.Info()
		if err != nil {
			return nil, err
		}
		path := filepath.Join(s.opts.Dir, e.Name())
		segs = append(segs, &segment{first: first, path: path, size: info.Size(), synced: info.Size()})
	}
	slices.SortFunc(segs, func(a, b *segment) int { return cmpUint(a.first, b.first) })
	return segs, nil
}

func cmpUint(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// scanTail reads every frame of the last segment, checking lengths, checksums and sequence
// numbers, and returns the sequence number after its last intact record.
//
// Only a torn tail is truncated: an incomplete last frame (a partial header, or a length
// beyond the end of the file) or zeros after the last intact frame, which is what an
// interrupted write leaves and holds nothing acknowledged. Any other damage may be inside
// acknowledged data: nothing is cut, a copy of the file is kept as *.corrupt at once, the
// segment is sealed (never appended to again, see openTail) and replayed like an older
// segment: Next skips the damaged frames only, counting and logging the loss at ERROR.
func (s *Spool) scanTail(seg *segment) (uint64, error) {
	f, err := os.OpenFile(seg.path, os.O_RDWR, 0)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	off, next, reason, incomplete, err := scanFrames(f, seg)
	if err != nil || off == seg.size {
		return next, err
	}
	// The frame at off is damaged: look at the rest of the file for intact frames.
	rest := make([]byte, seg.size-off)
	if _, err := f.ReadAt(rest, off); err != nil {
		return 0, err
	}
	end, after := scanRest(rest, next)
	if end == 0 && (incomplete || allZero(rest)) {
		return next, s.truncateTail(f, seg, off, reason)
	}
	seg.damaged = true
	s.log.Error("spool: damaged frames in the newest segment: the segment is sealed and kept as "+corruptExt+
		"; only the damaged frames are skipped", "file", seg.path, "offset", off, "reason", reason,
		"intact_records_after", after-next, "copy", s.keepCopy(f, seg))
	if end == 0 {
		// Nothing intact after the damage: Next never reaches it, so count it now, as one
		// record lost (how many its damaged frames held cannot be read).
		s.corrupt++
		s.lost++
	}
	return after, nil
}

// truncateTail cuts the torn tail of seg at off, counts it and logs it.
func (s *Spool) truncateTail(f *os.File, seg *segment, off int64, reason string) error {
	s.corrupt++
	s.log.Warn("spool: truncating torn tail", "file", seg.path, "offset", off,
		"dropped_bytes", seg.size-off, "reason", reason)
	if err := f.Truncate(off); err != nil {
		return err
	}
	if err := s.fsync(f); err != nil {
		return err
	}
	seg.size, seg.synced = off, off
	return nil
}

// keepCopy copies the damaged segment f to *.corrupt and returns the copy's path, or why
// it could not be made: the spool goes on without it.
func (s *Spool) keepCopy(f *os.File, seg *segment) string {
	dst := seg.path + corruptExt
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o640)
	if err == nil {
		_, err = io.Copy(out, io.NewSectionReader(f, 0, seg.size))
		if serr := s.fsync(out); err == nil {
			err = serr
		}
		if cerr := out.Close(); err == nil {
			err = cerr
		}
	}
	if err == nil && !s.opts.noSync {
		err = syncDir(s.opts.Dir)
	}
	if err != nil {
		return "not kept: " + err.Error()
	}
	return dst
}

// allZero reports whether b holds only zero bytes.
func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// scanFrames reads the frames of seg from the start while they are intact and numbered in
// sequence. It returns the offset where that stops (seg.size when every frame is intact),
// the sequence number expected there, why it stopped, and whether the frame there is
// incomplete (it runs past the end of the file).
func scanFrames(f *os.File, seg *segment) (off int64, next uint64, reason string, incomplete bool, err error) {
	r := bufio.NewReaderSize(f, 1<<20)
	hb := make([]byte, headerSize)
	var data []byte
	next = seg.first
	for off < seg.size {
		if _, err := io.ReadFull(r, hb); errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return off, next, "partial header", true, nil
		} else if err != nil {
			return 0, 0, "", false, err
		}
		h := parseHeader(hb)
		if int64(h.n) > seg.size-off-headerSize {
			return off, next, "length beyond end of file", true, nil
		}
		data = slices.Grow(data[:0], int(h.n))[:h.n]
		if _, err := io.ReadFull(r, data); err != nil {
			return 0, 0, "", false, err
		}
		if !h.checksum(hb, data) {
			return off, next, "checksum mismatch", false, nil
		}
		if h.seq != next {
			return off, next, fmt.Sprintf("sequence number %d, want %d", h.seq, next), false, nil
		}
		off += frameSize(int(h.n))
		next++
	}
	return off, next, "", false, nil
}

// scanRest walks b, the rest of a segment from a damaged frame on, where the record numbered
// want was expected. It skips damaged regions to the next intact frame of a later record and
// returns the length of b up to the end of its last intact frame (0 when there is none: b is a
// torn tail) and the sequence number after that frame.
func scanRest(b []byte, want uint64) (end int, next uint64) {
	next = want
	for off := 0; off < len(b); {
		if h, _, ok := frameAt(b[off:]); ok && h.seq == next {
			off += int(frameSize(int(h.n)))
			end, next = off, next+1
			continue
		}
		// Every frame takes at least headerSize bytes: that bounds the plausible numbers.
		at := resync(b, off+1, next, next+uint64(len(b)-off)/headerSize)
		if at < 0 {
			break
		}
		off, next = at, seqAt(b[at:])
	}
	return end, next
}

// startHead chooses the oldest unconfirmed record from the checkpoint (cp, or cpErr when
// it could not be read) and the segments found.
func (s *Spool) startHead(segs []*segment, cp uint64, cpErr error) uint64 {
	if cpErr != nil && !errors.Is(cpErr, errNoCheckpoint) {
		s.corrupt++
		s.log.Warn("spool: ignoring invalid checkpoint; re-delivering from the oldest segment", "err", cpErr)
	}
	if len(segs) == 0 {
		if cpErr != nil {
			return s.nextSeq
		}
		return max(cp, s.nextSeq)
	}
	switch first := segs[0].first; {
	case cpErr != nil:
		return first
	case cp < first:
		// Confirm syncs the checkpoint before deleting a segment: segment files were lost.
		s.corrupt++
		s.lost += first - cp
		s.log.Error("spool: records missing before the oldest segment", "checkpoint", cp,
			"oldest", first, "lost_records", first-cp)
		return first
	case cp > s.nextSeq:
		s.log.Warn("spool: checkpoint beyond the last record; re-delivering from the oldest segment",
			"checkpoint", cp, "next", s.nextSeq)
		return first
	default:
		return cp
	}
}

// dropConfirmed deletes the segments whose records are all confirmed, and an empty last
// segment, and keeps the rest.
func (s *Spool) dropConfirmed(segs []*segment) error {
	for len(segs) > 0 {
		end := s.nextSeq
		if len(segs) > 1 {
			end = segs[1].first
		}
		if end > s.head {
			break
		}
		if err := discardConfirmed(segs[0]); err != nil {
			return err
		}
		segs = segs[1:]
	}
	// An empty last segment (a crash right after it was created, or a torn first frame)
	// goes too: every segment kept holds a record, so a segment deleted once confirmed
	// never has the name of the next one created.
	if n := len(segs); n > 0 && segs[n-1].size == 0 {
		if err := os.Remove(segs[n-1].path); err != nil {
			return err
		}
		segs = segs[:n-1]
	}
	s.segs = segs
	for _, seg := range segs {
		s.bytes += seg.size
	}
	return nil
}

// discardConfirmed deletes a segment whose records are all confirmed, or renames it
// *.corrupt when it is damaged, so that the damage can be inspected.
func discardConfirmed(seg *segment) error {
	if seg.damaged {
		return os.Rename(seg.path, seg.path+corruptExt)
	}
	return os.Remove(seg.path)
}

// openTail opens the last segment for appending, unless it is damaged: then the next Append
// starts a new segment, and the damaged file stays as it was found.
func (s *Spool) openTail() error {
	if len(s.segs) == 0 || s.segs[len(s.segs)-1].damaged {
		return nil
	}
	seg := s.segs[len(s.segs)-1]
	w, err := os.OpenFile(seg.path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return err
	}
	s.w, s.wseg, s.tail = w, seg, seg
	return nil
}

// locateHead finds the offset of the head record in segs[0] by walking the frame headers
// before it, and reads its append time. When a header on the way is damaged it stops
// there: Next then scans forward for the head (see skipCorrupt).
func (s *Spool) locateHead() {
	if len(s.segs) == 0 {
		return
	}
	seg := s.segs[0]
	f, err := s.reader(seg)
	if err != nil {
		return
	}
	hb := make([]byte, headerSize)
	for seq := seg.first; ; seq++ {
		if _, err := f.ReadAt(hb, s.rOff); err != nil {
			return
		}
		h := parseHeader(hb)
		if h.seq != seq || s.rOff+frameSize(int(h.n)) > seg.synced {
			return
		}
		if seq == s.head {
			s.headTime = h.time()
			return
		}
		s.rOff += frameSize(int(h.n))
	}
}
