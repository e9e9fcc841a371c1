package payload

import (
	"testing"
	"time"

	"github.com/quantrac/quantrac"
)

// Times of the test messages: readings at 14:05 local (07:05 UTC), received at 07:10 UTC.
var (
	testNow  = time.Date(2026, 11, 28, 7, 10, 0, 0, time.UTC)
	testTime = time.Date(2026, 11, 28, 7, 5, 0, 0, time.UTC)
)

const testUnix = "1795849500" // testTime in Unix seconds

// testRegistry returns an air and a wastewater station; the wastewater station is in
// maintenance from 06:00 to 07:00 UTC on the test day.
func testRegistry(t testing.TB) *quantrac.Registry {
	t.Helper()
	reg, err := quantrac.NewRegistry(
		&quantrac.Station{ID: "LC-AQ-01", Kind: quantrac.Air, Aliases: []string{"LaiChau_AQ01"}},
		&quantrac.Station{ID: "LC-WW-01", Kind: quantrac.Wastewater, Maintenance: []quantrac.Maintenance{{
			From:  time.Date(2026, 11, 28, 6, 0, 0, 0, time.UTC),
			Until: time.Date(2026, 11, 28, 7, 0, 0, 0, time.UTC),
		}}},
	)
	if err != nil {
		t.Fatal(err)
	}
	return reg
}

// parse decodes one payload for station id with a fresh parser and default limits.
func parse(t testing.TB, f Format, id string, payload string) (*Result, error) {
	t.Helper()
	return parseWith(t, Limits{}, f, id, payload)
}

// parseWith decodes one payload for station id with a fresh parser and limits lim.
func parseWith(t testing.TB, lim Limits, f Format, id string, payload string) (*Result, error) {
	t.Helper()
	st := testRegistry(t).Station(id)
	var out Result
	err := NewParser(lim).Parse(f, st, st.Kind, []byte(payload), testNow, &out)
	return &out, err
}

// reading builds an expected reading of the air station at testTime.
func reading(param string, v float64) quantrac.Reading {
	return quantrac.Reading{Station: "LC-AQ-01", Kind: quantrac.Air, Param: param, Value: v, Time: testTime, Status: "00"}
}

// wwReading builds an expected reading of the wastewater station at testTime.
func wwReading(param string, v float64) quantrac.Reading {
	return quantrac.Reading{Station: "LC-WW-01", Kind: quantrac.Wastewater, Param: param, Value: v, Time: testTime, Status: "00"}
}

func withStatus(r quantrac.Reading, status string) quantrac.Reading { r.Status = status; return r }

// reasons returns the reasons of the rejected readings, in order.
func reasons(r *Result) []string {
	var out []string
	for _, rj := range r.Rejected {
		out = append(out, rj.Reason)
	}
	return out
}

// approxEqual compares readings with a tolerance on values (conversions round).
func approxEqual(a, b []quantrac.Reading) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		x, y := a[i], b[i]
		d := x.Value - y.Value
		if d < 0 {
			d = -d
		}
		if d > 1e-9*max(1, abs(y.Value)) {
			return false
		}
		x.Value, y.Value = 0, 0
		if x != y {
			return false
		}
	}
	return true
}

func abs(f float64) float64 {
	if f < 0 {
		return -f
	}
	return f
}
