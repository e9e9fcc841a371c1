package spool

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// FuzzOpen writes arbitrary bytes as a segment file — the newest one, or an older one
// followed by a valid newest segment — and an arbitrary checkpoint, then opens the spool and
// replays everything. Open must not fail or panic, and every record returned must be an
// intact frame of the input: re-encoding it gives bytes found in the files.
func FuzzOpen(f *testing.F) {
	at := time.Date(2025, 3, 1, 8, 0, 0, 0, time.UTC)
	var valid []byte
	for i := range 3 {
		valid = appendFrame(valid, uint64(i+1), at, rec(i))
	}
	cp := func(seq uint64) []byte {
		b := binary.LittleEndian.AppendUint64([]byte(checkpointMagic), seq)
		return binary.LittleEndian.AppendUint32(b, crc32.Checksum(b, castagnoli))
	}
	for _, older := range []bool{false, true} {
		f.Add(valid, cp(1), older)
		f.Add(valid, cp(3), older)
		f.Add(valid[:len(valid)-5], cp(2), older)
		f.Add(append(bytes.Clone(valid), "garbage"...), []byte("bad"), older)
		f.Add(append([]byte{0xde, 0xad}, valid...), cp(1), older)
		f.Add([]byte{}, []byte{}, older)
		mid := bytes.Clone(valid)
		for i := len(mid)/2 - 16; i < len(mid)/2+16; i++ {
			mid[i] ^= 0xff // damage inside acknowledged data, intact frames after it
		}
		f.Add(mid, cp(1), older)
		f.Add(append(bytes.Clone(valid), make([]byte, 100)...), cp(1), older) // zero-filled tail
	}
	f.Fuzz(func(t *testing.T, seg, checkpoint []byte, older bool) {
		dir := t.TempDir()
		files := [][]byte{seg}
		if err := os.WriteFile(filepath.Join(dir, "00000000000000000001.seg"), seg, 0o640); err != nil {
			t.Fatal(err)
		}
		if older {
			const next = 64
			newest := appendFrame(nil, next, at, []byte("newest"))
			files = append(files, newest)
			if err := os.WriteFile(filepath.Join(dir, "00000000000000000064.seg"), newest, 0o640); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.WriteFile(filepath.Join(dir, checkpointName), checkpoint, 0o640); err != nil {
			t.Fatal(err)
		}
		s, err := Open(Options{Dir: dir, Logger: slog.New(slog.DiscardHandler), Now: func() time.Time { return at }, noSync: true})
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		defer s.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		var last uint64
		for s.Len() > 0 {
			r, err := s.Next(ctx)
			if err != nil {
				t.Fatalf("Next with Len %d: %v", s.Len(), err)
			}
			if r.Seq <= last {
				t.Fatalf("seq %d after %d", r.Seq, last)
			}
			last = r.Seq
			frame := appendFrame(nil, r.Seq, r.Appended, r.Data)
			if !bytes.Contains(files[0], frame) && (len(files) == 1 || !bytes.Contains(files[1], frame)) {
				t.Fatalf("record seq %d (%d bytes) is not an intact frame of the input", r.Seq, len(r.Data))
			}
			if err := s.Confirm(r.Seq); err != nil {
				t.Fatal(err)
			}
		}
		if s.Bytes() != 0 {
			t.Errorf("Bytes = %d after replaying everything", s.Bytes())
		}
	})
}

// FuzzDamage writes a valid segment of n records, XORs mask into it at offset from, and
// replays the spool (the segment as the newest one, or as an older one before a valid
// newest). Every record must come back except those of the frames whose bytes changed: damage
// costs the damaged frames, never the intact ones around them.
func FuzzDamage(f *testing.F) {
	f.Add(uint8(8), uint16(200), bytes.Repeat([]byte{0xff}, 32), false)
	f.Add(uint8(8), uint16(200), bytes.Repeat([]byte{0xff}, 32), true)
	f.Add(uint8(3), uint16(0), []byte{1}, false)
	f.Add(uint8(5), uint16(30), []byte{0, 0, 0, 0, 0, 0, 0, 0, 0x80}, false)
	f.Add(uint8(12), uint16(900), bytes.Repeat([]byte{0x55}, 64), false)
	f.Fuzz(func(t *testing.T, n uint8, from uint16, mask []byte, older bool) {
		if n == 0 || n > 40 || len(mask) > 64 {
			return
		}
		at := time.Date(2025, 3, 1, 8, 0, 0, 0, time.UTC)
		var seg []byte
		var offs []int
		for i := range int(n) {
			offs = append(offs, len(seg))
			seg = appendFrame(seg, uint64(i+1), at, rec(i))
		}
		orig := bytes.Clone(seg)
		lost := xorAt(seg, offs, int(from), mask)
		dir := t.TempDir()
		writeFuzzFile(t, filepath.Join(dir, "00000000000000000001.seg"), seg)
		newest := uint64(n) + 1
		if older {
			writeFuzzFile(t, filepath.Join(dir, fmt.Sprintf("%020d.seg", newest)), appendFrame(nil, newest, at, []byte("newest")))
		}
		s, err := Open(Options{Dir: dir, Logger: slog.New(slog.DiscardHandler), Now: func() time.Time { return at }, noSync: true})
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		defer s.Close()
		got := replayAll(t, s)
		forged := forgedFrame(seg, orig, offs)
		for i := range int(n) {
			r, ok := got[uint64(i+1)]
			switch {
			case ok && !bytes.Equal(r, rec(i)):
				t.Fatalf("record %d replayed as %q", i, r)
			case !ok && !lost[i] && !forged:
				t.Fatalf("intact record %d (frame at %d) lost; damaged frames %v", i, offs[i], lost)
			}
		}
		if older && string(got[newest]) != "newest" {
			t.Fatalf("the newest segment's record was lost")
		}
	})
}

// xorAt XORs mask into seg at offset from (clipped to seg) and returns which frames (starting
// at offs) had a byte changed.
func xorAt(seg []byte, offs []int, from int, mask []byte) map[int]bool {
	lost := map[int]bool{}
	for k, m := range mask {
		i := from + k
		if i >= len(seg) || m == 0 {
			continue
		}
		seg[i] ^= m
		j := len(offs) - 1
		for offs[j] > i {
			j--
		}
		lost[j] = true
	}
	return lost
}

// forgedFrame reports whether the damage created an intact frame that is not one of the
// original ones (a matching checksum in the damaged bytes): then a later record may be taken
// for the one after the damage, and only the weaker guarantees of FuzzOpen hold.
func forgedFrame(seg, orig []byte, offs []int) bool {
	for i := 0; i+headerSize <= len(seg); i++ {
		h, _, ok := frameAt(seg[i:])
		if !ok {
			continue
		}
		end := i + int(frameSize(int(h.n)))
		if !slices.Contains(offs, i) || !bytes.Equal(seg[i:end], orig[i:end]) {
			return true
		}
	}
	return false
}

// replayAll reads and confirms every record, checking that sequence numbers increase, and
// returns the data by sequence number.
func replayAll(t *testing.T, s *Spool) map[uint64][]byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	got := map[uint64][]byte{}
	var last uint64
	for s.Len() > 0 {
		r, err := s.Next(ctx)
		if err != nil {
			t.Fatalf("Next with Len %d: %v", s.Len(), err)
		}
		if r.Seq <= last {
			t.Fatalf("seq %d after %d", r.Seq, last)
		}
		last = r.Seq
		got[r.Seq] = r.Data
		if err := s.Confirm(r.Seq); err != nil {
			t.Fatal(err)
		}
	}
	return got
}

func writeFuzzFile(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o640); err != nil {
		t.Fatal(err)
	}
}
