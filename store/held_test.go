package store

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/quantrac/quantrac"
	"github.com/quantrac/quantrac/internal/testenv"
)

// A message that can be neither written nor quarantined (real InfluxDB refuses both: its field
// and the quarantine entry's conflict with types already stored) waits alone: a good message
// of another station, held while InfluxDB was stopped, is acknowledged soon after InfluxDB is
// back, and quantrac_messages_held says which message still waits and why.
func TestHeldStationWaitsAlone(t *testing.T) {
	in := testenv.InfluxDB(t, testenv.InfluxOptions{DisableFlux: true})
	in.CreateDatabase("quantrac")
	in.Write("quantrac/autogen", `air,station=A BAD="text" 1`)                            // a float BAD is refused
	in.Write("quantrac/autogen", MeasurementRejected+`,reason=write_rejected topic=1i 1`) // so is a quarantine entry
	s, w, _ := newTestSink(t, in, 10, nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = s.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()

	var stuck, good atomic.Int64
	if err := s.Put(ctx, stationEnvelope("A", "BAD", 2, &stuck)); err != nil {
		t.Fatal(err)
	}
	rejected := func() float64 {
		return testutil.ToFloat64(w.errors.WithLabelValues(ClassRejected))
	}
	testenv.Eventually(t, 20*time.Second, func() (bool, string) {
		return rejected() >= 6, fmt.Sprintf("%v refused writes: the stuck message is not retried", rejected())
	})
	in.Stop()
	if err := s.Put(ctx, stationEnvelope("B", "pm25", 3, &good)); err != nil {
		t.Fatal(err)
	}
	retryable := func() float64 {
		return testutil.ToFloat64(w.errors.WithLabelValues(ClassRetryable))
	}
	testenv.Eventually(t, 20*time.Second, func() (bool, string) {
		return retryable() >= 3, fmt.Sprintf("%v failed writes while InfluxDB is stopped", retryable())
	})
	if good.Load() != 0 {
		t.Fatal("acknowledged while InfluxDB was stopped and there is no spool")
	}
	in.Start()
	back := time.Now()
	testenv.Eventually(t, 15*time.Second, func() (bool, string) {
		return good.Load() == 1, "station B's message not acknowledged: it waits behind station A's"
	})
	t.Logf("station B's held message acknowledged %v after InfluxDB was back", time.Since(back).Round(time.Millisecond))
	if got := in.Count("quantrac", "SELECT count(pm25) FROM air WHERE station='B'"); got != 1 {
		t.Errorf("InfluxDB holds %d points of station B, want 1", got)
	}
	testenv.Eventually(t, 15*time.Second, func() (bool, string) {
		refused, unavailable := testutil.ToFloat64(s.m.held.WithLabelValues(heldRefused)), testutil.ToFloat64(s.m.held.WithLabelValues(heldUnavailable))
		return refused == 1 && unavailable == 0, fmt.Sprintf("quantrac_messages_held refused=%v unavailable=%v, want 1 and 0", refused, unavailable)
	})
	if stuck.Load() != 0 {
		t.Error("the message neither written nor quarantined was acknowledged")
	}
}

// stationEnvelope is a one-reading message of station id.
func stationEnvelope(id, param string, i int, acked *atomic.Int64) *quantrac.Envelope {
	st := &quantrac.Station{ID: id, Kind: quantrac.Air}
	return &quantrac.Envelope{Topic: "stations/" + id + "/air", Payload: fmt.Appendf(nil, `{"n": %d}`, i), Station: st,
		Received: time.Unix(int64(i), 0),
		Readings: []quantrac.Reading{{Station: id, Kind: quantrac.Air, Param: param, Value: float64(i), Time: time.Unix(int64(i), 0), Status: "00"}},
		Ack:      func() { acked.Add(1) }}
}
