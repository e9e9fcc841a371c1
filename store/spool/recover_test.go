package spool

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// frameOffsets returns the offset of every intact frame of a segment file, walking from 0.
func frameOffsets(t testing.TB, data []byte) []int {
	t.Helper()
	var offs []int
	for off := 0; off < len(data); {
		h, _, ok := frameAt(data[off:])
		if !ok {
			t.Fatalf("no intact frame at %d", off)
		}
		offs = append(offs, off)
		off += int(frameSize(int(h.n)))
	}
	return offs
}

// writeSpool creates a closed spool of n records in a new directory and returns it.
func writeSpool(t testing.TB, n int, segmentBytes int64) string {
	t.Helper()
	dir := t.TempDir()
	s := mustOpen(t, Options{Dir: dir, SegmentBytes: segmentBytes})
	appendN(t, s, 0, n)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestTornTailEveryOffset(t *testing.T) {
	const n = 5
	src := writeSpool(t, n, 1<<20)
	segName := segFiles(t, src, segExt)[0]
	data, err := os.ReadFile(filepath.Join(src, segName))
	if err != nil {
		t.Fatal(err)
	}
	lastStart := frameOffsets(t, data)[n-1]
	for cut := lastStart; cut < len(data); cut++ {
		dir := crashCopy(t, src)
		path := filepath.Join(dir, segName)
		if err := os.Truncate(path, int64(cut)); err != nil {
			t.Fatal(err)
		}
		s := mustOpen(t, Options{Dir: dir})
		wantCorrupt := 0
		if cut > lastStart {
			wantCorrupt = 1
		}
		if s.corrupt != wantCorrupt || s.Len() != n-1 {
			t.Fatalf("cut at %d: corrupt %d, Len %d; want %d, %d", cut, s.corrupt, s.Len(), wantCorrupt, n-1)
		}
		if fi, err := os.Stat(path); err != nil || fi.Size() != int64(lastStart) {
			t.Fatalf("cut at %d: file not truncated to %d: %v %v", cut, lastStart, fi.Size(), err)
		}
		appendN(t, s, 100, 1)
		got := drain(t, s)
		checkRecords(t, got, []int{0, 1, 2, 3, 100})
		if got[n-1].Seq != n {
			t.Fatalf("cut at %d: new record got seq %d, want %d (the torn one's)", cut, got[n-1].Seq, n)
		}
		s.Close()
	}
}

func TestCorruptTailTruncated(t *testing.T) {
	const n = 5
	validFrame := func(seq uint64, data string) []byte {
		return appendFrame(nil, seq, newClock().Now(), []byte(data))
	}
	tests := []struct {
		name string
		edit func(seg []byte, last int) []byte // last: offset of the last frame
	}{
		{"garbage appended", func(b []byte, _ int) []byte { return append(b, "\x17garbage that is not a frame at all, no"...) }},
		{"zeros appended", func(b []byte, _ int) []byte { return append(b, make([]byte, 4096)...) }},
		{"huge length appended", func(b []byte, _ int) []byte {
			f := validFrame(n+1, "x")
			f[7] = 0x7f
			return append(b, f...)
		}},
		{"valid frame with a repeated seq appended", func(b []byte, _ int) []byte { return append(b, validFrame(n, "dup")...) }},
		{"valid frame with a gap appended", func(b []byte, _ int) []byte { return append(b, validFrame(n+2, "gap")...) }},
		{"checksum flipped in last frame", func(b []byte, last int) []byte { b[last]++; return b }},
		{"data flipped in last frame", func(b []byte, last int) []byte { b[len(b)-1] ^= 0x40; return b }},
		{"seq flipped in last frame", func(b []byte, last int) []byte { b[last+8] ^= 1; return b }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeSpool(t, n, 1<<20)
			path := filepath.Join(dir, segFiles(t, dir, segExt)[0])
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			offs := frameOffsets(t, data)
			edited := tt.edit(bytes.Clone(data), offs[n-1])
			if err := os.WriteFile(path, edited, 0o640); err != nil {
				t.Fatal(err)
			}
			// Appended garbage leaves all n records; damage inside the last frame loses it.
			want := n
			if len(edited) == len(data) {
				want = n - 1
			}
			s := mustOpen(t, Options{Dir: dir})
			if s.corrupt != 1 {
				t.Errorf("corrupt = %d, want 1", s.corrupt)
			}
			checkRecords(t, drain(t, s), seq(0, want))
		})
	}
}

