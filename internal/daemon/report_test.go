package daemon

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/quantrac/quantrac/config"
	"github.com/quantrac/quantrac/internal/testenv"
	"github.com/quantrac/quantrac/report"
)

// A report of an ended month is kept while readings of other days arrive, and built again
// once a late reading of the month is stored: the report never lags what InfluxDB holds.
func TestReportKeptUntilItsMonthChanges(t *testing.T) {
	s := startStack(t, testStations, func(c *config.Config) { c.Limits.MaxAge = 2000 * time.Hour })
	now := time.Now()
	m := report.MonthOf(now.Add(-24*time.Hour), time.UTC).Previous() // ended everywhere
	loc, _ := time.LoadLocation("Asia/Ho_Chi_Minh")
	day := time.Date(m.Year, m.Month, 15, 10, 5, 0, 0, loc)
	send := func(ts time.Time, stored int) {
		t.Helper()
		publish(t, s.broker.URL(), map[string]string{"stations/LC-AQ-01/air": fmt.Sprintf(`{"time": %q, "readings": {"pm25": 30}}`, ts.Format(time.RFC3339))})
		testenv.Eventually(t, 30*time.Second, func() (bool, string) {
			n := s.influx.Count("quantrac", `SELECT count("pm25") FROM "air"`)
			return n == stored, fmt.Sprintf("%d readings stored, want %d", n, stored)
		})
	}
	type doc struct {
		GeneratedAt time.Time `json:"generated_at"`
		Stations    []struct {
			Parameters []struct {
				Parameter     string `json:"parameter"`
				ReadingsValid int    `json:"readings_valid"`
			} `json:"parameters"`
		} `json:"stations"`
	}
	get := func() (generated time.Time, valid int) {
		var d doc
		body := s.get(t, "/api/v1/reports/"+m.String()+"?station=LC-AQ-01")
		if err := json.Unmarshal([]byte(body), &d); err != nil || len(d.Stations) != 1 {
			t.Fatalf("report: %v: %.300s", err, body)
		}
		for _, p := range d.Stations[0].Parameters {
			if p.Parameter == "pm25" {
				valid = p.ReadingsValid
			}
		}
		return d.GeneratedAt, valid
	}

	send(day, 1)
	first, valid := get()
	if valid != 1 {
		t.Fatalf("report of %s: %d valid PM2.5 readings, want 1", m, valid)
	}
	send(now.Add(-time.Minute), 2) // today's reading: not of the month
	if again, _ := get(); !again.Equal(first) {
		t.Errorf("report built again (generated %v, then %v) though nothing of %s changed", first, again, m)
	}
	send(day.Add(5*time.Minute), 3) // a late reading of the month
	testenv.Eventually(t, 10*time.Second, func() (bool, string) {
		generated, valid := get()
		return valid == 2 && generated.After(first), fmt.Sprintf("report generated %v with %d valid PM2.5 readings, want 2", generated, valid)
	})
}
