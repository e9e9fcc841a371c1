package e2e

import (
	"fmt"
	"maps"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/quantrac/quantrac/internal/testenv"
)

// Hours of constant PM2.5 give, in both schemes, the same index as the table lookup of that
// concentration (`quantrac aqi`), hourly and daily, in the aqi measurement and in /metrics.
func TestAQIAcceptance(t *testing.T) {
	s := newServices(t, testenv.MosquittoOptions{Persistence: true})
	q := startQuantrac(t, s.writeConfig(t, `stations:
  - id: A-AQ-01
    kind: air
    location: {lat: 22.39, lon: 103.45}
    timezone: Asia/Ho_Chi_Minh
    aqi: [vn, us]
`, ""))
	end := time.Now().UTC().Add(-2 * time.Minute).Truncate(5 * time.Minute)
	publishAll(t, s.broker.URL(), "stations/A-AQ-01/air", backlog("pm25", 35.5, "00", 54*12, end))

	for _, scheme := range []string{"vn", "us"} {
		out, err := exec.Command(bin.quantrac, "aqi", "-scheme", scheme, "-param", "pm25", "-value", "35.5", "-period", "24h").Output()
		if err != nil {
			t.Fatalf("quantrac aqi: %v", err)
		}
		want, err := strconv.Atoi(strings.SplitN(string(out), "\n", 2)[0])
		if err != nil {
			t.Fatalf("quantrac aqi printed %q", out)
		}
		for _, period := range []string{"1h", "24h"} {
			name := fmt.Sprintf(`quantrac_aqi{period=%q,scheme=%q,station="A-AQ-01"}`, period, scheme)
			testenv.Eventually(t, 60*time.Second, func() (bool, string) {
				got := q.metric(name)
				m, _ := q.get("/metrics")
				return got == float64(want), fmt.Sprintf("%s = %v, want %d\n%s", name, got, want, grepLines(m, "quantrac_aqi", "quantrac_messages", "quantrac_readings"))
			})
			testenv.Eventually(t, 30*time.Second, func() (bool, string) {
				stored := s.influx.Query("quantrac", fmt.Sprintf(`SELECT last(aqi) FROM aqi WHERE scheme = '%s' AND period = '%s'`, scheme, period))
				return len(stored) > 0 && stored[0].Rows()[0]["last"] == float64(want),
					fmt.Sprintf("aqi measurement %s %s: %v, want %d", scheme, period, stored, want)
			})
		}
	}
}

// A backlog of three local days of hourly PM2.5, sent newest first in one message, gets the
// daily index of each of the three days in the aqi measurement, each the table lookup of its
// day's concentration (`quantrac aqi`), not only the newest day's.
func TestAQIBacklogEveryDay(t *testing.T) {
	s := newServices(t, testenv.MosquittoOptions{})
	startQuantrac(t, s.writeConfig(t, `stations:
  - id: A-AQ-02
    kind: air
    location: {lat: 22.39, lon: 103.45}
    timezone: Asia/Ho_Chi_Minh
    aqi: [vn, us]
`, ""))
	ict, err := time.LoadLocation("Asia/Ho_Chi_Minh")
	if err != nil {
		t.Fatal(err)
	}
	l := time.Now().In(ict)
	today := time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, ict)
	levels := []float64{35.5, 80, 15} // three days ago, two days ago, yesterday
	var records []string
	for h := 72; h >= 1; h-- { // newest first: today 00:00 (yesterday's last hour) … 01:00 three days ago
		at := today.Add(time.Duration(h-72) * time.Hour)
		records = append(records, fmt.Sprintf(`{"time": %q, "status": "00", "readings": {"pm25": %v}}`,
			at.Format(time.RFC3339), levels[(h-1)/24]))
	}
	publishAll(t, s.broker.URL(), "stations/A-AQ-02/air", []string{"[" + strings.Join(records, ",") + "]"})

	for _, scheme := range []string{"vn", "us"} {
		want := map[string]float64{}
		for i, v := range levels {
			out, err := exec.Command(bin.quantrac, "aqi", "-scheme", scheme, "-param", "pm25", "-value", fmt.Sprint(v), "-period", "24h").Output()
			if err != nil {
				t.Fatalf("quantrac aqi: %v", err)
			}
			n, err := strconv.Atoi(strings.SplitN(string(out), "\n", 2)[0])
			if err != nil {
				t.Fatalf("quantrac aqi printed %q", out)
			}
			want[today.AddDate(0, 0, i-2).UTC().Format(time.RFC3339)] = float64(n) // the day's end
		}
		testenv.Eventually(t, 60*time.Second, func() (bool, string) {
			got := map[string]float64{}
			for _, series := range s.influx.Query("quantrac", fmt.Sprintf(`SELECT aqi FROM aqi WHERE station = 'A-AQ-02' AND scheme = '%s' AND period = '24h'`, scheme)) {
				for _, row := range series.Rows() {
					got[fmt.Sprint(row["time"])], _ = row["aqi"].(float64)
				}
			}
			return maps.Equal(got, want), fmt.Sprintf("%s daily indices stored %v, want %v", scheme, got, want)
		})
	}
}

func grepLines(text string, prefixes ...string) string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		for _, p := range prefixes {
			if strings.HasPrefix(l, p) {
				out = append(out, l)
			}
		}
	}
	return strings.Join(out, "\n")
}
