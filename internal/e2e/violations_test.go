package e2e

import (
	"encoding/json"
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"github.com/quantrac/quantrac/internal/testenv"
)

const violationStations = `stations:
  - id: V-AQ-HIGH
    kind: air
    location: {lat: 22.39, lon: 103.45}
    regulations: [QCVN-05:2023]
  - id: V-AQ-HALF
    kind: air
    location: {lat: 22.39, lon: 103.45}
    regulations: [QCVN-05:2023]
  - id: V-AQ-FEW
    kind: air
    location: {lat: 22.39, lon: 103.45}
    regulations: [QCVN-05:2023]
  - id: V-AQ-CAL
    kind: air
    location: {lat: 22.39, lon: 103.45}
    regulations: [QCVN-05:2023]
  - id: V-WW-01
    kind: wastewater
    location: {lat: 22.39, lon: 103.47}
    limits:
      - {parameter: cod, max: 75, unit: mg/L}
`

// backlog returns JSON backlog arrays of n readings of one parameter, every 5 minutes,
// ending at end, in chunks of 48 messages.
func backlog(param string, value float64, status string, n int, end time.Time) []string {
	var msgs []string
	var cur []string
	for i := n - 1; i >= 0; i-- {
		t := end.Add(-time.Duration(i) * 5 * time.Minute)
		cur = append(cur, fmt.Sprintf(`{"time": %q, "status": %q, "readings": {%q: %v}}`, t.Format(time.RFC3339), status, param, value))
		if len(cur) == 48 || i == 0 {
			msgs = append(msgs, "["+strings.Join(cur, ",")+"]")
			cur = nil
		}
	}
	return msgs
}

func publishAll(t *testing.T, url string, topic string, payloads []string) {
	t.Helper()
	c := mqtt.NewClient(mqtt.NewClientOptions().AddBroker(url).SetClientID("violation-sender"))
	if tok := c.Connect(); tok.Wait() && tok.Error() != nil {
		t.Fatal(tok.Error())
	}
	defer c.Disconnect(100)
	for _, p := range payloads {
		if tok := c.Publish(topic, 1, false, p); tok.Wait() && tok.Error() != nil {
			t.Fatal(tok.Error())
		}
	}
}

