package load

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"github.com/quantrac/quantrac"
	"github.com/quantrac/quantrac/internal/sim"
	"github.com/quantrac/quantrac/internal/sim/payload"
)

// recorder is a fake Sink that keeps what it is given: Run's scheduling is the subject here,
// the real sinks have their own tests.
type recorder struct {
	msgs   []sim.Message
	closed bool
}

func (r *recorder) Send(_ context.Context, m *sim.Message, _ []byte) error {
	c := *m
	c.Readings = append([]sim.Reading(nil), m.Readings...)
	r.msgs = append(r.msgs, c)
	return nil
}

func (r *recorder) Close(context.Context) (Stats, error) {
	r.closed = true
	return Stats{Sent: int64(len(r.msgs)), Acked: int64(len(r.msgs))}, nil
}

func testConfig(t *testing.T, n int) Config {
	t.Helper()
	st, err := sim.Stations(n, 1)
	if err != nil {
		t.Fatal(err)
	}
	return Config{
		Stations: st, Model: sim.Model{Seed: 1}, Format: payload.JSON,
		Start: time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC), Step: 5 * time.Minute, Now: time.Now,
	}
}

// -count spreads messages evenly over the stations, stations round-robin over the sinks, and
// a station's k-th message is stamped Start + k × Step.
func TestRunCountSchedule(t *testing.T) {
	cfg := testConfig(t, 5)
	cfg.Count = 23
	sinks := []*recorder{{}, {}}
	stats, err := Run(context.Background(), cfg, []Sink{sinks[0], sinks[1]})
	if err != nil {
		t.Fatal(err)
	}
	if stats.Sent != 23 || stats.Acked != 23 || stats.Kinds[sim.Good] != 23 {
		t.Errorf("stats %+v", stats)
	}
	perStation := map[string][]time.Time{}
	var readings int64
	for si, s := range sinks {
		if !s.closed {
			t.Error("sink not closed")
		}
		for _, m := range s.msgs {
			idx := indexOf(cfg.Stations, m.ID)
			if idx%2 != si {
				t.Errorf("station %s (#%d) on sink %d", m.ID, idx, si)
			}
			perStation[m.ID] = append(perStation[m.ID], m.Time)
			readings += int64(len(m.Readings))
		}
	}
	if readings != stats.Readings {
		t.Errorf("readings %d, stats say %d", readings, stats.Readings)
	}
	for i, st := range cfg.Stations {
		times := perStation[st.ID]
		want := 4
		if i < 3 {
			want = 5
		}
		if len(times) != want {
			t.Errorf("%s: %d messages, want %d", st.ID, len(times), want)
		}
		for k, at := range times {
			if w := cfg.Start.Add(time.Duration(k) * cfg.Step); !at.Equal(w) {
				t.Errorf("%s message %d at %v, want %v", st.ID, k, at, w)
			}
		}
	}
}

func indexOf(st []*quantrac.Station, id string) int {
	for i, s := range st {
		if s.ID == id {
			return i
		}
	}
	return -1
}

// With -duration the run sends rate × duration messages (plus the bucket's burst), paced
// rather than all at once.
func TestRunDurationRate(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cfg := testConfig(t, 10)
		cfg.Rate, cfg.Duration = 500, 2*time.Second
		rec := &recorder{}
		start := time.Now()
		stats, err := Run(context.Background(), cfg, []Sink{rec})
		if err != nil {
			t.Fatal(err)
		}
		if stats.Sent < 1000 || stats.Sent > 1012 {
			t.Errorf("%d messages in 2 s at 500/s", stats.Sent)
		}
		if el := time.Since(start); el < 2*time.Second || el > 2*time.Second+50*time.Millisecond {
			t.Errorf("run took %v", el)
		}
	})
}

// Bad messages are drawn, made bad and counted by kind.
func TestRunBadKinds(t *testing.T) {
	cfg := testConfig(t, 4)
	cfg.Count, cfg.Model.Bad = 2000, 0.2
	rec := &recorder{}
	stats, err := Run(context.Background(), cfg, []Sink{rec})
	if err != nil {
		t.Fatal(err)
	}
	var unknown, wrong int64
	for _, m := range rec.msgs {
		switch m.Bad {
		case sim.BadUnknownStation:
			unknown++
			if m.ID != sim.UnknownPrefix+m.Station.ID {
				t.Errorf("unknown station message on %s", m.ID)
			}
		case sim.BadWrongStation:
			wrong++
			if m.PayloadID == m.ID || indexOf(cfg.Stations, m.PayloadID) < 0 {
				t.Errorf("wrong station message names %s on %s", m.PayloadID, m.ID)
			}
		}
	}
	if stats.BadTotal() < 300 || stats.BadTotal() > 500 || stats.Kinds[sim.BadUnknownStation] != unknown ||
		stats.Kinds[sim.BadWrongStation] != wrong || unknown == 0 || wrong == 0 {
		t.Errorf("bad %d, kinds %v", stats.BadTotal(), stats.Kinds)
	}
}

func TestRunStopsOnCancel(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cfg := testConfig(t, 2)
		cfg.Rate = 10
		ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
		defer cancel()
		stats, err := Run(ctx, cfg, []Sink{&recorder{}})
		if err != nil {
			t.Fatal(err)
		}
		if stats.Sent < 15 || stats.Sent > 17 {
			t.Errorf("%d messages in 1.5 s at 10/s", stats.Sent)
		}
	})
}
