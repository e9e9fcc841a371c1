package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/quantrac/quantrac"
	"github.com/quantrac/quantrac/internal/testenv"
	"github.com/quantrac/quantrac/store/spool"
)

// Every row of the decision table (decide's doc comment).
func TestDecideEveryRow(t *testing.T) {
	// Every pair of outcomes, written out: the message's points (data) and its quarantine
	// entry (quarantine) → the message's fate.
	rows := []struct {
		data, quarantine Outcome
		want             Fate
	}{
		{NotTried, NotTried, Held}, {NotTried, Written, Held}, {NotTried, Spooled, Held}, {NotTried, Refused, Held}, {NotTried, Failed, Held},
		{Written, NotTried, Durable}, {Written, Written, Durable}, {Written, Spooled, Durable}, {Written, Refused, Durable}, {Written, Failed, Durable},
		{Spooled, NotTried, Durable}, {Spooled, Written, Durable}, {Spooled, Spooled, Durable}, {Spooled, Refused, Durable}, {Spooled, Failed, Durable},
		{Refused, NotTried, Held}, {Refused, Written, Quarantined}, {Refused, Spooled, Quarantined}, {Refused, Refused, Held}, {Refused, Failed, Held},
		{Failed, NotTried, Held}, {Failed, Written, Held}, {Failed, Spooled, Held}, {Failed, Refused, Held}, {Failed, Failed, Held},
	}
	for _, r := range rows {
		if got := decide(r.data, r.quarantine); got != r.want {
			t.Errorf("decide(%s, %s) = %s, want %s", r.data, r.quarantine, got, r.want)
		}
	}
}

// fakeWriter is a fake at the LineWriter interface (the real one needs InfluxDB in a state it
// cannot be brought into on demand): answer decides the error for each body, and the lines of
// every body it accepts are recorded.
type fakeWriter struct {
	mu      sync.Mutex
	answer  func(body []byte) error
	written []string
	calls   map[string]int // calls per body containing a marker, see count
}

func (w *fakeWriter) Write(_ context.Context, body []byte, _ int) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.calls == nil {
		w.calls = map[string]int{}
	}
	w.calls["*"]++
	for _, m := range []string{"BAD", "rejected_messages"} {
		if bytes.Contains(body, []byte(m)) {
			w.calls[m]++
		}
	}
	if err := w.answer(body); err != nil {
		return err
	}
	for l := range bytes.Lines(body) {
		w.written = append(w.written, string(l))
	}
	return nil
}

// count is how many writes so far held marker ("*": all writes).
func (w *fakeWriter) count(marker string) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.calls[marker]
}

func (w *fakeWriter) has(prefix string) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := 0
	for _, l := range w.written {
		if strings.HasPrefix(l, prefix) {
			n++
		}
	}
	return n
}

var (
	errRetry  = &WriteError{Class: ClassRetryable, Status: 503, Err: errors.New("unavailable")}
	errRefuse = &WriteError{Class: ClassRejected, Status: 400, Err: errors.New("field type conflict")}
)

// fullSpool is a fake Spool that never has room (a real one would need filling first).
type fullSpool struct{}

func (fullSpool) Append([]byte) error { return spool.ErrFull }
func (fullSpool) Next(ctx context.Context) (spool.Record, error) {
	<-ctx.Done()
	return spool.Record{}, ctx.Err()
}
func (fullSpool) Confirm(uint64) error { return nil }

var fateStation = &quantrac.Station{ID: "S", Kind: quantrac.Air}

// envelope is a one-reading message; bad marks its reading so that the fake refuses it.
func envelope(i int, bad bool, acked *atomic.Int64) *quantrac.Envelope {
	p := "pm25"
	if bad {
		p = "BAD"
	}
	return &quantrac.Envelope{Topic: "stations/S/air", Payload: fmt.Appendf(nil, `{"n": %d}`, i), Station: fateStation,
		Received: time.Unix(int64(i), 0),
		Readings: []quantrac.Reading{{Station: "S", Kind: quantrac.Air, Param: p, Value: float64(i), Time: time.Unix(int64(i), 0), Status: "00"}},
		Ack:      func() { acked.Add(1) }}
}

