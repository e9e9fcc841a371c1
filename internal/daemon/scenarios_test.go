package daemon

import (
	"cmp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/quantrac/quantrac/config"
)

// Hand-made streams through the real daemon, compared with the batch evaluator
// (oracle_test.go) as the property test does: the rule cases of the exceedance record, as data.

// scenario is a hand-made stream of records, published to one station step by step, each
// step in one burst of one message per record.
type scenario struct {
	name  string
	kind  string // air (readings of pm25 and no2) or wastewater (cod)
	steps [][]record
	// quiet says after which steps to wait until the daemon is quiet (all, when nil; and
	// always at the end); restart, after which steps to restart it, once the readings are
	// stored.
	quiet, restart map[int]bool
	tick           time.Duration // the daemon's staleEvery (default propertyTick)
	flush          time.Duration // influx.flush_interval (default 100 ms)
	known          string        // a known engine defect the scenario shows: it is skipped
	// starts are the exceedances (started points) the evaluator must find per limit
	// ("pm25 ORACLE 24h"), so that the scenario shows what it is about.
	starts map[string]int
}

// scenarios are the rule cases of the record, as data: each shows one way readings arrive.
// The data end dataEnd(now) (every period closed by the wall clock).
func scenarios(now time.Time) []scenario {
	end, _ := dataEnd(now)
	h := end.Add(-36 * time.Hour)
	cod := codNewestFirst(h, 60, 210, 60)
	recent := codNewestFirst(end.Add(-12*time.Hour), 60, 210, 60) // within what a restart reads back
	mid := lastMidnight(end)
	open := day(end, 20)[int(24-end.Sub(mid).Hours())*12:] // the day in progress, to end
	return []scenario{{
		name:   "a late reading in the day in progress: the latest closed day keeps its 24 hours",
		kind:   "air",
		steps:  [][]record{append(day(mid, 60), open[:max(0, len(open)-2)]...), open[max(0, len(open)-2):]},
		starts: map[string]int{"pm25 ORACLE 24h": 1},
	}, {
		name: "16 hours of a day at 60, a restart, then the rest of it and of the data: the latest closed day counts 24 hours",
		kind: "air",
		steps: [][]record{day(mid, 60)[:16*12], append(day(mid, 60)[16*12:],
			day(end, 20)[int(24-end.Sub(mid).Hours())*12:]...)},
		restart: map[int]bool{0: true},
		starts:  map[string]int{"pm25 ORACLE 24h": 1},
	}, {
		name:    "a day at 40 whose hour at 300 has 16 readings in 8 of its 12 slots (invalid), then a restart: the day stays ok",
		kind:    "air",
		steps:   [][]record{thinHour(day(lastMidnight(end), 40), lastMidnight(end).Add(-12*time.Hour), 300)},
		restart: map[int]bool{0: true},
	}, {
		name:   "the first readings of an hour the wall clock closed, then the rest of it",
		kind:   "air",
		steps:  [][]record{hourOf(h, 1, 3, 60), append(hourOf(h, 4, 12, 60), hourOf(h.Add(time.Hour), 1, 12, 20)...)},
		starts: map[string]int{"pm25 ORACLE 1h": 1},
	}, {
		name:   "a COD backlog newest first in one message: 60, 210, 60 mg/L against a permit max of 75",
		kind:   "wastewater",
		steps:  [][]record{cod},
		starts: map[string]int{"cod permit sample": 1},
	}, {
		name: "two readings per 5-minute slot and clock jitter of ±2 s: every reading counts",
		kind: "air",
		steps: [][]record{append(jitter(append(hourOf(h, 1, 12, 560), shift(hourOf(h, 1, 12, 540), 90*time.Second)...)),
			hourOf(h.Add(time.Hour), 1, 12, 20)...)},
		starts: map[string]int{"pm25 ORACLE 1h": 1},
	}, {
		name: "a day at 80 backfilled after two newer days at 20",
		kind: "air",
		steps: [][]record{append(day(mid.Add(-24*time.Hour), 20), day(mid, 20)...),
			day(mid.Add(-48*time.Hour), 80)}, // local calendar days, whatever the hour the test runs
		starts: map[string]int{"pm25 ORACLE 24h": 1},
	}, {
		name:   "19 hours at 80, then silence: the wall clock closes the day",
		kind:   "air",
		steps:  [][]record{day(mid.Add(-24*time.Hour), 80)[:19*12]}, // the first 19 hours of a local day
		starts: map[string]int{"pm25 ORACLE 24h": 1},
	}, {
		name:    "COD samples 59 hours old, then a restart with nothing new: the latest sample is still the newest reading",
		kind:    "wastewater",
		steps:   [][]record{slices.Clone(cod)},
		restart: map[int]bool{0: true},
		starts:  map[string]int{"cod permit sample": 1},
	}, {
		name: "two days and a half of air data, then a restart with nothing new: the latest closed periods are kept",
		kind: "air",
		steps: [][]record{append(append(day(end.Add(-36*time.Hour), 60), day(end.Add(-12*time.Hour), 60)...),
			day(end, 20)[12*12:]...)},
		restart: map[int]bool{0: true},
		starts:  map[string]int{"pm25 ORACLE 24h": 1},
	}, {
		name: "a COD backlog newest first over several messages, the daemon restarted before its next re-judging tick (3 s)",
		kind: "wastewater", steps: [][]record{recent[:1], recent[1:]},
		quiet: map[int]bool{0: true}, restart: map[int]bool{1: true}, tick: 3 * time.Second,
	}, {
		name: "late readings re-judged before they are stored (a flush slower than staleEvery, as a slow InfluxDB write)",
		kind: "wastewater", steps: [][]record{cod[:1], cod[1:]}, flush: 2 * time.Second,
	}, {
		name: "the first readings of an hour 59 hours old, a restart, then the rest of it",
		kind: "air",
		steps: [][]record{append(hourOf(h.Add(-time.Hour), 1, 12, 60), hourOf(h, 1, 3, 60)...),
			append(hourOf(h, 4, 12, 20), hourOf(h.Add(time.Hour), 1, 12, 20)...)},
		restart: map[int]bool{0: true}, tick: 3 * time.Second, // the rest comes before the wall clock closes the hour again
	}}
}

