package qc_test

import (
	"testing"
	"time"

	"github.com/quantrac/quantrac"
	"github.com/quantrac/quantrac/internal/sim"
	"github.com/quantrac/quantrac/qc"
)

// simWeek is what the checks see of a simulated week: each station's readings by parameter,
// and the fault injected into each faulty reading.
type simWeek struct {
	stations []*quantrac.Station
	from, to time.Time                 // the week
	series   []map[string][]qc.Reading // by station index
	faults   map[faultKey]sim.Fault
	readings int
}

type faultKey struct {
	station, param string
	t              time.Time
}

// runWeek simulates a week of 5-minute messages of 50 stations (two thirds air, one third
// wastewater), with violation episodes, through model. The checks also see 12 hours on each
// side, so that a stuck run or a spike at the edge of the week is judged as in a longer
// record; faults and readings are counted inside the week only.
func runWeek(t *testing.T, model sim.Model) simWeek {
	t.Helper()
	stations, err := sim.Stations(50, 1)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Date(2026, 11, 23, 0, 0, 0, 0, time.FixedZone("ICT", 7*3600))
	w := simWeek{stations: stations, faults: map[faultKey]sim.Fault{}, from: start, to: start.AddDate(0, 0, 7)}
	var msg sim.Message
	for _, st := range stations {
		series := map[string][]qc.Reading{}
		for k := -144; k < 7*288+144; k++ {
			at := start.Add(time.Duration(k) * st.Interval)
			inWeek := k >= 0 && k < 7*288
			model.Message(&msg, st, at)
			for _, r := range msg.Readings {
				series[r.Param] = append(series[r.Param], qc.Reading{Time: at, Value: r.Value})
				if !inWeek {
					continue
				}
				w.readings++
				if r.Fault != sim.NoFault {
					w.faults[faultKey{st.ID, r.Param, at}] = r.Fault
				}
			}
		}
		w.series = append(w.series, series)
	}
	return w
}

// invalidated returns, for every station, parameter and reading time a span covers, the
// checks that cover it.
func (w simWeek) invalidated(c *qc.Checker) map[faultKey][]qc.Check {
	out := map[faultKey][]qc.Check{}
	for i, st := range w.stations {
		for _, s := range c.Station(st.ID, st.Interval, w.series[i]) {
			for _, r := range w.series[i][s.Parameter] {
				if !r.Time.Before(s.From) && !r.Time.After(s.To) && !r.Time.Before(w.from) && r.Time.Before(w.to) {
					k := faultKey{st.ID, s.Parameter, r.Time}
					out[k] = append(out[k], s.Check)
				}
			}
		}
	}
	return out
}

// On a week of 50 simulated stations without faults (with violation episodes), the checks
// invalidate less than 0.1 % of the readings; with every kind of fault injected, every faulty
// reading lies in an automatic span.
func TestSimulatedStations(t *testing.T) {
	c := qc.New(qc.Defaults())
	clean := runWeek(t, sim.Model{Seed: 1, Violate: 0.01})
	inv := clean.invalidated(c)
	rate := float64(len(inv)) / float64(clean.readings)
	t.Logf("without faults: %d of %d readings invalidated (%.4f %%)", len(inv), clean.readings, 100*rate)
	if rate >= 0.001 {
		t.Errorf("false-positive rate %.4f %% ≥ 0.1 %%", 100*rate)
	}
	for k, checks := range inv {
		t.Logf("false positive: %s %s %s %v", k.station, k.param, k.t.Format(time.RFC3339), checks)
		break
	}

	faulty := runWeek(t, sim.Model{Seed: 1, Violate: 0.01, Faults: sim.AllFaults(), FaultRate: 0.01})
	inv = faulty.invalidated(c)
	var injected, covered [sim.NumFaults]int
	for k, f := range faulty.faults {
		injected[f]++
		if len(inv[k]) > 0 {
			covered[f]++
		} else {
			t.Errorf("%s fault of %s %s at %s is in no span", f, k.station, k.param, k.t.Format(time.RFC3339))
			for _, r := range faulty.series[stationIndex(faulty.stations, k.station)][k.param] {
				if r.Time.Sub(k.t).Abs() <= 20*time.Minute {
					t.Logf("  %s %v %v", r.Time.Format(time.RFC3339), r.Value, faulty.faults[faultKey{k.station, k.param, r.Time}])
				}
			}
		}
	}
	extra := 0
	for k := range inv {
		if _, ok := faulty.faults[k]; !ok {
			extra++
		}
	}
	for _, f := range sim.AllFaults() {
		t.Logf("with faults: %-8s %5d faulty readings, %5d covered", f, injected[f], covered[f])
		if injected[f] == 0 {
			t.Errorf("no %s fault injected: the test proves nothing about it", f)
		}
	}
	t.Logf("with faults: %d other readings invalidated of %d (%.4f %%)", extra, faulty.readings, 100*float64(extra)/float64(faulty.readings))
}

func stationIndex(sts []*quantrac.Station, id string) int {
	for i, s := range sts {
		if s.ID == id {
			return i
		}
	}
	return -1
}
