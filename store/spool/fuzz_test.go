package spool

import (
	"bytes"
	"context"
	"encoding/binary"
	"hash/crc32"
	"log/slog"
	"os"
	"path/filepath"
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
