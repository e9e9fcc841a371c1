package sim

import (
	"slices"
	"testing"
	"time"
)

func TestParseFaults(t *testing.T) {
	got, err := ParseFaults("spike, stuck,spike")
	if err != nil || !slices.Equal(got, []Fault{FaultSpike, FaultStuck}) {
		t.Errorf("got %v, %v", got, err)
	}
	if got, _ := ParseFaults("all"); !slices.Equal(got, AllFaults()) {
		t.Errorf("all: %v", got)
	}
	if _, err := ParseFaults("drift"); err == nil {
		t.Error("drift accepted")
	}
}

// Without faults, or with a rate but no kinds, the messages are those of before.
func TestNoFaultsNoChange(t *testing.T) {
	st := testStations(t, 3)
	plain := Model{Seed: 3, Violate: 0.05}
	rateOnly := Model{Seed: 3, Violate: 0.05, FaultRate: 0.5}
	var a, b Message
	at := time.Date(2026, 11, 28, 0, 0, 0, 0, ict)
	for k := range 288 {
		for _, s := range st {
			plain.Message(&a, s, at.Add(time.Duration(k)*5*time.Minute))
			rateOnly.Message(&b, s, at.Add(time.Duration(k)*5*time.Minute))
			if !slices.Equal(a.Readings, b.Readings) {
				t.Fatalf("%s: %+v vs %+v", s.ID, a.Readings, b.Readings)
			}
		}
	}
}

// A stuck run repeats one value exactly for 5–8 hours, marks its readings, and runs do not
// overlap; the other faults are marked where they change a value.
func TestFaultsMarked(t *testing.T) {
	st := testStations(t, 6)
	m := Model{Seed: 5, Violate: 0.02, Faults: AllFaults(), FaultRate: 0.05}
	clean := Model{Seed: 5, Violate: 0.02}
	var msg, ref Message
	at := time.Date(2026, 11, 28, 0, 0, 0, 0, ict)
	var count [NumFaults]int
	for _, s := range st {
		run := map[string][]time.Time{} // stuck readings' times by parameter
		for k := range 3 * 288 {
			tk := at.Add(time.Duration(k) * 5 * time.Minute)
			m.Message(&msg, s, tk)
			clean.Message(&ref, s, tk)
			for i, r := range msg.Readings {
				count[r.Fault]++
				switch {
				case r.Fault == NoFault && r.Value != ref.Readings[i].Value:
					t.Fatalf("%s %s at %v changed without a fault mark", s.ID, r.Param, tk)
				case r.Fault == FaultStuck:
					sk, _ := m.StuckAt(s, tk)
					if sk.Param != r.Param || r.Value != sk.Value {
						t.Fatalf("%s %s at %v: stuck %v, run %+v", s.ID, r.Param, tk, r.Value, sk)
					}
					run[r.Param] = append(run[r.Param], tk)
				}
			}
		}
		for p, ts := range run {
			if d := ts[len(ts)-1].Sub(ts[0]); d < 4*time.Hour && ts[len(ts)-1].Before(at.Add(71*time.Hour)) && ts[0].After(at) {
				t.Errorf("%s %s stuck for only %v", s.ID, p, d)
			}
		}
	}
	for _, f := range AllFaults() {
		if count[f] == 0 {
			t.Errorf("no %s fault in 3 days of 6 stations", f)
		}
	}
}
