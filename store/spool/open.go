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
// the last segment is scanned and a torn or corrupt tail (a partial header, a length beyond
// the end of the file, a checksum or sequence mismatch) is truncated, counted and logged.
// Older segments were fsynced before the next one was started and are checked when replayed
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
		fill:    &batch{},
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
		n, err := s.scanTail(last)
		if err != nil {
			return err
		}
		s.nextSeq = last.first + n
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

// scanTail reads every frame of the last segment, checking lengths, checksums and
// sequence numbers, and truncates the file at the first frame that fails. It returns the
// number of intact records.
func (s *Spool) scanTail(seg *segment) (uint64, error) {
	f, err := os.OpenFile(seg.path, os.O_RDWR, 0)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 1<<20)
	var (
		off  int64
		n    uint64
		hb   = make([]byte, headerSize)
		data []byte
	)
	reason := ""
	for off < seg.size {
		if _, err := io.ReadFull(r, hb); err != nil {
			reason = "partial header"
			break
		}
		h := parseHeader(hb)
		if int64(h.n) > seg.size-off-headerSize {
			reason = "length beyond end of file"
			break
		}
		data = slices.Grow(data[:0], int(h.n))[:h.n]
		if _, err := io.ReadFull(r, data); err != nil {
			return 0, err
		}
		if !h.checksum(hb, data) {
			reason = "checksum mismatch"
			break
		}
		if h.seq != seg.first+n {
			reason = fmt.Sprintf("sequence number %d, want %d", h.seq, seg.first+n)
			break
		}
		off += frameSize(int(h.n))
		n++
	}
	if off == seg.size {
		return n, nil
	}
	s.corrupt++
	s.log.Warn("spool: truncating torn or corrupt tail", "file", seg.path, "offset", off,
		"dropped_bytes", seg.size-off, "reason", reason, "intact_records", n)
	if err := f.Truncate(off); err != nil {
		return 0, err
	}
	if err := s.fsync(f); err != nil {
		return 0, err
	}
	seg.size, seg.synced = off, off
	return n, nil
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
		if err := os.Remove(segs[0].path); err != nil {
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

// openTail opens the last segment for appending.
func (s *Spool) openTail() error {
	if len(s.segs) == 0 {
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
