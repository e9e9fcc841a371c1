package e2e

import (
	"fmt"
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
