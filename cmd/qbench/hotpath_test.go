package main

import (
	"context"
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/quantrac/quantrac"
	"github.com/quantrac/quantrac/ingest"
	"github.com/quantrac/quantrac/ingest/payload"
	"github.com/quantrac/quantrac/internal/derive"
	"github.com/quantrac/quantrac/internal/sim"
	simpayload "github.com/quantrac/quantrac/internal/sim/payload"
	"github.com/quantrac/quantrac/rules"
	"github.com/quantrac/quantrac/store"
)

// hotParams is the readings per message of the benchmark, as in `make bench`.
const hotParams = 6

// discardSink is the pipeline's store without InfluxDB: it encodes what it is given as the
// sink does, counts it and acknowledges at once.
type discardSink struct {
	bytes, points int
	buf           []byte
}

func (s *discardSink) Put(_ context.Context, e *quantrac.Envelope) error {
	var n int
	s.buf, n = store.AppendEnvelope(s.buf[:0], e)
	s.bytes += len(s.buf)
	s.points += n
	if e.Ack != nil {
		e.Ack()
	}
	return nil
}

// hotFeed makes stationsim's messages (native JSON, 6 parameters, QoS 1 topics) for every
// station, one round of messages per 5-minute step, as stations send them live.
type hotFeed struct {
	sts   []*quantrac.Station
	model sim.Model
	t0    time.Time
	round int
	msg   sim.Message
}

// next returns the messages of the next rounds, at least n of them.
func (f *hotFeed) next(n int) []ingest.Message {
	var out []ingest.Message
	for len(out) < n {
		t := f.t0.Add(time.Duration(f.round) * 5 * time.Minute)
		for _, st := range f.sts {
			f.model.Message(&f.msg, st, t)
			out = append(out, ingest.Message{
				Topic:   "stations/" + st.ID + "/" + string(st.Kind),
				Payload: simpayload.JSON.Encode(nil, &f.msg), Received: t,
			})
		}
		f.round++
	}
	return out
}

// now is just after the newest message made so far.
func (f *hotFeed) now() time.Time {
	return f.t0.Add(time.Duration(f.round)*5*time.Minute + time.Minute)
}

// hotPipeline is quantrac's pipeline as the daemon builds it (decode, validate, rules, AQI,
// line protocol) feeding discardSink, with the built-in regulation catalog.
func hotPipeline(tb testing.TB, sts []*quantrac.Station, now func() time.Time) (*ingest.Handler, *discardSink) {
	reg, err := quantrac.NewRegistry(sts...)
	if err != nil {
		tb.Fatal(err)
	}
	cat, err := rules.LoadCatalog()
	if err != nil {
		tb.Fatal(err)
	}
	engine := rules.NewEngine(cat, reg, now)
	if err := engine.Rebuild(context.Background(), nil, now()); err != nil { // nothing stored: start empty
		tb.Fatal(err)
	}
	tmpl, err := ingest.ParseTemplate("stations/{station}/{kind}")
	if err != nil {
		tb.Fatal(err)
	}
	sink := &discardSink{}
	p := ingest.NewPipeline(ingest.PipelineOptions{
		Template: tmpl, Registry: func() *quantrac.Registry { return reg },
		Limits: payload.Limits{MaxReadings: 1000, MaxArray: 10000, MaxFutureSkew: 5 * time.Minute,
			MaxAge: 24 * 365 * time.Hour, MaxStringLen: 256},
		MaxPayloadBytes: 256 << 10, Store: sink, Observer: derive.New(engine, reg, now),
		Now: now, Registerer: prometheus.NewRegistry(),
	})
	return p.Handler(), sink
}

// BenchmarkHotPath is one message of 6 readings through quantrac's whole in-process path:
// topic routing, JSON decoding, validation and unit conversion, the rules of the station's
// regulations (QCVN 05:2023 and WHO 2021 for air, QCVN 40:2011/B for wastewater), AQI (vn,
// us) and line-protocol encoding, with 12 hours of data in the windows first. MQTT, the
// InfluxDB write and the HTTP side are not in it; `make bench` measures those.
func BenchmarkHotPath(b *testing.B) {
	for _, n := range []int{100, 1000, 10000} {
		b.Run(fmt.Sprintf("stations=%d", n), func(b *testing.B) { benchHotPath(b, n) })
	}
}

func benchHotPath(b *testing.B, n int) {
	sts, err := sim.Stations(n, 1)
	if err != nil {
		b.Fatal(err)
	}
	f := &hotFeed{sts: sts, model: sim.Model{Seed: 1, Violate: 0.01, Params: hotParams},
		t0: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)}
	h, sink := hotPipeline(b, sts, f.now)
	ctx := context.Background()
	for _, m := range f.next(min(144*n, 100_000)) { // up to 12 h of data first
		if res, err := h.Handle(ctx, m); err != nil || res != ingest.ResultAccepted {
			b.Fatalf("warm-up message %s: %s %v", m.Topic, res, err)
		}
	}
	const pool = 20_000
	msgs, i := f.next(pool), 0
	points0 := sink.points
	b.ReportAllocs()
	b.ResetTimer()
	cpu0, excluded := cpuTime(), time.Duration(0)
	for b.Loop() {
		if i == len(msgs) {
			b.StopTimer()
			c := cpuTime()
			msgs, i = f.next(pool), 0
			excluded += cpuTime() - c
			b.StartTimer()
		}
		if _, err := h.Handle(ctx, msgs[i]); err != nil {
			b.Fatal(err)
		}
		i++
	}
	// CPU time, not wall time: on a shared machine the wall time includes waiting for a core.
	cpu := cpuTime() - cpu0 - excluded
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op")
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N*hotParams), "cpu-ns/reading")
	b.ReportMetric(float64(sink.points-points0)/float64(b.N), "points/op")
}

// cpuTime is the process's user and system CPU time (all threads: the GC's too).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// TestHotPathAccepts checks the benchmark's premise: every generated message is accepted and
// becomes at least one point.
func TestHotPathAccepts(t *testing.T) {
	sts, err := sim.Stations(30, 1)
	if err != nil {
		t.Fatal(err)
	}
	f := &hotFeed{sts: sts, model: sim.Model{Seed: 1, Params: hotParams}, t0: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)}
	msgs := f.next(300)
	h, sink := hotPipeline(t, sts, f.now)
	for _, m := range msgs {
		if res, err := h.Handle(context.Background(), m); err != nil || res != ingest.ResultAccepted {
			t.Fatalf("%s: %s %v\n%s", m.Topic, res, err, m.Payload)
		}
	}
	if sink.points < len(msgs) {
		t.Errorf("%d points for %d messages", sink.points, len(msgs))
	}
}
