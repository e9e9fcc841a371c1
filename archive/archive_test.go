package archive

import (
	"context"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/quantrac/quantrac"
	"github.com/quantrac/quantrac/internal/testenv"
	"github.com/quantrac/quantrac/store"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func zone(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// Clock hours of whole-hour and non-whole-hour zones: the GROUP BY offset and the hour ends.
func TestHourClauseAndEnd(t *testing.T) {
	at := time.Date(2026, 11, 15, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		zone, clause string
		t, end       string // an instant and the end of its local clock hour, in UTC
	}{
		{"Asia/Ho_Chi_Minh", "time(1h, 1ns)", "2026-11-15T03:20:00Z", "2026-11-15T04:00:00Z"},
		{"Asia/Ho_Chi_Minh", "time(1h, 1ns)", "2026-11-15T04:00:00Z", "2026-11-15T04:00:00Z"},
		{"Asia/Kolkata", "time(1h, 1800000000001ns)", "2026-11-15T03:20:00Z", "2026-11-15T03:30:00Z"},
		{"Asia/Kolkata", "time(1h, 1800000000001ns)", "2026-11-15T03:30:00.000000001Z", "2026-11-15T04:30:00Z"},
		{"Asia/Kathmandu", "time(1h, 900000000001ns)", "2026-11-15T03:20:00Z", "2026-11-15T04:15:00Z"},
		{"UTC", "time(1h, 1ns)", "2026-11-15T03:00:00Z", "2026-11-15T03:00:00Z"},
	} {
		loc := zone(t, tc.zone)
		if got := HourClause(loc, at); got != tc.clause {
			t.Errorf("%s: clause %s, want %s", tc.zone, got, tc.clause)
		}
		in, _ := time.Parse(time.RFC3339Nano, tc.t)
		if got := HourEnd(in, loc).UTC().Format(time.RFC3339); got != tc.end {
			t.Errorf("%s: HourEnd(%s) = %s, want %s", tc.zone, tc.t, got, tc.end)
		}
	}
}

// Real InfluxDB: a reading stamped on the hour closes that hour, one a nanosecond later opens
// the next; calibration and maintenance readings are excluded, a device fault is not; means
// are of valid readings only. In a +05:30 zone the hours end at half past UTC.
func TestHoursInInfluxDB(t *testing.T) {
	in := testenv.InfluxDB(t, testenv.InfluxOptions{DisableFlux: true})
	in.CreateDatabase("quantrac")
	a := New(store.NewQuerier(store.WriterOptions{URL: in.URL(), Bucket: "quantrac/autogen"}, nil))
	for _, tc := range []struct{ zone, id string }{{"Asia/Ho_Chi_Minh", "VN"}, {"Asia/Kolkata", "IN"}} {
		loc := zone(t, tc.zone)
		st := &quantrac.Station{ID: tc.id, Kind: quantrac.Air, Interval: 15 * time.Minute, Timezone: tc.zone}
		reg, err := quantrac.NewRegistry(st)
		if err != nil {
			t.Fatal(err)
		}
		st = reg.Station(tc.id)
		h0 := time.Date(2026, 11, 15, 1, 0, 0, 0, loc) // the hour ending 01:00 local
		var lines []string
		point := func(m string, at time.Time, fields string) {
			lines = append(lines, fmt.Sprintf("%s,station=%s %s %d", m, tc.id, fields, at.UnixNano()))
		}
		// hour ending 01:00: 00:15, 00:30, 00:45 and 01:00 valid (4/4)
		for i := 1; i <= 4; i++ {
			point("air", h0.Add(time.Duration(i-4)*15*time.Minute), fmt.Sprintf("pm25=%d", 10*i))
		}
		// hour ending 02:00: one valid a nanosecond after 01:00, two in calibration, one fault
		point("air", h0.Add(time.Nanosecond), "pm25=7")
		point("air_flagged", h0.Add(30*time.Minute), `pm25=99,pm25_status="01"`)
		point("air_flagged", h0.Add(45*time.Minute), `pm25=99,pm25_status="maintenance"`)
		point("air_flagged", h0.Add(time.Hour), `pm25=99,pm25_status="02"`)
		in.Write("quantrac/autogen", strings.Join(lines, "\n"))

		series, err := a.Hours(context.Background(), st, nil, h0.Add(-time.Hour), h0.Add(2*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if len(series) != 1 || series[0].Param != "pm25" || len(series[0].Hours) != 3 {
			t.Fatalf("%s: series %+v", tc.zone, series)
		}
		h1, h2 := series[0].Hours[0], series[0].Hours[1]
		if !h1.End.Equal(h0) || h1.Valid != 4 || h1.Mean != 25 || h1.Expected != 4 || !h1.IsValid() {
			t.Errorf("%s: hour ending 01:00 = %+v", tc.zone, h1)
		}
		// expected 4 − 2 excluded = 2; 1 valid < 75 % of 2
		if !h2.End.Equal(h0.Add(time.Hour)) || h2.Valid != 1 || h2.Excluded != 2 || h2.Flagged != 1 || h2.Expected != 2 || h2.IsValid() || h2.Mean != 7 {
			t.Errorf("%s: hour ending 02:00 = %+v", tc.zone, h2)
		}
		if h := series[0].Hours[2]; h.Valid != 0 || !math.IsNaN(h.Mean) || h.Expected != 4 || h.IsValid() {
			t.Errorf("%s: empty hour = %+v", tc.zone, h)
		}
		one, err := a.Hours(context.Background(), st, []string{"pm25"}, h0.Add(-time.Hour), h0.Add(2*time.Hour))
		if err != nil || len(one) != 1 || one[0].Hours[1] != h2 {
			t.Errorf("%s: Hours for one parameter = %+v, %v; want the same hours", tc.zone, one, err)
		}
	}
}
