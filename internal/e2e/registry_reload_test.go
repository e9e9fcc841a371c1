package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"github.com/quantrac/quantrac/internal/testenv"
)

// TestRegistryReloadRefuses: a SIGHUP with a stations file that `quantrac check` refuses — a
// tag value line protocol cannot carry, or no station at all — keeps the old registry: the
// station's readings are still accepted and written with its old tags, and the log names file,
// line, key and reason.
func TestRegistryReloadRefuses(t *testing.T) {
	s := newServices(t, testenv.MosquittoOptions{Persistence: true})
	cfg := s.writeConfig(t, laiChau, "")
	q := startQuantrac(t, cfg)
	c := mqtt.NewClient(mqtt.NewClientOptions().AddBroker(s.broker.URL()).SetClientID("reload-station"))
	if tok := c.Connect(); tok.Wait() && tok.Error() != nil {
		t.Fatal(tok.Error())
	}
	defer c.Disconnect(100)
	at := time.Now().UTC().Truncate(time.Minute).Add(-time.Hour)
	sent := 0
	publish := func() {
		t.Helper()
		sent++
		payload := fmt.Sprintf(`{"time": %q, "readings": {"pm25": %d}}`, at.Add(time.Duration(sent)*time.Minute).Format(time.RFC3339), 20+sent)
		if tok := c.Publish("stations/LC-AQ-01/air", 1, false, payload); tok.Wait() && tok.Error() != nil {
			t.Fatal(tok.Error())
		}
		testenv.Eventually(t, 30*time.Second, func() (bool, string) {
			n := s.influx.Count("quantrac", `SELECT count(pm25) FROM air WHERE station = 'LC-AQ-01' AND province = 'Lai Châu'`)
			return n == sent, fmt.Sprintf("%d of %d readings of LC-AQ-01 stored with its registry tags (unknown_station: %v)",
				n, sent, q.metric(`quantrac_messages_total{result="unknown_station"}`))
		})
	}
	publish()

	stationsFile := filepath.Join(s.dir, "stations.yaml")
	for _, tc := range []struct {
		name, stations, wantLog string
	}{
		{"tag value ending in a backslash", strings.Replace(laiChau, `tags: {province: "Lai Châu"}`, `tags: {province: 'Lai Châu\'}`, 1),
			`stations.yaml:2: stations[0].tags.province: value \"Lai Châu\\\\\" ends in a backslash`},
		{"no station", "stations: []\n", "stations.yaml: stations: no station registered"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			write(t, stationsFile, tc.stations)
			if err := q.cmd.Process.Signal(syscall.SIGHUP); err != nil {
				t.Fatal(err)
			}
			testenv.Eventually(t, 10*time.Second, func() (bool, string) {
				logs, _ := os.ReadFile(q.logPath)
				return strings.Contains(string(logs), tc.wantLog), "no reload error naming " + tc.wantLog + " in the log:\n" + tail(q.logPath, 5)
			})
			publish()
		})
	}
	if n := q.metric(`quantrac_registry_reloads_total{result="success"}`); n != 0 {
		t.Errorf("%v reloads counted as successful", n)
	}
}
