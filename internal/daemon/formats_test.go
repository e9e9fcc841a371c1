package daemon

import (
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/quantrac/quantrac/internal/testenv"
)

// The same readings sent as native JSON, a JSON backlog array, SenML and line protocol land as
// identical points (each format from its own station, so the points can be compared).
func TestFormatsLandIdentically(t *testing.T) {
	var stations = "stations:\n"
	for i := 1; i <= 4; i++ {
		stations += fmt.Sprintf("  - {id: F%d, kind: air, location: {lat: 22.4, lon: 103.4}}\n", i)
	}
	s := startStack(t, stations, nil)
	t0 := time.Now().UTC().Add(-time.Hour).Truncate(time.Minute)
	t1 := t0.Add(5 * time.Minute)
	rfc := func(t time.Time) string { return t.Format(time.RFC3339) }
	publishInOrder(t, s.broker.URL(), [][2]string{
		{"stations/F1/air", fmt.Sprintf(`{"time": %q, "readings": {"pm25": 38.2, "so2": {"value": 12, "unit": "ppb"}}}`, rfc(t0))},
		{"stations/F1/air", fmt.Sprintf(`{"time": %q, "readings": {"PM2.5": 40.1, "so2": {"value": 31.4, "unit": "µg/m³"}}}`, rfc(t1))},
		{"stations/F2/air", fmt.Sprintf(`[{"time": %q, "readings": {"pm25": 38.2, "so2": {"value": 0.012, "unit": "ppm"}}},
		                                  {"time": %q, "readings": {"pm25": 40.1, "so2": 31.4}}]`, rfc(t0), rfc(t1))},
		{"stations/F3/air", fmt.Sprintf(`[{"bn": "F3:", "bt": %d, "n": "pm25", "u": "ug/m3", "v": 38.2},
		                                  {"n": "so2", "u": "ppb", "v": 12},
		                                  {"n": "pm25", "t": 300, "u": "ug/m3", "v": 40.1},
		                                  {"n": "so2", "t": 300, "u": "ug/m3", "v": 31.4}]`, t0.Unix())},
		{"stations/F4/air", fmt.Sprintf("air,station=F4 pm25=38.2,so2=31.4 %d\nair,station=F4 pm25=40.1,so2=31.4 %d\n", t0.UnixNano(), t1.UnixNano())},
	})
	rows := map[string][]map[string]any{}
	testenv.Eventually(t, 30*time.Second, func() (bool, string) {
		for _, ser := range s.influx.Query("quantrac", `SELECT pm25, so2 FROM air GROUP BY station`) {
			rows[ser.Tags["station"]] = ser.Rows()
		}
		return len(rows) == 4 && len(rows["F1"]) == 2 && len(rows["F2"]) == 2 && len(rows["F3"]) == 2 && len(rows["F4"]) == 2,
			fmt.Sprintf("rows so far: %v", rows)
	})
	for _, st := range []string{"F2", "F3", "F4"} {
		if !reflect.DeepEqual(round(rows[st]), round(rows["F1"])) {
			t.Errorf("%s points %v differ from native JSON's %v", st, rows[st], rows["F1"])
		}
	}
}

// round rounds so2 to 0.01 µg/m³: 12 ppb and 31.4 µg/m³ are the same reading.
func round(rows []map[string]any) []map[string]any {
	out := make([]map[string]any, len(rows))
	for i, r := range rows {
		out[i] = map[string]any{"time": r["time"], "pm25": r["pm25"], "so2": float64(int(r["so2"].(float64)*10+0.5)) / 10}
	}
	return out
}
