package e2e

import (
	"encoding/json"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"github.com/quantrac/quantrac/internal/testenv"
)

// Messages of a station that was not registered when they arrived are quarantined, and
// `quantrac replay` recovers them once the station is added — twice without duplicates.
func TestReplayRecoversUnknownStation(t *testing.T) {
	s := newServices(t, testenv.MosquittoOptions{Persistence: true})
	cfg := s.writeConfig(t, laiChau, "")
	q := startQuantrac(t, cfg)
	now := time.Now().UTC().Truncate(time.Minute)
	c := mqtt.NewClient(mqtt.NewClientOptions().AddBroker(s.broker.URL()).SetClientID("new-station"))
	if tok := c.Connect(); tok.Wait() && tok.Error() != nil {
		t.Fatal(tok.Error())
	}
	for i := range 5 {
		payload := fmt.Sprintf(`{"time": %q, "readings": {"pm25": %d, "pm10": %d}}`, now.Add(-time.Duration(i)*5*time.Minute).Format(time.RFC3339), 20+i, 40+i)
		if tok := c.Publish("stations/LC-AQ-99/air", 1, false, payload); tok.Wait() && tok.Error() != nil {
			t.Fatal(tok.Error())
		}
	}
	c.Disconnect(100)
	testenv.Eventually(t, 30*time.Second, func() (bool, string) {
		n := s.influx.Count("quantrac", `SELECT count(payload) FROM rejected_messages WHERE reason = 'unknown_station'`)
		return n == 5, fmt.Sprintf("%d quarantined", n)
	})
	if got := q.metric(`quantrac_messages_total{result="unknown_station"}`); got != 5 {
		t.Errorf("unknown_station messages = %v", got)
	}
	// The station's id never becomes a metric series or a tag value while it is unknown.
	if body, _ := q.get("/metrics"); strings.Contains(body, "LC-AQ-99") {
		t.Error("/metrics mentions the unregistered station")
	}

	write(t, filepath.Join(s.dir, "stations.yaml"), laiChau+`  - id: LC-AQ-99
    kind: air
    location: {lat: 22.4, lon: 103.5}
`)
	for round := 1; round <= 2; round++ {
		out, err := exec.Command(bin.quantrac, "replay", "-config", cfg, "-since", "1h", "-reason", "unknown_station").Output()
		if err != nil {
			t.Fatalf("replay: %v %s", err, out)
		}
		var rep struct {
			Messages int            `json:"messages"`
			Results  map[string]int `json:"results"`
		}
		if err := json.Unmarshal(out, &rep); err != nil {
			t.Fatalf("replay output %q: %v", out, err)
		}
		if rep.Messages != 5 || rep.Results["accepted"] != 5 {
			t.Errorf("round %d: replay report %+v", round, rep)
		}
		if n := s.influx.Count("quantrac", `SELECT count(pm25) FROM air WHERE station = 'LC-AQ-99'`); n != 5 {
			t.Errorf("round %d: %d pm25 points of LC-AQ-99, want 5", round, n)
		}
	}
	if n := s.influx.Count("quantrac", `SELECT count(payload) FROM rejected_messages`); n != 5 {
		t.Errorf("replay added quarantine entries: %d, want the original 5", n)
	}
}
