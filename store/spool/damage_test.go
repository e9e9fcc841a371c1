package spool

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
)

// flipLen is how many bytes the damage tests flip: the reproduction (32 bytes).
const flipLen = 32

// damaged returns the indexes of the frames (starting at offs, the last ending at end) that
// overlap [from, from+flipLen): the records that damage may cost, and no others.
func damaged(offs []int, end, from int) []int {
	var out []int
	for i, off := range offs {
		next := end
		if i+1 < len(offs) {
			next = offs[i+1]
		}
		if off < from+flipLen && from < next {
			out = append(out, i)
		}
	}
	return out
}

// flip returns a copy of b with flipLen bytes inverted from offset from.
func flip(b []byte, from int) []byte {
	out := bytes.Clone(b)
	for i := from; i < from+flipLen && i < len(out); i++ {
		out[i] ^= 0xff
	}
	return out
}

// without returns 0..n-1 without the values in lost.
func without(n int, lost []int) []int {
	var out []int
	for i := range n {
		if !slices.Contains(lost, i) {
			out = append(out, i)
		}
	}
	return out
}

// levelLog records the level and message of every log record, for tests that assert how a
// loss is reported.
type levelLog struct {
	mu   sync.Mutex
	recs []slog.Record
}

func (l *levelLog) Enabled(context.Context, slog.Level) bool { return true }
func (l *levelLog) WithAttrs([]slog.Attr) slog.Handler       { return l }
func (l *levelLog) WithGroup(string) slog.Handler            { return l }
func (l *levelLog) Handle(_ context.Context, r slog.Record) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.recs = append(l.recs, r.Clone())
	return nil
}

// errors returns the messages logged at ERROR or above.
func (l *levelLog) errors() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, r := range l.recs {
		if r.Level >= slog.LevelError {
			out = append(out, r.Message)
		}
	}
	return out
}

// TestDamageInsideNewestSegment flips 32 bytes at every position of the only (newest)
// segment of a closed spool, then reopens and replays it. Only the frames the flip touches may
// be lost: a frame with intact frames after it is not a torn tail. A loss in the middle is
// counted, logged at ERROR, and the file is kept as *.corrupt; only damage reaching the last
// frame (a true tail) may be truncated.
func TestDamageInsideNewestSegment(t *testing.T) {
	const n = 12
	src := writeSpool(t, n, 1<<20)
	segName := segFiles(t, src, segExt)[0]
	data, err := os.ReadFile(filepath.Join(src, segName))
	if err != nil {
		t.Fatal(err)
	}
	offs := frameOffsets(t, data)
	for from := 0; from+flipLen <= len(data); from += 5 {
		lost := damaged(offs, len(data), from)
		tail := slices.Contains(lost, n-1) // the damage reaches the last frame
		dir := crashCopy(t, src)
		write(t, filepath.Join(dir, segName), flip(data, from))
		logs := &levelLog{}
		s := mustOpen(t, Options{Dir: dir, Logger: slog.New(logs)})
		got := drain(t, s)
		checkRecords(t, got, without(n, lost))
		if s.corrupt == 0 {
			t.Fatalf("flip at %d: loss of records %v not counted", from, lost)
		}
		// Records lost are counted exactly, except damage running to the end of the file:
		// a torn tail (nothing acknowledged) counts none, other damage there at least one.
		if tail && (s.lost > uint64(len(lost)) || len(lost) > 1 && s.lost == 0) || !tail && s.lost != uint64(len(lost)) {
			t.Errorf("flip at %d: records %v lost, %d counted", from, lost, s.lost)
		}
		if tail && len(lost) == 1 {
			continue // a torn last frame: truncated, a warning is enough
		}
		if len(logs.errors()) == 0 {
			t.Errorf("flip at %d: loss of records %v not logged at ERROR", from, lost)
		}
		if kept := segFiles(t, dir, corruptExt); !slices.Equal(kept, []string{segName + corruptExt}) {
			t.Errorf("flip at %d: damaged segment not kept as %s: %v", from, segName+corruptExt, kept)
		}
		s.Close()
	}
}