// Each scenario, through the real daemon: the engine's record equals the evaluator's.
func TestRecordScenarios(t *testing.T) {
	now := time.Now()
	cases := scenarios(now)
	registry, stations := propertyStations(len(cases))
	s := startStackTuned(t, registry, oracleConfig(t, now), func(d *Daemon) { d.staleEvery = propertyTick })
	defaults := *s.cfg
	for i, sc := range cases {
		t.Run(sc.name, func(t *testing.T) {
			if sc.known != "" {
				skipKnown(t, sc.known)
			}
			st := stations[2*i]
			if sc.kind == "wastewater" {
				st = stations[2*i+1]
			}
			s.retune(t, defaults, sc)
			if diff := sc.run(t, s, st); len(diff) > 0 {
				t.Errorf("the engine's record differs from the evaluator's:\n%s", strings.Join(diff, "\n"))
			}
		})
	}
}

// retune restarts the daemon when the scenario needs another tick or flush interval than the
// one running.
func (s *stack) retune(t *testing.T, defaults config.Config, sc scenario) {
	flush := cmp.Or(sc.flush, defaults.Influx.FlushInterval)
	tick := cmp.Or(sc.tick, propertyTick)
	if s.cfg.Influx.FlushInterval == flush && s.d.staleEvery == tick {
		return
	}
	s.cfg.Influx.FlushInterval = flush
	s.tune = func(d *Daemon) { d.staleEvery = tick }
	s.restart(t)
}

// run publishes the steps to station st and returns the differences between the engine's
// record and the evaluator's once the daemon is quiet.
func (sc scenario) run(t *testing.T, s *stack, st oracleStation) []string {
	topic := "stations/" + st.id + "/" + sc.kind
	sent := map[time.Time]bool{}
	for i, step := range sc.steps {
		var msgs []message
		for _, rec := range step {
			msgs = append(msgs, message{topic, rec.json()})
			sent[rec.t] = true
		}
		publishBurst(t, s.broker.URL(), msgs)
		streams := []stream{{station: st.id, topic: topic, times: len(sent)}}
		if sc.quiet == nil || sc.quiet[i] {
			s.waitQuiet(t, streams)
		}
		if sc.restart[i] {
			s.waitStored(t, streams)
			s.restart(t)
		}
	}
	s.waitQuiet(t, []stream{{station: st.id, topic: topic, times: len(sent)}})
	o := stationOracle(st, s.cfg.Limits.CloseDelay)
	starts := map[string]int{}
	for k, e := range s.expected(t, st, o).record {
		if e.state == "started" {
			limit, _, _ := strings.Cut(k, " @ ")
			starts[limit]++
		}
	}
	for k, n := range sc.starts {
		if starts[k] != n {
			t.Errorf("the evaluator finds %d exceedances of %s, the scenario is about %d (all: %v)", starts[k], k, n, starts)
		}
	}
	diff, _ := s.compareStation(t, st, o)
	return diff
}

// hourOf returns the records of the hour ending at end, every 5 minutes from first to last
// (1-12), PM2.5 and NO2 at value v.
func hourOf(end time.Time, first, last int, v float64) []record {
	var out []record
	for k := first; k <= last; k++ {
		out = append(out, record{end.Add(-time.Hour + time.Duration(k)*5*time.Minute), map[string]float64{"pm25": v, "no2": v}})
	}
	return out
}

// day returns the records of the 24 hours ending at end at value v.
func day(end time.Time, v float64) []record {
	var out []record
	for h := 23; h >= 0; h-- {
		out = append(out, hourOf(end.Add(-time.Duration(h)*time.Hour), 1, 12, v)...)
	}
	return out
}

// shift moves records by d.
func shift(rs []record, d time.Duration) []record {
	for i := range rs {
		rs[i].t = rs[i].t.Add(d)
	}
	return rs
}

// jitter moves records by −2, −1, 0, 1, 2 s in turn.
func jitter(rs []record) []record {
	for i := range rs {
		rs[i].t = rs[i].t.Add(time.Duration(i%5-2) * time.Second)
	}
	return rs
}

// thinHour replaces the hour of rs ending at end with 8 of its 12 slots, two readings each,
// at value v: 16 readings, 67 % capture.
func thinHour(rs []record, end time.Time, v float64) []record {
	out := slices.DeleteFunc(rs, func(r record) bool { return r.t.After(end.Add(-time.Hour)) && !r.t.After(end) })
	return append(append(out, hourOf(end, 1, 8, v)...), shift(hourOf(end, 1, 8, v), time.Minute)...)
}

// lastMidnight returns the newest local midnight (Asia/Ho_Chi_Minh) at or before t.
func lastMidnight(t time.Time) time.Time {
	ict, err := time.LoadLocation("Asia/Ho_Chi_Minh")
	if err != nil {
		panic(err)
	}
	l := t.In(ict)
	return time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, ict)
}

// codNewestFirst returns COD samples every 15 minutes back from end, newest first.
func codNewestFirst(end time.Time, vs ...float64) []record {
	var out []record
	for i, v := range vs {
		out = append(out, record{end.Add(-time.Duration(i) * 15 * time.Minute), map[string]float64{"cod": v}})
	}
	return out
}
