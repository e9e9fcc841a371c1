package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/quantrac/quantrac/internal/testenv"
)

const laiChau = `stations:
  - id: LC-AQ-01
    name: "Trạm không khí TP Lai Châu"
    kind: air
    location: {lat: 22.3964, lon: 103.4582}
    tags: {province: "Lai Châu"}
    regulations: [QCVN-05:2023]
    aqi: [vn, us]
  - id: LC-WW-01
    kind: wastewater
    location: {lat: 22.389, lon: 103.47}
    tags: {province: "Lai Châu"}
    regulations: [QCVN-40:2011/B]
    coefficients: {kq: 0.9, kf: 1.0}
`

// stationsim -stations-file feeds a running quantrac, in every payload format, and every
// reading it sent lands in InfluxDB.
func TestStationsimFeedsQuantrac(t *testing.T) {
	s := newServices(t, testenv.MosquittoOptions{Persistence: true})
	q := startQuantrac(t, s.writeConfig(t, laiChau, ""))
	start := time.Now().Add(-48 * time.Hour).UTC().Truncate(time.Hour)
	total, messages := 0.0, 0.0
	for i, format := range []string{"json", "senml", "line", "tt10"} {
		// Each format covers its own 10 hours of measurement time, so points never overlap.
		from := start.Add(time.Duration(i) * 10 * time.Hour)
		sum := stationsim(t, "-broker", s.broker.URL(), "-stations-file", s.dir+"/stations.yaml",
			"-format", format, "-start", from.Format(time.RFC3339), "-step", "5m", "-count", "200",
			"-rate", "0", "-seed", fmt.Sprint(i+1))
		if sum["sent"] != 200 || sum["failed"] != 0 {
			t.Fatalf("%s: stationsim summary %v", format, sum)
		}
		total += sum["readings"]
		messages += sum["sent"] + sum["status"] // status messages (online/offline) are accepted too
	}
	testenv.Eventually(t, 60*time.Second, func() (bool, string) {
		got := float64(countPoints(t, s.influx))
		return got == total, fmt.Sprintf("%v of %v readings in InfluxDB; messages %v", got, total, q.metric("quantrac_messages_total"))
	})
	if got := q.metric(`quantrac_messages_total{result="accepted"}`); got != messages {
		t.Errorf("accepted messages = %v, want %v", got, messages)
	}
	if got := q.metric(`quantrac_messages_total`); got != messages {
		t.Errorf("messages counted = %v, want %v: some were rejected", got, messages)
	}
}

// countPoints counts the readings (field values) stored in the air and wastewater
// measurements and their flagged twins.
func countPoints(t testing.TB, in *testenv.Influx) int {
	n := 0
	for _, m := range []string{"air", "wastewater", "air_flagged", "wastewater_flagged"} {
		for _, s := range in.Query("quantrac", "SELECT count(*) FROM "+m) {
			for _, row := range s.Rows() {
				for col, v := range row {
					if f, ok := v.(float64); ok && col != "time" && !strings.HasSuffix(col, "_status") {
						n += int(f)
					}
				}
			}
		}
	}
	return n
}