// A good and a bad message in one batch, for every way the bad one's data and quarantine
// entry can fare. InfluxDB being unavailable concerns the whole batch; a refusal only the bad
// message, and the good one is then written and acknowledged all the same. The bad one is
// acknowledged only when the table says durable or quarantined, and the metrics say which.
func TestSinkFateOfARefusedBatch(t *testing.T) {
	tests := []struct {
		name        string
		data, quar  error // the fake's answer to the bad message's data and to a quarantine entry
		spool       string
		wantAcked   int64
		wantDurable float64 // readings
		wantQuar    float64 // readings
		goodWritten int     // times the good message's point reached InfluxDB
	}{
		{"data written", nil, nil, "", 2, 2, 0, 1},
		{"data unavailable, spooled", errRetry, nil, "real", 2, 2, 0, 0},
		{"data unavailable, no spool", errRetry, nil, "", 0, 0, 0, 0},
		{"data unavailable, spool full", errRetry, nil, "full", 0, 0, 0, 0},
		{"refused, quarantine written", errRefuse, nil, "", 2, 1, 1, 1},
		{"refused, quarantine unavailable, spooled", errRefuse, errRetry, "real", 2, 1, 1, 1},
		{"refused, quarantine unavailable, no spool", errRefuse, errRetry, "", 1, 1, 0, 1},
		{"refused, quarantine unavailable, spool full", errRefuse, errRetry, "full", 1, 1, 0, 1},
		{"refused, quarantine refused", errRefuse, errRefuse, "real", 1, 1, 0, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := &fakeWriter{answer: func(body []byte) error {
				switch {
				case bytes.HasPrefix(body, []byte(MeasurementRejected)):
					return tt.quar
				case bytes.Contains(body, []byte("BAD")):
					return tt.data
				}
				return nil
			}}
			var sp Spool
			switch tt.spool {
			case "real":
				s, err := spool.Open(spool.Options{Dir: t.TempDir(), MaxBytes: 1 << 20})
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { _ = s.Close() })
				sp = &noReplay{s}
			case "full":
				sp = fullSpool{}
			}
			s := NewSink(w, SinkOptions{BatchSize: 100, FlushInterval: time.Hour, Spool: sp})
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan struct{})
			go func() { _ = s.Run(ctx); close(done) }()
			var acked atomic.Int64
			for i, bad := range []bool{false, true} {
				if err := s.Put(ctx, envelope(i, bad, &acked)); err != nil {
					t.Fatal(err)
				}
			}
			s.Close()
			// A held message is retried: wait for the retries, not for a time.
			testenv.Eventually(t, 10*time.Second, func() (bool, string) {
				return acked.Load() == tt.wantAcked && (tt.wantAcked == 2 || w.count("BAD") >= 3),
					fmt.Sprintf("%d acknowledged, %d writes of the bad message", acked.Load(), w.count("BAD"))
			})
			cancel()
			<-done
			if got := acked.Load(); got != tt.wantAcked {
				t.Errorf("acknowledged %d messages, want %d", got, tt.wantAcked)
			}
			if got := testutil.ToFloat64(s.m.durable); got != tt.wantDurable {
				t.Errorf("durable readings %v, want %v", got, tt.wantDurable)
			}
			if got := testutil.ToFloat64(s.m.quarantinedReadings); got != tt.wantQuar {
				t.Errorf("quarantined readings %v, want %v", got, tt.wantQuar)
			}
			pending := testutil.ToFloat64(s.m.pendingReadings)
			if got := testutil.ToFloat64(s.m.durable) + testutil.ToFloat64(s.m.quarantinedReadings) + pending; got != 2 {
				t.Errorf("durable + quarantined + pending = %v readings, want the 2 put", got)
			}
			if got := w.has("air,station=S pm25=0"); got != tt.goodWritten {
				t.Errorf("the good message's point was written %d times, want %d", got, tt.goodWritten)
			}
		})
	}
}

// noReplay hides a real spool's records from the sink's replayer, so that what the sink
// spooled stays there for the test to see.
type noReplay struct{ *spool.Spool }

func (n *noReplay) Next(ctx context.Context) (spool.Record, error) {
	<-ctx.Done()
	return spool.Record{}, ctx.Err()
}

// A held message is acknowledged as soon as InfluxDB takes it: nothing is lost while it waits.
func TestSinkHeldThenDurable(t *testing.T) {
	var down atomic.Bool
	down.Store(true)
	w := &fakeWriter{answer: func([]byte) error {
		if down.Load() {
			return errRetry
		}
		return nil
	}}
	s := NewSink(w, SinkOptions{BatchSize: 100, FlushInterval: time.Hour})
	done := make(chan struct{})
	go func() { _ = s.Run(context.Background()); close(done) }()
	var acked atomic.Int64
	for i := range 10 {
		if err := s.Put(context.Background(), envelope(i, false, &acked)); err != nil {
			t.Fatal(err)
		}
	}
	s.Idle()
	testenv.Eventually(t, 10*time.Second, func() (bool, string) {
		return w.count("*") >= 3, fmt.Sprintf("%d writes", w.count("*"))
	})
	if acked.Load() != 0 {
		t.Fatalf("acknowledged %d messages while InfluxDB was unavailable and there is no spool", acked.Load())
	}
	down.Store(false)
	s.Close()
	<-done
	if acked.Load() != 10 || w.has("air,station=S ") != 10 {
		t.Errorf("acknowledged %d, written %d; want 10 and 10", acked.Load(), w.has("air,station=S "))
	}
}

