package daemon

import (
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"github.com/quantrac/quantrac/config"
	"github.com/quantrac/quantrac/internal/testenv"
)

const testStations = `stations:
  - id: LC-AQ-01
    name: "Trạm không khí TP Lai Châu"
    kind: air
    location: {lat: 22.3964, lon: 103.4582}
    tags: {province: "Lai Châu"}
    interval: 5m
  - id: LC-WW-01
    kind: wastewater
    location: {lat: 22.39, lon: 103.47}
    tags: {province: "Lai Châu", site: "KCN"}
`

// stack is a running quantrac against a real Mosquitto and InfluxDB.
type stack struct {
	broker *testenv.Broker
	influx *testenv.Influx
	d      *Daemon
	dir    string
	cfg    *config.Config
	tune   func(*Daemon)
	stop   func()
	tb     testing.TB // the test the stack belongs to: it stops the daemon at its end
}

type configT = config.Config

func startStack(t testing.TB, stations string, edit func(*config.Config)) *stack {
	t.Helper()
	return startStackTuned(t, stations, edit, nil)
}

// startStackTuned is startStack with tune applied to the daemon before it runs.
func startStackTuned(t testing.TB, stations string, edit func(*config.Config), tune func(*Daemon)) *stack {
	t.Helper()
	s := &stack{
		// A burst of thousands of messages (the property test's backlogs) is queued in full
		// rather than dropped beyond Mosquitto's default 1000 per client.
		broker: testenv.Mosquitto(t, testenv.MosquittoOptions{Persistence: true, MaxInflight: 1000, MaxQueued: 1000000}),
		influx: testenv.InfluxDB(t, testenv.InfluxOptions{}),
		dir:    t.TempDir(),
		tune:   tune,
		tb:     t,
	}
	s.influx.CreateDatabase("quantrac")
	stationsFile := filepath.Join(s.dir, "stations.yaml")
	if err := os.WriteFile(stationsFile, []byte(stations), 0o644); err != nil {
		t.Fatal(err)
	}
	cfgFile := filepath.Join(s.dir, "quantrac.yaml")
	cfgText := "mqtt:\n  broker: " + s.broker.URL() + "\n  client_id: quantrac-test\ninflux:\n  url: " + s.influx.URL() +
		"\n  flush_interval: 100ms\nspool:\n  dir: spool\nstations_file: stations.yaml\n"
	if err := os.WriteFile(cfgFile, []byte(cfgText), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(cfgFile)
	if err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		edit(cfg)
	}
	s.cfg = cfg
	s.start(t)
	return s
}

// start runs a new daemon on the stack's configuration, broker and InfluxDB, and waits until
// it is ready. The daemon stops at the end of the stack's test (or at restart), not of t.
func (s *stack) start(t testing.TB) {
	t.Helper()
	var err error
	s.d, err = New(s.cfg, Options{WebListenAddress: "127.0.0.1:0", Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	if s.tune != nil {
		s.tune(s.d)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.d.Run(ctx) }()
	s.stop = func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				s.tb.Errorf("Run: %v", err)
			}
		case <-time.After(30 * time.Second):
			s.tb.Error("Run did not return within 30s of cancel")
		}
	}
	s.tb.Cleanup(func() {
		if ctx.Err() == nil {
			s.stop()
		}
	})
	testenv.Eventually(t, 60*time.Second, func() (bool, string) {
		return s.get(t, "/readyz") != "" && strings.Contains(s.get(t, "/readyz"), `"ready":true`), s.get(t, "/readyz")
	})
}

// restart stops the daemon and starts a new one on the same configuration, broker and
// InfluxDB, as a process restart does.
func (s *stack) restart(t testing.TB) {
	t.Helper()
	s.stop()
	s.start(t)
}

