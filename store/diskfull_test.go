package store

import (
	"context"
	"fmt"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/quantrac/quantrac/internal/testenv"
	"github.com/quantrac/quantrac/store/spool"
)

// InfluxDB stopped and the spool's disk full for real (a 128 KiB tmpfs): what the spool took
// is acknowledged, the rest is held. Once InfluxDB is back every message is acknowledged and
// stored once, the spool is replayed to empty (metrics 0, no segment file left, accepting
// again) and a later outage is spooled again — with no restart.
func TestSinkSpoolDiskFullRecovers(t *testing.T) {
	in := testenv.InfluxDB(t, testenv.InfluxOptions{DisableFlux: true})
	in.CreateDatabase("quantrac")
	dir := filepath.Join(testenv.SmallFS(t, "128k"), "spool")
	reg := prometheus.NewRegistry()
	sp, err := spool.Open(spool.Options{Dir: dir, MaxBytes: 1 << 20, SegmentBytes: 32 << 10, Registerer: reg})
	if err != nil {
		t.Fatal(err)
	}
	defer sp.Close()
	w, err := NewWriter(WriterOptions{URL: in.URL(), Bucket: "quantrac/autogen", Timeout: time.Second}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	s := NewSink(w, SinkOptions{BatchSize: 10, FlushInterval: 20 * time.Millisecond, Spool: sp})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = s.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()

	in.Stop()
	var acked atomic.Int64
	const n = 6000 // about 210 KiB of line protocol: more than the file system holds
	for i := range n {
		if err := s.Put(ctx, envelope(i+1, false, &acked)); err != nil {
			t.Fatal(err)
		}
	}
	testenv.Eventually(t, 30*time.Second, func() (bool, string) {
		return sp.Refusal() != nil && acked.Load() > 0, fmt.Sprintf("spool refusal %v, %d acknowledged", sp.Refusal(), acked.Load())
	})
	if acked.Load() == n {
		t.Fatal("every message acknowledged though the spool's disk is full and InfluxDB stopped")
	}
	in.Start()
	testenv.Eventually(t, 60*time.Second, func() (bool, string) {
		return acked.Load() == n && sp.Len() == 0, fmt.Sprintf("%d of %d acknowledged, %d spooled records left", acked.Load(), n, sp.Len())
	})
	if got := in.Count("quantrac", "SELECT count(pm25) FROM air"); got != n {
		t.Errorf("InfluxDB holds %d points, want %d", got, n)
	}
	testenv.Eventually(t, 10*time.Second, func() (bool, string) {
		segs, _ := filepath.Glob(filepath.Join(dir, "*.seg"))
		return sp.Bytes() == 0 && len(segs) == 0 && sp.Refusal() == nil,
			fmt.Sprintf("spool bytes %d, segments %v, refusal %v", sp.Bytes(), segs, sp.Refusal())
	})
	// A later outage is spooled: acknowledged while InfluxDB is stopped.
	in.Stop()
	before := acked.Load()
	for i := range 20 {
		if err := s.Put(ctx, envelope(n+i+1, false, &acked)); err != nil {
			t.Fatal(err)
		}
	}
	testenv.Eventually(t, 20*time.Second, func() (bool, string) {
		return acked.Load() == before+20 && sp.Len() > 0, fmt.Sprintf("%d of 20 acknowledged, %d spooled", acked.Load()-before, sp.Len())
	})
}
