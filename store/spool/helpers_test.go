package spool

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// clock is a settable time source for Options.Now.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2025, 3, 1, 8, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// testLogger logs through t so that recovery reports show up with -v.
func testLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(tWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type tWriter struct{ t testing.TB }

func (w tWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSuffix(string(p), "\n"))
	return len(p), nil
}

// mustOpen opens a spool with opts (Dir, Logger and Now filled in when empty) and closes it
// at the end of the test unless the test closed it.
func mustOpen(t testing.TB, opts Options) *Spool {
	t.Helper()
	if opts.Dir == "" {
		opts.Dir = t.TempDir()
	}
	if opts.Logger == nil {
		opts.Logger = testLogger(t)
	}
	if opts.Now == nil {
		opts.Now = newClock().Now
	}
	s, err := Open(opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// rec returns the payload of test record i: distinct and of varying length.
func rec(i int) []byte {
	b := fmt.Appendf(nil, "air,station=LC-AQ-%03d pm25=%d.5 %d\n", i%7, i, 1700000000000000000+int64(i))
	for range i % 5 {
		b = append(b, b[:20]...)
	}
	return b
}

// appendN appends records rec(from)..rec(from+n-1).
func appendN(t testing.TB, s *Spool, from, n int) {
	t.Helper()
	for i := from; i < from+n; i++ {
		if err := s.Append(rec(i)); err != nil {
			t.Fatalf("Append(%d): %v", i, err)
		}
	}
}

// next calls Next with a deadline so that a test never hangs.
func next(t testing.TB, s *Spool) Record {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	r, err := s.Next(ctx)
	if err != nil {
		t.Fatalf("Next: %v", err)
	}
	return r
}

// drain reads and confirms every record and returns their payloads in order.
func drain(t testing.TB, s *Spool) []Record {
	t.Helper()
	var out []Record
	for s.Len() > 0 {
		r := next(t, s)
		out = append(out, r)
		if err := s.Confirm(r.Seq); err != nil {
			t.Fatalf("Confirm(%d): %v", r.Seq, err)
		}
	}
	return out
}

// checkRecords asserts that got holds rec(i) for each i in want, in order, with consecutive
// sequence numbers unless gaps are expected.
func checkRecords(t testing.TB, got []Record, want []int) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d records, want %d", len(got), len(want))
	}
	for k, i := range want {
		if string(got[k].Data) != string(rec(i)) {
			t.Fatalf("record %d (seq %d) = %q, want rec(%d) = %q", k, got[k].Seq, got[k].Data, i, rec(i))
		}
		if k > 0 && got[k].Seq <= got[k-1].Seq {
			t.Fatalf("record %d: seq %d after %d", k, got[k].Seq, got[k-1].Seq)
		}
	}
}

// seq returns the ints from..to-1.
func seq(from, to int) []int {
	var s []int
	for i := from; i < to; i++ {
		s = append(s, i)
	}
	return s
}

// crashCopy copies the spool directory as it is on disk now, open or not: what a restart
// after kill -9 would find.
func crashCopy(t testing.TB, dir string) string {
	t.Helper()
	dst := t.TempDir()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.Name() == "lock" {
			continue
		}
		copyFile(t, filepath.Join(dir, e.Name()), filepath.Join(dst, e.Name()))
	}
	return dst
}

func copyFile(t testing.TB, src, dst string) {
	t.Helper()
	in, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}

// segFiles returns the names of the files in dir with the given extension, sorted.
func segFiles(t testing.TB, dir, ext string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, "*"+ext))
	if err != nil {
		t.Fatal(err)
	}
	for i := range m {
		m[i] = filepath.Base(m[i])
	}
	return m
}
