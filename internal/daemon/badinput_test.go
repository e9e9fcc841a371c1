package daemon

import (
	"fmt"
	"strings"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"github.com/quantrac/quantrac/internal/testenv"
)

// publishInOrder sends messages at QoS 1 in the given order.
func publishInOrder(t *testing.T, brokerURL string, msgs [][2]string) {
	t.Helper()
	c := mqtt.NewClient(mqtt.NewClientOptions().AddBroker(brokerURL).SetClientID("test-ordered"))
	if tok := c.Connect(); tok.Wait() && tok.Error() != nil {
		t.Fatal(tok.Error())
	}
	defer c.Disconnect(100)
	for _, m := range msgs {
		if tok := c.Publish(m[0], 1, false, m[1]); tok.Wait() && tok.Error() != nil {
			t.Fatal(tok.Error())
		}
	}
}

// A corpus of bad messages never stops quantrac: each is counted under its reason and kept
// verbatim in rejected_messages, and a good message after them is accepted.
func TestBadInputCountedKeptAndHarmless(t *testing.T) {
	s := startStack(t, testStations, func(c *configT) { c.Limits.MaxPayloadBytes = 64 << 10 })
	now := time.Now().UTC().Truncate(time.Second)
	ts := func(d time.Duration) string { return now.Add(d).Format(time.RFC3339) }
	bad := []struct{ topic, payload, result, reason string }{
		{"stations/LC-AQ-01/air", `{"time": "` + ts(0) + `", "readings": {"pm25": 1`, "malformed", "malformed"},
		{"stations/LC-XX-99/air", `{"time": "` + ts(0) + `", "readings": {"pm25": 10}}`, "unknown_station", "unknown_station"},
		{"stations/LC-AQ-01/air", `{"time": "` + ts(0) + `", "station": "LC-WW-01", "readings": {"pm25": 10}}`, "forbidden", "forbidden"},
		{"stations/LC-AQ-01/wastewater", `{"time": "` + ts(0) + `", "readings": {"cod": 10}}`, "forbidden", "forbidden"},
		{"stations/LC-AQ-01/air", `{"time": "` + ts(2*time.Hour) + `", "readings": {"pm25": 10}}`, "invalid", "future_time"},
		{"stations/LC-AQ-01/air", `{"time": "` + ts(0) + `", "readings": {"pm25": "NaN"}}`, "invalid", "not_a_number"},
		{"stations/LC-AQ-01/air", `{"time": "` + ts(0) + `", "readings": {"pm25": -5}}`, "invalid", "out_of_range"},
		{"stations/LC-AQ-01/air", `{"time": "` + ts(0) + `", "readings": {"pm25": 10, "pad": "` + strings.Repeat("x", 70_000) + `"}}`, "too_large", "too_large"},
		{"stations/LC-AQ-01/status", `{"battery": "low"}`, "malformed", "malformed"},
		{"stations/LC-AQ-01/air", hostile(now), "invalid", "unknown_parameter"},
	}
	var msgs [][2]string
	for _, b := range bad {
		msgs = append(msgs, [2]string{b.topic, b.payload})
	}
	good := `{"time": "` + ts(-time.Minute) + `", "readings": {"pm25": 12.5, "so2": {"value": 12, "unit": "ppb"}}}`
	msgs = append(msgs, [2]string{"stations/LC-AQ-01/air", good})
	publishInOrder(t, s.broker.URL(), msgs)

	testenv.Eventually(t, 30*time.Second, func() (bool, string) {
		n := s.influx.Count("quantrac", `SELECT count(pm25) FROM air`)
		return n == 1, fmt.Sprintf("%d good points", n)
	})
	rows := s.influx.Query("quantrac", `SELECT so2 FROM air`)[0].Rows()
	if so2 := rows[0]["so2"].(float64); so2 < 31.35 || so2 > 31.45 {
		t.Errorf("SO2 12 ppb stored as %v µg/m³, want 31.4", so2)
	}
	testenv.Eventually(t, 30*time.Second, func() (bool, string) {
		n := s.influx.Count("quantrac", `SELECT count(payload) FROM rejected_messages`)
		return n == len(bad), fmt.Sprintf("%d of %d kept", n, len(bad))
	})
	kept := map[string]string{}
	for _, r := range s.influx.Query("quantrac", `SELECT payload, reason FROM rejected_messages`)[0].Rows() {
		kept[r["payload"].(string)] = r["reason"].(string)
	}
	metrics := s.get(t, "/metrics")
	for _, b := range bad {
		want := b.payload
		if b.result == "too_large" {
			want = b.payload[:64<<10]
		}
		if reason, ok := kept[want]; !ok || reason != b.reason {
			t.Errorf("%s: kept=%v reason=%q, want verbatim payload with reason %q", b.result, ok, reason, b.reason)
		}
	}
	for _, r := range s.influx.Query("quantrac", `SELECT reason, station, error FROM rejected_messages`)[0].Rows() {
		if r["reason"] == "too_large" && r["station"] != "LC-AQ-01" {
			t.Errorf("the too_large message of a registered station is kept without its station tag: %v", r["station"])
		}
		if e, _ := r["error"].(string); len(e) > 8192 {
			t.Errorf("%s: error field of %d bytes, want it bounded", r["reason"], len(e))
		}
	}
	// hostile has 3,000 unknown keys: 1,000 (limits.max_readings) are unknown_parameter and
	// the rest too_many_readings, all counted though only 100 are itemized.
	for _, want := range []string{`quantrac_readings_rejected_total{reason="unknown_parameter"} 1000`, `quantrac_readings_rejected_total{reason="too_many_readings"} 2000`} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %q: every rejected reading of a message is counted", want)
		}
	}
	for result, n := range map[string]int{"accepted": 1, "malformed": 2, "unknown_station": 1, "forbidden": 2, "invalid": 4, "too_large": 1} {
		want := fmt.Sprintf(`quantrac_messages_total{result="%s"} %d`, result, n)
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	for _, reason := range []string{"future_time", "not_a_number", "out_of_range"} {
		want := fmt.Sprintf(`quantrac_readings_rejected_total{reason="%s"} 1`, reason)
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}

// A message with status 01 lands in air_flagged, with its status, and not in air.
func TestFlaggedReadingsGoApart(t *testing.T) {
	s := startStack(t, testStations, nil)
	t0 := time.Now().UTC().Add(-10 * time.Minute).Truncate(time.Second)
	publishInOrder(t, s.broker.URL(), [][2]string{
		{"stations/LC-AQ-01/air", fmt.Sprintf(`{"time": %q, "status": "01", "readings": {"pm25": 80}}`, t0.Format(time.RFC3339))},
		{"stations/LC-AQ-01/air", fmt.Sprintf(`{"time": %q, "readings": {"pm10": 40, "pm25": {"value": 20, "status": "02"}}}`, t0.Add(5*time.Minute).Format(time.RFC3339))},
	})
	testenv.Eventually(t, 30*time.Second, func() (bool, string) {
		n := s.influx.Count("quantrac", `SELECT count(pm25) FROM air_flagged`)
		return n == 2, fmt.Sprintf("%d flagged", n)
	})
	if n := s.influx.Count("quantrac", `SELECT count(pm25) FROM air`); n != 0 {
		t.Errorf("%d flagged pm25 readings in the valid measurement", n)
	}
	if n := s.influx.Count("quantrac", `SELECT count(pm10) FROM air`); n != 1 {
		t.Errorf("valid pm10 of a partly flagged message: %d points, want 1", n)
	}
	rows := s.influx.Query("quantrac", `SELECT pm25, pm25_status FROM air_flagged`)[0].Rows()
	if rows[0]["pm25_status"] != "01" || rows[1]["pm25_status"] != "02" || rows[1]["pm25"] != 20.0 {
		t.Errorf("flagged rows = %v", rows)
	}
}

// hostile is a message of 3,000 unknown keys (30 KB): it must not cost 3,000 explanations in
// the error field nor 3,000 counter increments.
func hostile(now time.Time) string {
	var b strings.Builder
	fmt.Fprintf(&b, `{"time": %q, "readings": {`, now.Format(time.RFC3339))
	for i := range 3000 {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `"k%d": 1`, i)
	}
	b.WriteString("}}")
	return b.String()
}