func (s *stack) get(t testing.TB, path string) string {
	t.Helper()
	resp, err := http.Get("http://" + s.d.Addr() + path)
	if err != nil {
		return ""
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// publish sends messages at QoS 1 and waits for the broker's acknowledgements.
func publish(t *testing.T, brokerURL string, msgs map[string]string) {
	t.Helper()
	c := mqtt.NewClient(mqtt.NewClientOptions().AddBroker(brokerURL).SetClientID("test-station"))
	if tok := c.Connect(); tok.Wait() && tok.Error() != nil {
		t.Fatal(tok.Error())
	}
	defer c.Disconnect(100)
	for topic, payload := range msgs {
		if tok := c.Publish(topic, 1, false, payload); tok.Wait() && tok.Error() != nil {
			t.Fatal(tok.Error())
		}
	}
}

func TestAirAndWastewaterReadingsLandWithSchema(t *testing.T) {
	s := startStack(t, testStations, nil)
	publish(t, s.broker.URL(), map[string]string{
		"stations/LC-AQ-01/air":        `{"time": "2026-11-28T14:05:00+07:00", "station": "LC-AQ-01", "readings": {"pm25": 38.2, "pm10": 61}}`,
		"stations/LC-WW-01/wastewater": `{"time": 1795000000, "readings": {"cod": 42.5, "ph": 7.1}}`,
	})
	var airRow, wwRow map[string]any
	testenv.Eventually(t, 15*time.Second, func() (bool, string) {
		air := s.influx.Query("quantrac", `SELECT * FROM air`)
		ww := s.influx.Query("quantrac", `SELECT * FROM wastewater`)
		if len(air) == 0 || len(ww) == 0 {
			return false, "points not in InfluxDB yet"
		}
		airRow, wwRow = air[0].Rows()[0], ww[0].Rows()[0]
		return true, ""
	})
	wantTime := time.Date(2026, 11, 28, 7, 5, 0, 0, time.UTC)
	if got := rowTime(t, airRow); !got.Equal(wantTime) {
		t.Errorf("air point time = %v, want the station's %v", got, wantTime)
	}
	if airRow["station"] != "LC-AQ-01" || airRow["province"] != "Lai Châu" {
		t.Errorf("air tags = %v", airRow)
	}
	if airRow["pm25"] != 38.2 || airRow["pm10"] != 61.0 {
		t.Errorf("air fields = %v", airRow)
	}
	if got := rowTime(t, wwRow); !got.Equal(time.Unix(1795000000, 0)) {
		t.Errorf("wastewater time = %v", got)
	}
	if wwRow["station"] != "LC-WW-01" || wwRow["site"] != "KCN" || wwRow["cod"] != 42.5 || wwRow["ph"] != 7.1 {
		t.Errorf("wastewater row = %v", wwRow)
	}
	// Fields are floats even when the value looks like an integer.
	keys := s.influx.Query("quantrac", `SHOW FIELD KEYS FROM air`)
	for _, r := range keys[0].Rows() {
		if r["fieldType"] != "float" {
			t.Errorf("field %v has type %v, want float", r["fieldKey"], r["fieldType"])
		}
	}
	metrics := s.get(t, "/metrics")
	for _, want := range []string{
		`quantrac_messages_total{result="accepted"} 2`,
		`quantrac_readings_total{kind="air"} 2`,
		`quantrac_readings_total{kind="wastewater"} 2`,
		`quantrac_mqtt_connected 1`,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	testenv.Eventually(t, 5*time.Second, func() (bool, string) {
		m := s.get(t, "/metrics")
		return strings.Contains(m, "quantrac_points_written_total 2"), "points_written_total != 2"
	})
}

func rowTime(t *testing.T, row map[string]any) time.Time {
	t.Helper()
	switch v := row["time"].(type) {
	case string:
		tm, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	case float64:
		return time.Unix(0, int64(v))
	}
	t.Fatalf("time column %T %v", row["time"], row["time"])
	return time.Time{}
}

// A part that fails to build (here the HTTP listener: its port is taken) makes New return
// the error and close what it built before — the spool, whose lock would otherwise keep the
// next New (a restart in the same process, a test) from opening it.
func TestNewClosesWhatItBuiltOnFailure(t *testing.T) {
	dir := t.TempDir()
	cfg, err := config.Load("")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Spool.Dir = filepath.Join(dir, "spool")
	cfg.StationsFile = filepath.Join(dir, "stations.yaml")
	if err := os.WriteFile(cfg.StationsFile, []byte(testStations), 0o644); err != nil {
		t.Fatal(err)
	}
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	if _, err := New(cfg, Options{WebListenAddress: taken.Addr().String()}); err == nil {
		t.Fatal("New succeeded on a taken port")
	}
	d, err := New(cfg, Options{WebListenAddress: "127.0.0.1:0"})
	if err != nil {
		t.Fatalf("New after a failed New: %v (the spool lock leaked?)", err)
	}
	d.close()
}