// A spooled record InfluxDB refuses is written line by line; the refused line is quarantined
// and the record confirmed only then. Cancelled in the middle, the record is not confirmed,
// and a sink restarted on the same spool writes every line.
func TestSpoolReplayConfirmsOnlyWhenEveryLineIsDurable(t *testing.T) {
	dir := t.TempDir()
	sp, err := spool.Open(spool.Options{Dir: dir, MaxBytes: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	rec := "air,station=S pm25=1 1\nair,station=S BAD=2 2\nair,station=S pm25=3 3\n"
	if err := sp.Append([]byte(rec)); err != nil {
		t.Fatal(err)
	}
	// First run: the record is refused, line 2 is refused, and its quarantine entry cannot be
	// written (InfluxDB unavailable): cancel while it retries.
	w := &fakeWriter{answer: func(body []byte) error {
		switch {
		case bytes.HasPrefix(body, []byte(MeasurementRejected)):
			return errRetry
		case bytes.Contains(body, []byte("BAD")):
			return errRefuse
		}
		return nil
	}}
	s := NewSink(w, SinkOptions{Spool: sp})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = s.Run(ctx); close(done) }()
	testenv.Eventually(t, 10*time.Second, func() (bool, string) {
		return w.count("rejected_messages") >= 2, fmt.Sprintf("%d quarantine attempts", w.count("rejected_messages"))
	})
	start := time.Now()
	cancel()
	<-done
	if d := time.Since(start); d > time.Second {
		t.Errorf("replay took %v to stop after cancel: its retry sleep ignores the context", d)
	}
	if sp.Len() != 1 {
		t.Fatalf("spool holds %d records after a cancelled replay, want the 1 unconfirmed", sp.Len())
	}
	if err := sp.Close(); err != nil {
		t.Fatal(err)
	}
	// Restart on the same spool with InfluxDB back: every line ends durable.
	sp, err = spool.Open(spool.Options{Dir: dir, MaxBytes: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	defer sp.Close()
	w2 := &fakeWriter{answer: func(body []byte) error {
		if !bytes.HasPrefix(body, []byte(MeasurementRejected)) && bytes.Contains(body, []byte("BAD")) {
			return errRefuse
		}
		return nil
	}}
	s2 := NewSink(w2, SinkOptions{Spool: sp})
	ctx2, cancel2 := context.WithCancel(context.Background())
	done2 := make(chan struct{})
	go func() { _ = s2.Run(ctx2); close(done2) }()
	testenv.Eventually(t, 10*time.Second, func() (bool, string) { return sp.Len() == 0, fmt.Sprintf("%d records", sp.Len()) })
	cancel2()
	<-done2
	if w2.has("air,station=S pm25=1 ") != 1 || w2.has("air,station=S pm25=3 ") != 1 || w2.has(MeasurementRejected) != 1 {
		t.Errorf("after the restart: written %q", w2.written)
	}
	if got := testutil.ToFloat64(s2.m.quarantinedPoints); got != 1 {
		t.Errorf("quarantined points %v, want 1", got)
	}
}

// The message that can be neither written nor quarantined waits alone, within its own station
// too: a later good message of the same station, held while InfluxDB was unavailable, is
// acknowledged once InfluxDB is back, and quantrac_messages_held counts the one left.
func TestSinkStuckMessageWaitsAlone(t *testing.T) {
	var down atomic.Bool
	w := &fakeWriter{answer: func(body []byte) error {
		switch {
		case down.Load():
			return errRetry
		case bytes.Contains(body, []byte("BAD")), bytes.HasPrefix(body, []byte(MeasurementRejected)):
			return errRefuse
		}
		return nil
	}}
	s := NewSink(w, SinkOptions{BatchSize: 1, FlushInterval: time.Hour})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = s.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	var stuck, good atomic.Int64
	if err := s.Put(ctx, envelope(1, true, &stuck)); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, 10*time.Second, func() (bool, string) {
		return w.count("rejected_messages") >= 2, fmt.Sprintf("%d quarantine attempts", w.count("rejected_messages"))
	})
	down.Store(true)
	if err := s.Put(ctx, envelope(2, false, &good)); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, 10*time.Second, func() (bool, string) {
		n := testutil.ToFloat64(s.m.held.WithLabelValues(heldUnavailable))
		return n == 2, fmt.Sprintf("%v messages held for InfluxDB unavailable, want both", n)
	})
	down.Store(false)
	testenv.Eventually(t, 15*time.Second, func() (bool, string) {
		return good.Load() == 1, "the later message of the station waits behind the stuck one"
	})
	testenv.Eventually(t, 15*time.Second, func() (bool, string) {
		refused := testutil.ToFloat64(s.m.held.WithLabelValues(heldRefused))
		unavailable := testutil.ToFloat64(s.m.held.WithLabelValues(heldUnavailable))
		return refused == 1 && unavailable == 0, fmt.Sprintf("held: refused %v, unavailable %v; want 1 and 0", refused, unavailable)
	})
	if stuck.Load() != 0 {
		t.Error("the message neither written nor quarantined was acknowledged")
	}
}