// Readings with no time of their own — InfluxDB line protocol without a timestamp, SenML
// without bt or t — would be stamped with the receive time, so that a message the broker
// redelivers after a crash is stored twice: 50 such messages, each sent twice, store nothing
// and are each kept in rejected_messages with reason no_time.
func TestNoTimeReadingsRefused(t *testing.T) {
	s := startStack(t, testStations, nil)
	var msgs [][2]string
	for i := range 25 {
		line := fmt.Sprintf("air,station=LC-AQ-01 pm25=%d", 10+i)
		senml := fmt.Sprintf(`[{"bn": "LC-AQ-01/", "n": "pm25", "u": "ug/m3", "v": %d}]`, 40+i)
		for range 2 { // the broker's redelivery
			msgs = append(msgs, [2]string{"stations/LC-AQ-01/air", line}, [2]string{"stations/LC-AQ-01/air", senml})
		}
	}
	publishInOrder(t, s.broker.URL(), msgs)
	testenv.Eventually(t, 30*time.Second, func() (bool, string) {
		n := s.influx.Count("quantrac", `SELECT count(payload) FROM rejected_messages WHERE "reason" = 'no_time'`)
		return n == 100, fmt.Sprintf("%d of 100 messages kept as no_time", n)
	})
	if n := s.influx.Count("quantrac", `SELECT count(pm25) FROM air`); n != 0 {
		t.Errorf("%d readings stored, want none", n)
	}
}
