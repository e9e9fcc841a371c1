package e2e

import (
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/quantrac/quantrac/internal/testenv"
)

const straddleStations = `stations:
  - id: V-AQ-DAY
    kind: air
    location: {lat: 22.39, lon: 103.45}
    regulations: [QCVN-05:2023]
`

// A station whose 24 h PM2.5 day straddles its owner's death still gets its violation, once,
// with the day's full evidence: the first half of the day reaches the pinned instance of
// m1, which is SIGKILLed; the standby takes the partition over, rebuilds the station from
// InfluxDB, and the second half completes the day. Without the rebuild the standby would
// hold 12 of the day's 24 hours, below the 18 a valid day needs, and decide nothing.
func TestClusterViolationStraddlesOwnerDeath(t *testing.T) {
	s := newNATSServices(t, 1)
	cfgA := s.writeInstance(t, "m1a", "m1", 0, straddleStations, "")
	cfgB := s.writeInstance(t, "m1b", "m1", 1, straddleStations, "")
	startCommand(t, "relay", s.writeInstance(t, "relay", "", 0, straddleStations, ""))
	q := map[string]*quantrac{"m1a": startCommand(t, "run", cfgA), "m1b": startCommand(t, "run", cfgB)}

	loc, err := time.LoadLocation("Asia/Ho_Chi_Minh")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().In(loc)
	day := time.Date(now.Year(), now.Month(), now.Day()-1, 0, 0, 0, 0, loc) // yesterday, closed
	publishAll(t, s.brokers[0].URL(), "stations/V-AQ-DAY/air", backlog("pm25", 60, "00", 144, day.Add(12*time.Hour)))
	testenv.Eventually(t, time.Minute, func() (bool, string) {
		n := s.influx.Count("quantrac", `SELECT count(pm25) FROM air WHERE station = 'V-AQ-DAY'`)
		return n == 144, fmt.Sprintf("%d of the first 144 readings stored", n)
	})
	var pinned, standby string
	testenv.Eventually(t, 30*time.Second, func() (bool, string) {
		a, b := q["m1a"].metric("quantrac_nats_pinned"), q["m1b"].metric("quantrac_nats_pinned")
		switch {
		case a == 1 && b == 0:
			pinned, standby = "m1a", "m1b"
		case b == 1 && a == 0:
			pinned, standby = "m1b", "m1a"
		default:
			return false, fmt.Sprintf("pinned: m1a=%v m1b=%v", a, b)
		}
		return true, ""
	})
	// The standby owns nothing yet: it counts as rebuilt (no false QuantracRulesNotRebuilt)
	// and exports no verdict for the station it does not judge.
	if v := q[standby].metric("quantrac_rules_rebuilt"); v != 1 {
		t.Errorf("standby: quantrac_rules_rebuilt = %v, want 1", v)
	}
	if body, _ := q[standby].get("/metrics"); strings.Contains(body, `quantrac_violations_total{`) {
		t.Error("the standby exports verdicts for a station it does not own")
	}
	q[pinned].signal(syscall.SIGKILL)
	publishAll(t, s.brokers[0].URL(), "stations/V-AQ-DAY/air", backlog("pm25", 60, "00", 144, day.Add(24*time.Hour)))

	violation := `quantrac_violation{force="binding",parameter="pm25",period="24h",regulation="QCVN-05:2023",station="V-AQ-DAY"}`
	testenv.Eventually(t, 90*time.Second, func() (bool, string) {
		v := q[standby].metric(violation)
		return v == 1, fmt.Sprintf("%s on the standby = %v", violation, v)
	})
	testenv.Eventually(t, 30*time.Second, func() (bool, string) {
		n := s.influx.Count("quantrac", `SELECT count(ratio) FROM violations WHERE station = 'V-AQ-DAY' AND period = '24h' AND "state" = 'started'`)
		return n == 1, fmt.Sprintf("%d violation starts recorded", n)
	})
	// The standby received 12 of the day's hours itself; the evidence must count the dead
	// owner's too: all 24 valid hours of the calendar day (count is valid hours for a 24-h
	// mean). The pipeline may hand the standby the day's last message before an earlier one;
	// the day is then decided on the hours in, and its start re-written (the same point) when
	// the rest arrive.
	var ev map[string]any
	testenv.Eventually(t, 30*time.Second, func() (bool, string) {
		ev = s.influx.Query("quantrac", `SELECT * FROM violations WHERE station = 'V-AQ-DAY' AND period = '24h'`)[0].Rows()[0]
		count, _ := ev["count"].(float64)
		start, _ := time.Parse(time.RFC3339, fmt.Sprint(ev["window_start"]))
		return count == 24 && ev["coverage"] == 1.0 && ev["value"] == 60.0 && start.Equal(day),
			fmt.Sprintf("violation evidence = %v, want the day's 24 hours, the dead owner's among them", ev)
	})
	t.Logf("violation evidence after the owner's death: %v", ev)
	if v := q[standby].metric("quantrac_nats_partition_acquisitions_total"); v == 0 {
		t.Error("the standby never acquired the partition")
	}
}
