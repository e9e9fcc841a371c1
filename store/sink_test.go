package store

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/quantrac/quantrac/internal/testenv"
	"github.com/quantrac/quantrac/store/spool"
)

func newTestSink(t *testing.T, in *testenv.Influx, batch int, spool Spool) (*Sink, *InfluxWriter, *prometheus.Registry) {
	t.Helper()
	reg := prometheus.NewRegistry()
	w, err := NewWriter(WriterOptions{URL: in.URL(), Bucket: "quantrac/autogen", Timeout: 5 * time.Second}, reg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Close)
	return NewSink(w, SinkOptions{BatchSize: batch, FlushInterval: 50 * time.Millisecond, Spool: spool, Registerer: reg}), w, reg
}

func run(t *testing.T, s *Sink) (stop func()) {
	done := make(chan struct{})
	go func() { _ = s.Run(context.Background()); close(done) }()
	return func() { s.Close(); <-done }
}

// Every message is acknowledged exactly once, only after its points are queryable.
func TestSinkAcksAfterWrite(t *testing.T) {
	in := testenv.InfluxDB(t, testenv.InfluxOptions{DisableFlux: true}) // the store never queries with Flux; it starts 4x faster
	in.CreateDatabase("quantrac")
	s, _, reg := newTestSink(t, in, 100, nil)
	stop := run(t, s)
	var acked atomic.Int64
	const n = 1000
	for i := range n {
		if err := s.Put(context.Background(), envelope(i+1, false, &acked)); err != nil {
			t.Fatal(err)
		}
	}
	stop()
	if acked.Load() != n {
		t.Fatalf("acked %d of %d", acked.Load(), n)
	}
	if got := in.Count("quantrac", "SELECT count(pm25) FROM air"); got != n {
		t.Errorf("InfluxDB holds %d points, want %d", got, n)
	}
	if got := testutil.ToFloat64(s.m.pendingPoints); got != 0 {
		t.Errorf("pending points = %v after flush", got)
	}
	_ = reg
}

// A message InfluxDB refuses for good (field type conflict) is quarantined without blocking
// the others of its batch.
func TestSinkQuarantinesRefusedMessage(t *testing.T) {
	in := testenv.InfluxDB(t, testenv.InfluxOptions{DisableFlux: true}) // the store never queries with Flux; it starts 4x faster
	in.CreateDatabase("quantrac")
	in.Write("quantrac/autogen", `air,station=S pm25=1 1`)
	s, _, _ := newTestSink(t, in, 10, nil)
	stop := run(t, s)
	in.Write("quantrac/autogen", `air,station=S BAD="text" 1`) // BAD is a string field: a float is a type conflict
	var acked atomic.Int64
	for i, bad := range []bool{false, true, false} {
		if err := s.Put(context.Background(), envelope(i+2, bad, &acked)); err != nil {
			t.Fatal(err)
		}
	}
	stop()
	if acked.Load() != 3 {
		t.Errorf("acked %d of 3", acked.Load())
	}
	if got := in.Count("quantrac", "SELECT count(pm25) FROM air"); got != 3 {
		t.Errorf("air holds %d points, want 3 (1 seeded + 2 good)", got)
	}
	if got := in.Count("quantrac", `SELECT count(payload) FROM rejected_messages WHERE reason='write_rejected'`); got != 1 {
		t.Errorf("rejected_messages holds %d write_rejected entries, want 1", got)
	}
	if n := in.Count("quantrac", `SELECT count(payload) FROM rejected_messages WHERE reason='write_rejected' AND payload = '{"n": 3}'`); n != 1 {
		t.Errorf("the quarantine entry does not hold the message's payload")
	}
	if got := testutil.ToFloat64(s.m.quarantinedPoints); got != 1 {
		t.Errorf("quarantined = %v", got)
	}
}

// With InfluxDB unreachable and no spool, nothing is acknowledged; once it is back,
// everything is written and acknowledged.
func TestSinkHoldsAcksWhileInfluxDown(t *testing.T) {
	in := testenv.InfluxDB(t, testenv.InfluxOptions{DisableFlux: true}) // the store never queries with Flux; it starts 4x faster
	in.CreateDatabase("quantrac")
	s, _, _ := newTestSink(t, in, 10, nil)
	stop := run(t, s)
	in.Stop()
	var acked atomic.Int64
	for i := range 5 {
		_ = s.Put(context.Background(), envelope(i+1, false, &acked))
	}
	time.Sleep(500 * time.Millisecond) // several flush intervals: nothing may be acknowledged
	if acked.Load() != 0 {
		t.Fatalf("acknowledged %d messages while InfluxDB was down", acked.Load())
	}
	in.Start()
	testenv.Eventually(t, 30*time.Second, func() (bool, string) {
		return acked.Load() == 5, fmt.Sprintf("acked %d of 5", acked.Load())
	})
	stop()
	if got := in.Count("quantrac", "SELECT count(pm25) FROM air"); got != 5 {
		t.Errorf("InfluxDB holds %d points, want 5", got)
	}
}

