package ingest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/quantrac/quantrac"
	"github.com/quantrac/quantrac/ingest/payload"
)

// putRecord is what a store keeps of an envelope: the envelope is the worker's, reused after Put.
type putRecord struct {
	payload, station, reason string
	readings                 int
}

// concurrentStore records every Put, is told when the input is idle, and fails the Put of
// one payload.
type concurrentStore struct {
	mu     sync.Mutex
	puts   []putRecord
	idle   int
	failOn string
}

func (s *concurrentStore) Put(_ context.Context, e *quantrac.Envelope) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := putRecord{payload: string(e.Payload), reason: e.Rejection.Reason, readings: len(e.Readings)}
	if e.Station != nil {
		r.station = e.Station.ID
	}
	s.puts = append(s.puts, r)
	if string(e.Payload) == s.failOn {
		return errors.New("store closed")
	}
	return nil
}

func (s *concurrentStore) Idle() {
	s.mu.Lock()
	s.idle++
	s.mu.Unlock()
}

// countingObserver counts the readings of the envelopes it sees, from any worker.
type countingObserver struct {
	mu       sync.Mutex
	readings map[string]int
}

func (o *countingObserver) Observe(e *quantrac.Envelope) {
	o.mu.Lock()
	o.readings[e.Station.ID] += len(e.Readings)
	o.mu.Unlock()
}

// Run hands every message it takes to the store exactly once, from several workers: accepted
// ones to the observer too, refused ones with their reason; it returns once the input is
// closed and drained, with the store's error, and tells an idle store to write.
func TestPipelineRunHandsEveryMessageToTheStoreOnce(t *testing.T) {
	tmpl, err := ParseTemplate("stations/{station}/{kind}")
	if err != nil {
		t.Fatal(err)
	}
	reg, err := quantrac.NewRegistry(&quantrac.Station{ID: "A", Kind: quantrac.Air},
		&quantrac.Station{ID: "B", Kind: quantrac.Air}, &quantrac.Station{ID: "C", Kind: quantrac.Wastewater})
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	failing := fmt.Sprintf(`{"time": %d, "readings": {"pm25": 1}}`, t0.Unix())
	store, obs, mreg := &concurrentStore{failOn: failing}, &countingObserver{readings: map[string]int{}}, prometheus.NewRegistry()
	p := NewPipeline(PipelineOptions{Template: tmpl, Registry: func() *quantrac.Registry { return reg }, MaxPayloadBytes: 1 << 16,
		Limits: payload.Limits{MaxReadings: 1000, MaxFutureSkew: time.Hour, MaxAge: 30 * 24 * time.Hour},
		Store:  store, Observer: obs, Workers: 3, Registerer: mreg})

	in := make(chan Message, 16)
	done := make(chan error, 1)
	go func() { done <- p.Run(context.Background(), in) }()
	sent := map[string]bool{} // by payload: each is distinct
	send := func(topic, body string) {
		sent[body] = true
		in <- Message{Topic: topic, Payload: []byte(body), Received: t0.Add(24 * time.Hour), Ack: func() {}}
	}
	for i := range 100 {
		for k, st := range []string{"A", "B"} {
			send("stations/"+st+"/air", fmt.Sprintf(`{"time": %d, "readings": {"pm25": %d, "no2": 1}}`, t0.Unix()+int64(i)*300, 1000*k+i))
		}
	}
	send("stations/C/wastewater", `{"time": `)          // malformed
	send("stations/Z/air", `{"readings": {"pm25": 1}}`) // an unknown station
	send("stations/B/air", failing)
	close(in)
	select {
	case err := <-done:
		if err == nil || err.Error() != "store closed" {
			t.Errorf("Run returned %v, want the store's error", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after its input closed")
	}

	seen := map[string]int{}
	for _, r := range store.puts {
		seen[r.payload]++
		switch {
		case r.payload == `{"time": ` && r.reason != ResultMalformed,
			r.payload == `{"readings": {"pm25": 1}}` && (r.reason != ResultUnknownStation || r.station != ""):
			t.Errorf("refused message stored as %+v", r)
		}
	}
	for body := range sent {
		if seen[body] != 1 {
			t.Errorf("%s handed to the store %d times, want once", body, seen[body])
		}
	}
	if len(store.puts) != len(sent) {
		t.Errorf("%d puts for %d messages", len(store.puts), len(sent))
	}
	if obs.readings["A"] != 200 || obs.readings["B"] != 201 || obs.readings["C"] != 0 {
		t.Errorf("the observer saw readings %v, want A 200, B 201, C none", obs.readings)
	}
	if store.idle == 0 {
		t.Error("the store was never told the input was idle")
	}
	for result, want := range map[string]float64{ResultAccepted: 201, ResultMalformed: 1, ResultUnknownStation: 1} {
		if got := testutil.ToFloat64(p.m.messages.WithLabelValues(result)); got != want {
			t.Errorf("messages{result=%q} = %v, want %v", result, got, want)
		}
	}
}