// TestDamageInsideNewestSegmentThenAppend checks that a spool whose newest segment is damaged
// in the middle keeps working: new records are appended and replayed after the survivors, and
// the damaged file is kept exactly as it was found.
func TestDamageInsideNewestSegmentThenAppend(t *testing.T) {
	const n = 8
	dir := writeSpool(t, n, 1<<20)
	segName := segFiles(t, dir, segExt)[0]
	path := filepath.Join(dir, segName)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	offs := frameOffsets(t, data)
	from := offs[3] + headerSize + 2
	bad := flip(data, from)
	write(t, path, bad)
	s := mustOpen(t, Options{Dir: dir})
	appendN(t, s, 100, 2)
	s.Close()

	s = mustOpen(t, Options{Dir: dir})
	want := append(without(n, []int{3}), 100, 101)
	checkRecords(t, drain(t, s), want)
	kept, err := os.ReadFile(path + corruptExt)
	if err != nil {
		t.Fatalf("damaged segment not kept: %v", err)
	}
	if !bytes.Equal(kept, bad) {
		t.Errorf("kept segment is %d bytes, differs from the damaged file as found (%d bytes)", len(kept), len(bad))
	}
}

// TestDamageInsideOlderSegment flips 32 bytes at every position of the oldest of several
// segments: only the frames the flip touches are lost, counted, logged at ERROR, and the file
// is kept as *.corrupt.
func TestDamageInsideOlderSegment(t *testing.T) {
	const n = 40
	src := writeSpool(t, n, 800)
	segs := segFiles(t, src, segExt)
	if len(segs) < 3 {
		t.Fatalf("want several segments, got %v", segs)
	}
	data, err := os.ReadFile(filepath.Join(src, segs[0]))
	if err != nil {
		t.Fatal(err)
	}
	offs := frameOffsets(t, data)
	for from := 0; from+flipLen <= len(data); from += 3 {
		lost := damaged(offs, len(data), from)
		dir := crashCopy(t, src)
		write(t, filepath.Join(dir, segs[0]), flip(data, from))
		logs := &levelLog{}
		s := mustOpen(t, Options{Dir: dir, SegmentBytes: 800, Logger: slog.New(logs)})
		checkRecords(t, drain(t, s), without(n, lost))
		if s.corrupt == 0 || len(logs.errors()) == 0 || s.lost != uint64(len(lost)) {
			t.Errorf("flip at %d: loss of records %v: corrupt %d, %d records counted lost, errors logged %q", from, lost, s.corrupt, s.lost, logs.errors())
		}
		if kept := segFiles(t, dir, corruptExt); !slices.Equal(kept, []string{segs[0] + corruptExt}) {
			t.Errorf("flip at %d: damaged segment not kept: %v", from, kept)
		}
		s.Close()
	}
}

// TestDamageCountedOnceAcrossRestart replays a damaged newest segment past the damage, stops,
// and reopens: the rest is delivered, and the loss already counted is not counted again.
func TestDamageCountedOnceAcrossRestart(t *testing.T) {
	const n = 10
	dir := writeSpool(t, n, 1<<20)
	segName := segFiles(t, dir, segExt)[0]
	path := filepath.Join(dir, segName)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	offs := frameOffsets(t, data)
	write(t, path, flip(data, offs[2]+headerSize))
	s := mustOpen(t, Options{Dir: dir})
	var got []Record
	for range 4 { // records 0, 1, 3, 4: past the damaged record 2
		r := next(t, s)
		got = append(got, r)
		if err := s.Confirm(r.Seq); err != nil {
			t.Fatal(err)
		}
	}
	if s.corrupt != 1 || s.lost != 1 {
		t.Errorf("first run: corrupt = %d, records lost %d; want 1 and 1", s.corrupt, s.lost)
	}
	s.Close()

	logs := &levelLog{}
	s = mustOpen(t, Options{Dir: dir, Logger: slog.New(logs)})
	got = append(got, drain(t, s)...)
	checkRecords(t, got, without(n, []int{2}))
	if s.corrupt != 0 || s.lost != 0 {
		t.Errorf("second run: corrupt = %d, records lost %d; want 0 (the loss was counted by the first run)", s.corrupt, s.lost)
	}
	if kept := segFiles(t, dir, corruptExt); !slices.Equal(kept, []string{segName + corruptExt}) {
		t.Errorf("damaged segment not kept: %v", kept)
	}
}