// InfluxDB answering 503 with no spool configured: nothing is acknowledged, and nothing is
// lost once it recovers — every message is then written once and acknowledged. (The 503
// comes from a fault proxy in front of the real InfluxDB.)
func TestSinkInflux503NoSpool(t *testing.T) {
	in := testenv.InfluxDB(t, testenv.InfluxOptions{DisableFlux: true})
	in.CreateDatabase("quantrac")
	proxy := testenv.NewFaultProxy(t, in.URL())
	var refused atomic.Int64
	proxy.Intercept(func(w http.ResponseWriter, r *http.Request, _ []byte) bool {
		if r.URL.Path != "/api/v2/write" {
			return false
		}
		refused.Add(1)
		w.Header().Set("Retry-After", "0")
		http.Error(w, `{"code":"unavailable","message":"overloaded"}`, http.StatusServiceUnavailable)
		return true
	})
	w, err := NewWriter(WriterOptions{URL: proxy.URL(), Bucket: "quantrac/autogen", Timeout: 5 * time.Second}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	s := NewSink(w, SinkOptions{BatchSize: 50, FlushInterval: 20 * time.Millisecond})
	stop := run(t, s)
	var acked atomic.Int64
	const n = 300
	for i := range n {
		if err := s.Put(context.Background(), envelope(i+1, false, &acked)); err != nil {
			t.Fatal(err)
		}
	}
	testenv.Eventually(t, 20*time.Second, func() (bool, string) {
		return refused.Load() >= 10, fmt.Sprintf("%d writes refused", refused.Load())
	})
	if got := acked.Load(); got != 0 {
		t.Fatalf("acknowledged %d messages while InfluxDB answered 503 and there is no spool", got)
	}
	proxy.Intercept(nil)
	testenv.Eventually(t, 30*time.Second, func() (bool, string) {
		return acked.Load() == n, fmt.Sprintf("acknowledged %d of %d", acked.Load(), n)
	})
	stop()
	if got := in.Count("quantrac", "SELECT count(pm25) FROM air"); got != n {
		t.Errorf("InfluxDB holds %d points, want %d", got, n)
	}
	if got := testutil.ToFloat64(s.m.durable) + testutil.ToFloat64(s.m.pendingReadings); got != n {
		t.Errorf("durable + pending = %v, want %d", got, n)
	}
}

// One 429 with Retry-After: 3600 while the spool is replayed at start must not stop the
// replay for an hour: quantrac waits MaxRetryAfter, then writes. (The 429 comes from a fault
// proxy in front of the real InfluxDB, which is healthy all along.)
func TestSpoolReplayCapsRetryAfter(t *testing.T) {
	in := testenv.InfluxDB(t, testenv.InfluxOptions{DisableFlux: true})
	in.CreateDatabase("quantrac")
	sp, err := spool.Open(spool.Options{Dir: t.TempDir(), MaxBytes: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	defer sp.Close()
	if err := sp.Append([]byte("air,station=S pm25=7 1000000000\n")); err != nil {
		t.Fatal(err)
	}
	proxy := testenv.NewFaultProxy(t, in.URL())
	var mu sync.Mutex
	var writes []time.Time
	proxy.Intercept(func(w http.ResponseWriter, r *http.Request, _ []byte) bool {
		if r.URL.Path != "/api/v2/write" {
			return false
		}
		mu.Lock()
		defer mu.Unlock()
		writes = append(writes, time.Now())
		if len(writes) > 1 {
			return false
		}
		w.Header().Set("Retry-After", "3600")
		http.Error(w, `{"code":"too many requests","message":"slow down"}`, http.StatusTooManyRequests)
		return true
	})
	w, err := NewWriter(WriterOptions{URL: proxy.URL(), Bucket: "quantrac/autogen", Timeout: 5 * time.Second}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	stop := run(t, NewSink(w, SinkOptions{Spool: sp}))
	defer stop()
	testenv.Eventually(t, MaxRetryAfter+15*time.Second, func() (bool, string) {
		return sp.Len() == 0, fmt.Sprintf("%d spooled records left", sp.Len())
	})
	if got := in.Count("quantrac", "SELECT count(pm25) FROM air"); got != 1 {
		t.Errorf("InfluxDB holds %d points, want the 1 spooled", got)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(writes) < 2 {
		t.Fatalf("%d writes", len(writes))
	}
	if gap := writes[1].Sub(writes[0]); gap < MaxRetryAfter-time.Second {
		t.Errorf("retried %v after a 429 asking for an hour; want the Retry-After honoured up to %v", gap, MaxRetryAfter)
	}
}
