package e2e

import (
	"fmt"
	"syscall"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"github.com/quantrac/quantrac/internal/testenv"
)

// Exploratory broker faults (SECURITY.md "Broker and disk faults"): retained messages, QoS 2
// publishers, a broker that stops answering, session expiry. Each runs real Mosquitto,
// quantrac and InfluxDB processes and counts what InfluxDB holds.

const exploreStations = `stations:
  - id: X-AQ-01
    kind: air
    location: {lat: 22.39, lon: 103.45}
`

// airJSON is one pm25 reading of X-AQ-01 at t.
func airJSON(t time.Time, v float64) string {
	return fmt.Sprintf(`{"time": %q, "status": "00", "readings": {"pm25": %v}}`, t.UTC().Format(time.RFC3339), v)
}

// pm25Stored is how many pm25 readings InfluxDB holds.
func pm25Stored(s *services) int { return s.influx.Count("quantrac", `SELECT count(pm25) FROM air`) }

// connectPub connects a paho publisher to url.
func connectPub(t *testing.T, url, id string) mqtt.Client {
	t.Helper()
	c := mqtt.NewClient(mqtt.NewClientOptions().AddBroker(url).SetClientID(id).SetCleanSession(true))
	if tok := c.Connect(); tok.Wait() && tok.Error() != nil {
		t.Fatal(tok.Error())
	}
	t.Cleanup(func() { c.Disconnect(100) })
	return c
}

func publishOne(t *testing.T, c mqtt.Client, topic string, qos byte, retained bool, payload string) {
	t.Helper()
	if tok := c.Publish(topic, qos, retained, payload); tok.Wait() && tok.Error() != nil {
		t.Fatal(tok.Error())
	}
}

// The broker sends a topic's retained message again on every SUBSCRIBE, and quantrac
// subscribes on every connection: a station's retained reading is received again at each
// restart and reconnection, and lands on the same point (its own timestamp), so InfluxDB
// holds it once. A retained message of an unknown station is rejected again each time: one
// more rejected_messages entry (stamped with the receive time) per subscription.
func TestRetainedMessagesOnResubscribe(t *testing.T) {
	s := newServices(t, testenv.MosquittoOptions{Persistence: true})
	pub := connectPub(t, s.broker.URL(), "retained-station")
	publishOne(t, pub, "stations/X-AQ-01/air", 1, true, airJSON(time.Now().Add(-time.Hour).Truncate(time.Minute), 12))
	publishOne(t, pub, "stations/X-UNKNOWN/air", 1, true, airJSON(time.Now().Add(-time.Hour).Truncate(time.Minute), 13))
	q := startQuantrac(t, s.writeConfig(t, exploreStations, ""))
	unknown := func() int {
		return s.influx.Count("quantrac", `SELECT count(payload) FROM rejected_messages WHERE "reason" = 'unknown_station'`)
	}
	for i, round := range []struct {
		reconnect func()
		accepted  float64 // since quantrac's start
	}{
		{func() {}, 1}, // the first subscription
		{func() { q.signal(syscall.SIGTERM); q.start() }, 1},    // a restart
		{func() { s.broker.Restart(); waitConnected(t, q) }, 2}, // a reconnection of the same process
	} {
		round.reconnect()
		testenv.Eventually(t, 30*time.Second, func() (bool, string) {
			got := q.metric(`quantrac_messages_total{result="accepted"}`)
			return got == round.accepted && unknown() == i+1, fmt.Sprintf("round %d: %v messages accepted (want %v), %d unknown_station entries (want %d)",
				i, got, round.accepted, unknown(), i+1)
		})
		testenv.Eventually(t, 10*time.Second, func() (bool, string) {
			return q.metric("quantrac_readings_durable_total") >= 1, "retained reading not durable"
		})
		if n := pm25Stored(s); n != 1 {
			t.Fatalf("round %d: InfluxDB holds %d pm25 readings, want 1 (the retained one, on its own point)", i, n)
		}
	}
}

// waitConnected waits until quantrac says it is connected to the broker again.
func waitConnected(t *testing.T, q *quantrac) {
	t.Helper()
	testenv.Eventually(t, time.Minute, func() (bool, string) {
		v := q.metric("quantrac_mqtt_connected")
		return v == 1, fmt.Sprintf("quantrac_mqtt_connected %v", v)
	})
}