func TestCorruptOlderSegment(t *testing.T) {
	const n = 40
	tests := []struct {
		name string
		// edit damages the first segment, whose frames start at offs; it returns the
		// indexes of the records lost.
		edit func(t *testing.T, path string, data []byte, offs []int) []int
	}{
		{"data byte flipped", func(t *testing.T, path string, b []byte, offs []int) []int {
			b[offs[2]+headerSize+3] ^= 0xff
			write(t, path, b)
			return []int{2}
		}},
		{"length garbled", func(t *testing.T, path string, b []byte, offs []int) []int {
			b[offs[1]+5] = 0xee
			write(t, path, b)
			return []int{1}
		}},
		{"two frames zeroed", func(t *testing.T, path string, b []byte, offs []int) []int {
			clear(b[offs[1]+10 : offs[3]-2])
			write(t, path, b)
			return []int{1, 2}
		}},
		{"zeroed to the end", func(t *testing.T, path string, b []byte, offs []int) []int {
			clear(b[offs[2]:])
			write(t, path, b)
			return seq(2, len(offs))
		}},
		{"truncated", func(t *testing.T, path string, b []byte, offs []int) []int {
			write(t, path, b[:offs[2]+7])
			return seq(2, len(offs))
		}},
		{"deleted", func(t *testing.T, path string, b []byte, offs []int) []int {
			if err := os.Remove(path); err != nil {
				t.Fatal(err)
			}
			return seq(0, len(offs))
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeSpool(t, n, 800)
			segs := segFiles(t, dir, segExt)
			if len(segs) < 3 {
				t.Fatalf("want several segments, got %v", segs)
			}
			path := filepath.Join(dir, segs[0])
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			offs := frameOffsets(t, data)
			if len(offs) < 5 {
				t.Fatalf("first segment holds %d records, want at least 5", len(offs))
			}
			lost := tt.edit(t, path, data, offs)
			var want []int
			for i := range n {
				if !contains(lost, i) {
					want = append(want, i)
				}
			}
			s := mustOpen(t, Options{Dir: dir, SegmentBytes: 800})
			checkRecords(t, drain(t, s), want)
			if s.corrupt != 1 || s.lost != uint64(len(lost)) {
				t.Errorf("corrupt = %d, records lost %d; want 1 and %d", s.corrupt, s.lost, len(lost))
			}
			kept := segFiles(t, dir, corruptExt)
			if _, err := os.Stat(path); err == nil && (len(kept) != 1 || kept[0] != segs[0]+corruptExt) {
				t.Errorf("damaged segment not kept as %s: %v", segs[0]+corruptExt, kept)
			}
			if left := segFiles(t, dir, segExt); len(left) != 0 {
				t.Errorf("segments left after drain: %v", left)
			}
		})
	}
}

func TestCorruptActiveSegmentWhileOpen(t *testing.T) {
	dir := t.TempDir()
	s := mustOpen(t, Options{Dir: dir})
	appendN(t, s, 0, 6)
	path := filepath.Join(dir, segFiles(t, dir, segExt)[0])
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	offs := frameOffsets(t, data)
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt([]byte{data[offs[3]+headerSize] ^ 1}, int64(offs[3]+headerSize)); err != nil {
		t.Fatal(err)
	}
	f.Close()
	appendN(t, s, 6, 2)
	checkRecords(t, drain(t, s), []int{0, 1, 2, 4, 5, 6, 7})
	if s.corrupt != 1 {
		t.Errorf("corrupt = %d, want 1", s.corrupt)
	}
	if kept := segFiles(t, dir, corruptExt); len(kept) != 1 {
		t.Errorf("damaged active segment not kept: %v", kept)
	}
}

func write(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o640); err != nil {
		t.Fatal(err)
	}
}

func contains(s []int, v int) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}