// A local calendar day of 5-minute PM2.5 at 60 µg/m³ violates QCVN 05:2023's 24 h limit (45
// from 2026) with ratio 60/45 when its last reading (stamped 24:00) closes it; too few
// readings, calibration readings and half the limit do not; a permit COD limit without a
// period fires on its first reading as regulation "permit", period sample; each start is in
// `violations` with its evidence; after SIGTERM and a restart with no new data the violation
// is reported again from the stored state, without a second start.
func TestViolationsAcceptance(t *testing.T) {
	s := newServices(t, testenv.MosquittoOptions{Persistence: true})
	cfg := s.writeConfig(t, violationStations, "")
	q := startQuantrac(t, cfg)
	ict, err := time.LoadLocation("Asia/Ho_Chi_Minh") // the stations' default zone
	if err != nil {
		t.Fatal(err)
	}
	l := time.Now().In(ict)
	end := time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, ict) // yesterday's last reading: 24:00
	publishAll(t, s.broker.URL(), "stations/V-AQ-HIGH/air", backlog("pm25", 60, "00", 288, end))
	publishAll(t, s.broker.URL(), "stations/V-AQ-HALF/air", backlog("pm25", 22.5, "00", 288, end))
	publishAll(t, s.broker.URL(), "stations/V-AQ-FEW/air", backlog("pm25", 60, "00", 150, end)) // 52 % capture
	publishAll(t, s.broker.URL(), "stations/V-AQ-CAL/air", backlog("pm25", 60, "01", 288, end))
	publishAll(t, s.broker.URL(), "stations/V-WW-01/wastewater", backlog("cod", 100, "00", 12, end))

	high := `quantrac_violation{force="binding",parameter="pm25",period="24h",regulation="QCVN-05:2023",station="V-AQ-HIGH"}`
	permit := `quantrac_violation{force="binding",parameter="cod",period="sample",regulation="permit",station="V-WW-01"}`
	testenv.Eventually(t, 60*time.Second, func() (bool, string) {
		return q.metric(high) == 1 && q.metric(permit) == 1, fmt.Sprintf("violation high=%v permit=%v", q.metric(high), q.metric(permit))
	})
	ratio := q.metric(`quantrac_limit_ratio{force="binding",parameter="pm25",period="24h",regulation="QCVN-05:2023",station="V-AQ-HIGH"}`)
	if ratio < 60.0/45-0.001 || ratio > 60.0/45+0.001 {
		t.Errorf("limit ratio %v, want 60/45 = 1.333 (the 2026 limit)", ratio)
	}
	for _, st := range []string{"V-AQ-HALF", "V-AQ-FEW", "V-AQ-CAL"} {
		if v := q.metric(`quantrac_violation{force="binding",parameter="pm25",period="24h",regulation="QCVN-05:2023",station="` + st + `"}`); v != 0 {
			t.Errorf("%s: quantrac_violation = %v, want 0", st, v)
		}
	}
	if c := q.metric(`quantrac_window_coverage_ratio{force="binding",parameter="pm25",period="24h",regulation="QCVN-05:2023",station="V-AQ-FEW"}`); c > 0.75 {
		t.Errorf("V-AQ-FEW coverage %v, want below 0.75", c)
	}
	testenv.Eventually(t, 30*time.Second, func() (bool, string) {
		n := s.influx.Count("quantrac", `SELECT count(ratio) FROM violations WHERE "state" = 'started'`)
		return n == 2, fmt.Sprintf("%d violation starts recorded", n)
	})
	// The record follows the stored readings: a day closed before all its readings were in
	// (the daemon decodes a station's messages concurrently) is re-judged within seconds.
	dayStart := end.Add(-24 * time.Hour).UTC().Format(time.RFC3339)
	var ev map[string]any
	testenv.Eventually(t, 30*time.Second, func() (bool, string) {
		ev = s.influx.Query("quantrac", `SELECT * FROM violations WHERE station = 'V-AQ-HIGH' AND "state" != 'withdrawn'`)[0].Rows()[0]
		return ev["count"] == 24.0, fmt.Sprintf("evidence %v, want the day's 24 hours", ev)
	})
	for _, f := range []string{"value", "limit", "ratio", "coverage", "count", "window_start", "window_end", "version", "statistic", "unit"} {
		if ev[f] == nil {
			t.Errorf("violation evidence lacks %s: %v", f, ev)
		}
	}
	if ev["limit"] != 45.0 || ev["value"] != 60.0 || ev["count"] != 24.0 || ev["coverage"] != 1.0 || ev["statistic"] != "mean" || ev["force"] != "binding" ||
		ev["window_start"] != dayStart || ev["window_end"] != end.UTC().Format(time.RFC3339) {
		t.Errorf("evidence = %v, want the day from %s: 24 hourly means of 60", ev, dayStart)
	}
	var api struct {
		Violations []map[string]any `json:"violations"`
	}
	body, _ := q.get("/api/v1/violations")
	if err := json.Unmarshal([]byte(body), &api); err != nil || len(api.Violations) != 2 {
		t.Errorf("/api/v1/violations = %s (%v)", body, err)
	}
	for _, v := range api.Violations { // a QCVN limit and a permit bind a Vietnamese station
		if v["force"] != "binding" {
			t.Errorf("/api/v1/violations: %v, want force binding", v)
		}
	}

	q.signal(syscall.SIGTERM)
	q.start()
	testenv.Eventually(t, 60*time.Second, func() (bool, string) {
		return q.metric(high) == 1 && q.metric(permit) == 1, fmt.Sprintf("after restart: high=%v permit=%v", q.metric(high), q.metric(permit))
	})
	if n := s.influx.Count("quantrac", `SELECT count(ratio) FROM violations WHERE "state" = 'started'`); n != 2 {
		t.Errorf("restart recorded %d starts, want still 2", n)
	}
}
