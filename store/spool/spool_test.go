package spool

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

func TestReplayInOrderAcrossSegments(t *testing.T) {
	tests := []struct {
		name         string
		segmentBytes int64
		n            int
		wantSegs     int // segment files after appending, at least
	}{
		{"one segment", 1 << 20, 50, 1},
		{"several records per segment", 400, 50, 5},
		{"one record per segment", 1, 20, 20},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := newClock()
			dir := t.TempDir()
			s := mustOpen(t, Options{Dir: dir, SegmentBytes: tt.segmentBytes, MaxBytes: 1 << 20, Now: clk.Now})
			for i := range tt.n {
				clk.Add(time.Second)
				appendN(t, s, i, 1)
			}
			if got := len(segFiles(t, dir, segExt)); got < tt.wantSegs {
				t.Errorf("%d segment files, want at least %d", got, tt.wantSegs)
			}
			if s.Len() != tt.n {
				t.Errorf("Len = %d, want %d", s.Len(), tt.n)
			}
			got := drain(t, s)
			checkRecords(t, got, seq(0, tt.n))
			start := newClock().Now()
			for i, r := range got {
				if r.Seq != uint64(i+1) {
					t.Errorf("record %d: Seq %d, want %d", i, r.Seq, i+1)
				}
				if want := start.Add(time.Duration(i+1) * time.Second); !r.Appended.Equal(want) {
					t.Errorf("record %d: Appended %v, want %v", i, r.Appended, want)
				}
			}
			if s.Len() != 0 || s.Bytes() != 0 {
				t.Errorf("after drain: Len %d, Bytes %d, want 0, 0", s.Len(), s.Bytes())
			}
			if f := segFiles(t, dir, segExt); len(f) != 0 {
				t.Errorf("segment files left after drain: %v", f)
			}
		})
	}
}

func TestSegmentsFreedAsConfirmed(t *testing.T) {
	dir := t.TempDir()
	s := mustOpen(t, Options{Dir: dir, SegmentBytes: 300, MaxBytes: 1 << 20})
	appendN(t, s, 0, 30)
	before, bytes := len(segFiles(t, dir, segExt)), s.Bytes()
	var freed bool
	for range 15 {
		r := next(t, s)
		if err := s.Confirm(r.Seq); err != nil {
			t.Fatal(err)
		}
		if s.Bytes() < bytes {
			freed = true
		}
	}
	if !freed || len(segFiles(t, dir, segExt)) >= before {
		t.Errorf("confirming half the records freed nothing: %d → %d files, %d bytes → %d",
			before, len(segFiles(t, dir, segExt)), bytes, s.Bytes())
	}
}

func TestNextRepeatsUntilConfirm(t *testing.T) {
	s := mustOpen(t, Options{})
	appendN(t, s, 0, 3)
	a, b := next(t, s), next(t, s)
	if a.Seq != b.Seq || string(a.Data) != string(b.Data) {
		t.Fatalf("second Next returned seq %d, want the unconfirmed %d again", b.Seq, a.Seq)
	}
	if err := s.Confirm(a.Seq + 1); !errors.Is(err, ErrNotHead) {
		t.Errorf("Confirm(head+1) = %v, want ErrNotHead", err)
	}
	if err := s.Confirm(a.Seq); err != nil {
		t.Fatal(err)
	}
	if err := s.Confirm(a.Seq); err != nil {
		t.Errorf("second Confirm of the same record = %v, want nil", err)
	}
	if c := next(t, s); c.Seq != a.Seq+1 || string(c.Data) != string(rec(1)) {
		t.Errorf("after Confirm: Next = seq %d %q, want seq %d %q", c.Seq, c.Data, a.Seq+1, rec(1))
	}
}

