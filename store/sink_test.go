package store

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/quantrac/quantrac/internal/testenv"
)

func newTestSink(t *testing.T, in *testenv.Influx, batch int, spool Spool) (*Sink, *Writer, *prometheus.Registry) {
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
		line := fmt.Sprintf("air,station=S pm25=%d %d\n", i, int64(i)*int64(time.Second))
		ack := func() {
			acked.Add(1)
		}
		if err := s.Put(context.Background(), Batch{Lines: []byte(line), Points: 1, Ack: ack}); err != nil {
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
	if got := testutil.ToFloat64(s.pendingPoints); got != 0 {
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
	var acked atomic.Int64
	ack := func() { acked.Add(1) }
	put := func(line string) {
		if err := s.Put(context.Background(), Batch{Lines: []byte(line), Points: 1, Ack: ack, Topic: "stations/S/air", Station: "S"}); err != nil {
			t.Fatal(err)
		}
	}
	put("air,station=S pm25=2 2\n")
	put("air,station=S pm25=\"text\" 3\n") // type conflict: pm25 is a float field
	put("air,station=S pm25=4 4\n")
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
	if got := testutil.ToFloat64(s.quarantined); got != 1 {
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
		line := fmt.Sprintf("air,station=S pm25=%d %d\n", i, i+1)
		_ = s.Put(context.Background(), Batch{Lines: []byte(line), Points: 1, Ack: func() { acked.Add(1) }})
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
