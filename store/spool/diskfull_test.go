package spool

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/quantrac/quantrac/internal/testenv"
)

// The disk fills for real (a 256 KiB tmpfs): the Append that meets ENOSPC is refused and the
// spool says it cannot accept. Space returns in both ways it can: the spool's own segments
// deleted once replayed (then its metrics are back to 0 and no segment file is left), or
// another file removed. Each time the spool takes data again, and every record it accepted is
// replayed once, in order.
func TestDiskFullThenSpaceReturns(t *testing.T) {
	fs := testenv.SmallFS(t, "256k")
	ballast := filepath.Join(fs, "ballast")
	if err := os.WriteFile(ballast, make([]byte, 64<<10), 0o600); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(fs, "spool")
	reg := prometheus.NewRegistry()
	s := mustOpen(t, Options{Dir: dir, MaxBytes: 1 << 20, SegmentBytes: 32 << 10, Registerer: reg})
	defer s.Close()
	n := 0
	record := func() []byte { n++; return fmt.Appendf(nil, "air,station=S pm25=%d %0*d\n", n, 3000, n) }

	accepted := fillUntilFull(t, s, record)
	checkFull(t, s, reg)
	// Replay: the segments go, and with them the data that filled the disk.
	checkData(t, drain(t, s), accepted)
	if got := gauge(t, reg, "quantrac_spool_records") + gauge(t, reg, "quantrac_spool_bytes"); got != 0 {
		t.Errorf("quantrac_spool_records + quantrac_spool_bytes = %v after the replay, want 0", got)
	}
	if segs := segFiles(t, dir, segExt); len(segs) != 0 {
		t.Errorf("segment files %v left after the replay: the disk stays full", segs)
	}
	if got := gauge(t, reg, "quantrac_spool_accepting"); got != 1 {
		t.Errorf("quantrac_spool_accepting = %v once the replay freed the disk, want 1 before any write", got)
	}
	accepted = fillUntilFull(t, s, record)
	checkFull(t, s, reg)
	// Space returns from elsewhere: the next Append is written, without a restart.
	if err := os.Remove(ballast); err != nil {
		t.Fatal(err)
	}
	last := record()
	if err := s.Append(last); err != nil {
		t.Fatalf("Append once space returned = %v, want nil", err)
	}
	if got := gauge(t, reg, "quantrac_spool_accepting"); got != 1 {
		t.Errorf("quantrac_spool_accepting = %v once a write succeeded again, want 1", got)
	}
	checkData(t, drain(t, s), append(accepted, last))
}

// fillUntilFull appends records until the disk is full, and returns those accepted.
func fillUntilFull(t *testing.T, s *Spool, record func() []byte) [][]byte {
	t.Helper()
	var accepted [][]byte
	for range 1000 {
		r := record()
		err := s.Append(r)
		if err == nil {
			accepted = append(accepted, r)
			continue
		}
		if !errors.Is(err, syscall.ENOSPC) {
			t.Fatalf("Append on a full disk = %v, want ENOSPC", err)
		}
		if len(accepted) == 0 {
			t.Fatal("the disk was full before any record was accepted")
		}
		return accepted
	}
	t.Fatal("a 256 KiB file system never filled")
	return nil
}

// checkFull checks what a spool on a full disk says, and that it still refuses data.
func checkFull(t *testing.T, s *Spool, reg *prometheus.Registry) {
	t.Helper()
	if s.Refusal() == nil {
		t.Error("Refusal on a full disk = nil")
	}
	if got := gauge(t, reg, "quantrac_spool_accepting"); got != 0 {
		t.Errorf("quantrac_spool_accepting = %v on a full disk, want 0", got)
	}
	before := s.Len()
	if err := s.Append(make([]byte, 8<<10)); !errors.Is(err, syscall.ENOSPC) {
		t.Errorf("Append on a still full disk = %v, want ENOSPC", err)
	}
	if s.Len() != before {
		t.Errorf("a refused Append changed Len from %d to %d", before, s.Len())
	}
}

// checkData checks that got holds exactly want, in order.
func checkData(t *testing.T, got []Record, want [][]byte) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("replayed %d records, want the %d accepted", len(got), len(want))
	}
	for i := range got {
		if string(got[i].Data) != string(want[i]) {
			t.Fatalf("record %d = %.40q, want %.40q", i, got[i].Data, want[i])
		}
	}
}

// gauge reads the value of an unlabelled metric from reg.
func gauge(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name {
			return mf.GetMetric()[0].GetGauge().GetValue()
		}
	}
	t.Fatalf("no metric %s", name)
	return 0
}

// Concurrent Appends on a disk that fills and empties again (a consumer replays meanwhile):
// every Append that returned nil is replayed exactly once, and no Append that was refused is
// ever replayed, although sequence numbers of refused records are given out again.
func TestDiskFullConcurrentAppends(t *testing.T) {
	dir := filepath.Join(testenv.SmallFS(t, "256k"), "spool")
	s := mustOpen(t, Options{Dir: dir, MaxBytes: 1 << 20, SegmentBytes: 16 << 10})
	defer s.Close()
	const writers, each = 4, 150
	accepted := make(chan string, writers*each)
	refusals := make(chan string, writers*each*100)
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i, attempt := 0, 0; i < each; attempt++ {
				r := fmt.Sprintf("w%d r%d a%d %03000d\n", w, i, attempt, 0)
				switch err := s.Append([]byte(r)); {
				case err == nil:
					accepted <- r
					i++
				case errors.Is(err, syscall.ENOSPC):
					refusals <- r
				default:
					t.Errorf("Append = %v, want nil or ENOSPC", err)
					return
				}
			}
		})
	}
	replayed := map[string]int{}
	stop := make(chan struct{})
	consumed := make(chan struct{})
	go func() {
		defer close(consumed)
		for {
			ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
			r, err := s.Next(ctx)
			cancel()
			if err != nil {
				select {
				case <-stop:
					return
				default:
					continue
				}
			}
			replayed[string(r.Data)]++
			if err := s.Confirm(r.Seq); err != nil {
				t.Errorf("Confirm: %v", err)
			}
		}
	}()
	wg.Wait()
	testenv.Eventually(t, 10*time.Second, func() (bool, string) { return s.Len() == 0, fmt.Sprintf("%d records left", s.Len()) })
	close(stop)
	<-consumed
	close(accepted)
	close(refusals)
	for r := range accepted {
		if replayed[r] != 1 {
			t.Errorf("accepted record %.12q replayed %d times, want once", r, replayed[r])
		}
	}
	n := 0
	for r := range refusals {
		n++
		if replayed[r] != 0 {
			t.Errorf("refused record %.12q replayed %d times, want never", r, replayed[r])
		}
	}
	if n == 0 {
		t.Error("the disk never filled: the test proves nothing")
	}
	s.mu.Lock()
	corrupt := s.corrupt
	s.mu.Unlock()
	if files := segFiles(t, dir, corruptExt); corrupt != 0 || len(files) != 0 {
		t.Errorf("a full disk is not damage: %d corrupt regions counted, %v kept", corrupt, files)
	}
	t.Logf("%d appends refused for want of space", n)
}