func TestNextWaitsForAppend(t *testing.T) {
	s := mustOpen(t, Options{})
	got := make(chan Record, 1)
	go func() {
		r, err := s.Next(context.Background())
		if err != nil {
			t.Error(err)
		}
		got <- r
	}()
	appendN(t, s, 0, 1)
	select {
	case r := <-got:
		if string(r.Data) != string(rec(0)) {
			t.Errorf("Next = %q, want %q", r.Data, rec(0))
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Next did not return after Append")
	}
}

func TestNextStopsOnContextAndClose(t *testing.T) {
	s := mustOpen(t, Options{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.Next(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Next(cancelled) = %v, want context.Canceled", err)
	}
	errc := make(chan error, 1)
	go func() {
		_, err := s.Next(context.Background())
		errc <- err
	}()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-errc; !errors.Is(err, ErrClosed) {
		t.Errorf("Next during Close = %v, want ErrClosed", err)
	}
	if err := s.Append(rec(0)); !errors.Is(err, ErrClosed) {
		t.Errorf("Append after Close = %v, want ErrClosed", err)
	}
	if err := s.Close(); !errors.Is(err, ErrClosed) {
		t.Errorf("second Close = %v, want ErrClosed", err)
	}
}

func TestRestart(t *testing.T) {
	tests := []struct {
		name      string
		appended  int
		confirmed int
		crash     bool // copy the files instead of closing: kill -9
	}{
		{"closed mid-replay", 40, 17, false},
		{"crashed mid-replay", 40, 17, true},
		{"crashed before replay", 40, 0, true},
		{"closed after full replay", 40, 40, false},
		{"crashed after full replay", 40, 40, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			s := mustOpen(t, Options{Dir: dir, SegmentBytes: 500})
			appendN(t, s, 0, tt.appended)
			for range tt.confirmed {
				if err := s.Confirm(next(t, s).Seq); err != nil {
					t.Fatal(err)
				}
			}
			if tt.crash {
				dir = crashCopy(t, dir)
			} else if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			s2 := mustOpen(t, Options{Dir: dir, SegmentBytes: 500})
			if s2.Len() != tt.appended-tt.confirmed {
				t.Errorf("Len after restart = %d, want %d", s2.Len(), tt.appended-tt.confirmed)
			}
			appendN(t, s2, tt.appended, 5)
			got := drain(t, s2)
			checkRecords(t, got, seq(tt.confirmed, tt.appended+5))
			if first := got[0].Seq; first != uint64(tt.confirmed+1) {
				t.Errorf("first seq after restart %d, want %d: sequence numbers must continue", first, tt.confirmed+1)
			}
		})
	}
}

func TestInvalidCheckpointReDelivers(t *testing.T) {
	dir := t.TempDir()
	s := mustOpen(t, Options{Dir: dir})
	appendN(t, s, 0, 10)
	for range 4 {
		if err := s.Confirm(next(t, s).Seq); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()
	if err := os.WriteFile(filepath.Join(dir, checkpointName), []byte("garbage"), 0o640); err != nil {
		t.Fatal(err)
	}
	s2 := mustOpen(t, Options{Dir: dir})
	checkRecords(t, drain(t, s2), seq(0, 10))
	if s2.corrupt != 1 {
		t.Errorf("corrupt = %d, want 1", s2.corrupt)
	}
}

func TestErrFull(t *testing.T) {
	const maxBytes = 2000
	dir := t.TempDir()
	s := mustOpen(t, Options{Dir: dir, MaxBytes: maxBytes, SegmentBytes: 500})
	n := 0
	for ; ; n++ {
		err := s.Append(rec(n))
		if errors.Is(err, ErrFull) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if n > maxBytes {
			t.Fatal("never full")
		}
	}
	if s.Bytes() > maxBytes || s.Bytes()+frameSize(len(rec(n))) <= maxBytes {
		t.Errorf("full at %d bytes with a %d-byte frame, MaxBytes %d", s.Bytes(), frameSize(len(rec(n))), maxBytes)
	}
	if s.Len() != n {
		t.Errorf("Len = %d after ErrFull, want %d: the refused record must not count", s.Len(), n)
	}
	if err := s.Append(rec(n)); !errors.Is(err, ErrFull) {
		t.Fatalf("Append when full = %v, want ErrFull", err)
	}
	// Confirm until a segment is freed, then the refused record fits.
	for errors.Is(s.Append(rec(n)), ErrFull) {
		if s.Len() == 0 {
			t.Fatal("spool empty and still full")
		}
		if err := s.Confirm(next(t, s).Seq); err != nil {
			t.Fatal(err)
		}
	}
	var got []Record
	for s.Len() > 0 {
		r := next(t, s)
		got = append(got, r)
		if err := s.Confirm(r.Seq); err != nil {
			t.Fatal(err)
		}
	}
	if last := got[len(got)-1]; string(last.Data) != string(rec(n)) {
		t.Errorf("last record %q, want the once refused %q", last.Data, rec(n))
	}
}

func TestErrTooLarge(t *testing.T) {
	s := mustOpen(t, Options{MaxBytes: 1000})
	if err := s.Append(make([]byte, 1000)); !errors.Is(err, ErrTooLarge) {
		t.Errorf("Append(MaxBytes) = %v, want ErrTooLarge", err)
	}
	if err := s.Append(make([]byte, 1000-headerSize)); err != nil {
		t.Errorf("Append(MaxBytes-header) = %v, want nil", err)
	}
}

func TestOpenValidatesAndLocks(t *testing.T) {
	dir := t.TempDir()
	for _, o := range []Options{
		{},
		{Dir: dir, MaxBytes: -1},
		{Dir: dir, MaxBytes: 100, SegmentBytes: 200},
		{Dir: dir, CheckpointSyncBytes: -1},
	} {
		if s, err := Open(o); err == nil {
			s.Close()
			t.Errorf("Open(%+v) succeeded, want an error", o)
		}
	}
	mustOpen(t, Options{Dir: dir})
	if s, err := Open(Options{Dir: dir}); err == nil {
		s.Close()
		t.Error("second Open of the same directory succeeded, want an error")
	}
}

func TestConcurrentAppenders(t *testing.T) {
	const writers, each = 8, 150
	s := mustOpen(t, Options{SegmentBytes: 4096})
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				if err := s.Append(fmt.Appendf(nil, "%d %d", w, i)); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	// Consume while appending.
	last := make([]int, writers)
	for i := range last {
		last[i] = -1
	}
	for n := 0; n < writers*each; n++ {
		r := next(t, s)
		var w, i int
		if _, err := fmt.Sscanf(string(r.Data), "%d %d", &w, &i); err != nil {
			t.Fatalf("record %q: %v", r.Data, err)
		}
		if i != last[w]+1 {
			t.Fatalf("writer %d: record %d after %d", w, i, last[w])
		}
		last[w] = i
		if err := s.Confirm(r.Seq); err != nil {
			t.Fatal(err)
		}
	}
	wg.Wait()
	if s.Len() != 0 || s.Bytes() != 0 {
		t.Errorf("Len %d, Bytes %d after all confirmed", s.Len(), s.Bytes())
	}
}

func TestGroupCommit(t *testing.T) {
	const writers = 8
	s := mustOpen(t, Options{})
	entered, release := make(chan struct{}), make(chan struct{})
	first := true
	s.hookW = func() { // only ever called by one leader at a time
		if first {
			first = false
			close(entered)
			<-release
		}
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := s.Append(rec(0)); err != nil {
			t.Error(err)
		}
	})
	<-entered // the first leader is writing; the others queue behind it
	for i := 1; i < writers; i++ {
		wg.Go(func() {
			if err := s.Append(rec(i)); err != nil {
				t.Error(err)
			}
		})
	}
	deadline := time.Now().Add(10 * time.Second)
	for s.Len() < writers {
		if time.Now().After(deadline) {
			t.Fatalf("only %d appends queued", s.Len())
		}
		time.Sleep(time.Millisecond)
	}
	close(release)
	wg.Wait()
	s.mu.Lock()
	flushes := s.flushes
	s.mu.Unlock()
	if flushes != 2 {
		t.Errorf("%d appends took %d flushes, want 2: the %d queued ones share one", writers, flushes, writers-1)
	}
	if got := len(drain(t, s)); got != writers {
		t.Errorf("replayed %d records, want %d", got, writers)
	}
}

func TestCloseWritesQueuedAppends(t *testing.T) {
	const writers = 4
	dir := t.TempDir()
	s := mustOpen(t, Options{Dir: dir})
	entered, release := make(chan struct{}), make(chan struct{})
	first := true
	s.hookW = func() {
		if first {
			first = false
			close(entered)
			<-release
		}
	}
	var wg sync.WaitGroup
	for i := range writers {
		wg.Go(func() {
			if err := s.Append(rec(i)); err != nil {
				t.Errorf("Append(%d) = %v, want nil: Close must write what was queued", i, err)
			}
		})
		if i == 0 {
			<-entered
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for s.Len() < writers && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	closed := make(chan error)
	go func() { closed <- s.Close() }()
	close(release)
	if err := <-closed; err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	s2 := mustOpen(t, Options{Dir: dir})
	if got := len(drain(t, s2)); got != writers {
		t.Errorf("%d records after reopening, want %d", got, writers)
	}
}

// A failed write (here the leader's file is closed under it) refuses the records of that write
// only: nothing of them stays, the next Append writes again, and the spool says meanwhile that
// it cannot accept.
func TestFailedWriteIsUndone(t *testing.T) {
	dir := t.TempDir()
	s := mustOpen(t, Options{Dir: dir})
	appendN(t, s, 0, 3)
	s.hookW = func() {
		s.hookW = nil
		s.w.Close() // the leader's write now fails
	}
	if err := s.Append(rec(3)); err == nil {
		t.Fatal("Append with a failing write = nil, want an error")
	}
	if s.Refusal() == nil {
		t.Error("Refusal after a failed write = nil, want the write error")
	}
	if s.Len() != 3 {
		t.Errorf("Len after a failed write = %d, want the 3 durable records", s.Len())
	}
	appendN(t, s, 4, 1)
	if err := s.Refusal(); err != nil {
		t.Errorf("Refusal after a successful write = %v, want nil", err)
	}
	checkRecords(t, drain(t, s), []int{0, 1, 2, 4})
	if s.Len() != 0 || s.Bytes() != 0 {
		t.Errorf("drained spool: Len %d, Bytes %d; want 0 and 0", s.Len(), s.Bytes())
	}
	s.Close()
	s2 := mustOpen(t, Options{Dir: dir})
	appendN(t, s2, 5, 1)
	checkRecords(t, drain(t, s2), []int{5})
}

// The head record is confirmed while a write is in progress (its segment cannot go yet), and
// that write fails: the next record goes to a new segment, and the replay moves on to it
// without taking the emptied segment for a damaged one.
func TestFailedWriteAfterLastConfirm(t *testing.T) {
	dir := t.TempDir()
	s := mustOpen(t, Options{Dir: dir})
	appendN(t, s, 0, 1)
	r := next(t, s)
	entered, release := make(chan struct{}), make(chan struct{})
	s.hookW = func() {
		s.hookW = nil
		s.w.Close() // this write fails
		close(entered)
		<-release
	}
	failed := make(chan error)
	go func() { failed <- s.Append(rec(1)) }()
	<-entered
	if err := s.Confirm(r.Seq); err != nil {
		t.Fatal(err)
	}
	close(release)
	if err := <-failed; err == nil {
		t.Fatal("Append with a failing write = nil")
	}
	appendN(t, s, 2, 1)
	checkRecords(t, drain(t, s), []int{2})
	s.mu.Lock()
	corrupt := s.corrupt
	s.mu.Unlock()
	if files := segFiles(t, dir, corruptExt); corrupt != 0 || len(files) != 0 {
		t.Errorf("an emptied segment taken for damage: %d corrupt regions, %v kept", corrupt, files)
	}
	if segs := segFiles(t, dir, segExt); len(segs) != 0 || s.Bytes() != 0 {
		t.Errorf("segments %v (%d bytes) left after the replay", segs, s.Bytes())
	}
}
