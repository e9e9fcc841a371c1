package daemon

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/quantrac/quantrac/config"
	"github.com/quantrac/quantrac/internal/testenv"
)

const qualityStations = `stations:
  - {id: STUCK, kind: air, interval: 5m, regulations: [QCVN-05:2023]}
  - {id: ALTERNATE, kind: air, interval: 5m, regulations: [QCVN-05:2023]}
  - {id: FAULT, kind: air, interval: 5m, regulations: [QCVN-05:2023]}
`

// TestDataQualityOnRealServices is the data-quality layer as an inspector meets it, on real
// Mosquitto and InfluxDB with the automatic checks on (qc: {flatline: 4h}) and basic auth:
//
//   - six hours of NO2 stuck at exactly 250 (> 200) leave no 1 h exceedance in the record, and
//     the API lists the automatic flat-line span; 249/251 alternating raises them;
//   - a day of PM2.5 at 20 with six hours at 250 (mean 77.5 > 45) is an exceedance; an editor
//     invalidates those hours ("analyser fault") and the day leaves the record; revoking the
//     span brings it back; anonymous and viewers' writes are refused;
//   - every reading stays in InfluxDB.
func TestDataQualityOnRealServices(t *testing.T) {
	d, influx, broker := startQualityDaemon(t)
	do := func(method, path, user, body string) (int, string) {
		req, err := http.NewRequest(method, "http://"+d.Addr()+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		if user != "" {
			req.SetBasicAuth(user, user+"-pw")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0, err.Error()
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	testenv.Eventually(t, 60*time.Second, func() (bool, string) {
		code, body := do("GET", "/readyz", "viewer", "")
		return code == 200, body
	})
	count := func(q string) int { return influx.Count("quantrac", q) }
	exceedances := func(station, param, period string) (all, started int) {
		where := fmt.Sprintf(`WHERE station = '%s' AND parameter = '%s' AND period = '%s'`, station, param, period)
		return count(`SELECT count("value") FROM violations ` + where), count(`SELECT count("value") FROM violations ` + where + ` AND state = 'started'`)
	}

	// Six hours of NO2, stuck and alternating.
	t0 := time.Now().UTC().Truncate(time.Hour).Add(-8 * time.Hour)
	var msgs [][2]string
	for _, st := range []string{"STUCK", "ALTERNATE"} {
		msgs = append(msgs, readingsEvery5m(st, "no2", t0, 72, func(i int) float64 {
			if st == "STUCK" {
				return 250
			}
			return 249 + float64(2*(i%2))
		})...)
	}
	// A local day (+07:00) of PM2.5 at 20 (19.9/20.1: not a flat line), six hours at 249/251.
	ict := time.FixedZone("ICT", 7*3600)
	l := time.Now().In(ict)
	day := time.Date(l.Year(), l.Month(), l.Day()-1, 0, 0, 0, 0, ict)
	faultFrom, faultTo := day.Add(8*time.Hour), day.Add(14*time.Hour)
	msgs = append(msgs, readingsEvery5m("FAULT", "pm25", day.Add(-5*time.Minute), 289, func(i int) float64 {
		at := day.Add(time.Duration(i) * 5 * time.Minute)
		if at.After(faultFrom) && !at.After(faultTo) {
			return 249 + float64(2*(i%2))
		}
		return 19.9 + 0.2*float64(i%2)
	})...)
	publishInOrder(t, broker.URL(), msgs)

	testenv.Eventually(t, 60*time.Second, func() (bool, string) {
		stuckAll, stuckStarted := exceedances("STUCK", "no2", "1h")
		_, altStarted := exceedances("ALTERNATE", "no2", "1h")
		code, body := do("GET", "/api/v1/qc?station=STUCK", "viewer", "")
		listed := code == 200 && strings.Contains(body, `"source": "auto"`) && strings.Contains(body, "flat line: 250")
		return stuckAll > 0 && stuckStarted == 0 && altStarted > 0 && listed,
			fmt.Sprintf("STUCK: %d no2 1h points, %d started; ALTERNATE: %d started; GET /api/v1/qc: %d %s", stuckAll, stuckStarted, altStarted, code, body)
	})
	if n := count(`SELECT count("no2") FROM air WHERE station = 'STUCK'`); n != 72 {
		t.Errorf("%d NO2 readings of STUCK in air, want all 72", n)
	}

	testenv.Eventually(t, 60*time.Second, func() (bool, string) {
		_, started := exceedances("FAULT", "pm25", "24h")
		return started == 1, fmt.Sprintf("%d started pm25 24h points of FAULT", started)
	})
	span := fmt.Sprintf(`{"station": "FAULT", "parameter": "pm25", "from": %q, "to": %q, "action": "invalidate", "reason": "analyser fault"}`,
		faultFrom.Add(time.Second).Format(time.RFC3339), faultTo.Format(time.RFC3339))
	if code, body := do("POST", "/api/v1/qc", "", span); code != 401 {
		t.Errorf("anonymous POST: %d %s", code, body)
	}
	if code, body := do("POST", "/api/v1/qc", "viewer", span); code != 403 {
		t.Errorf("viewer's POST: %d %s", code, body)
	}
	code, body := do("POST", "/api/v1/qc", "editor", span)
	var created struct{ ID, User string }
	if err := json.Unmarshal([]byte(body), &created); code != 201 || err != nil || created.ID == "" || created.User != "editor" {
		t.Fatalf("editor's POST: %d %s", code, body)
	}
	testenv.Eventually(t, 30*time.Second, func() (bool, string) {
		all, started := exceedances("FAULT", "pm25", "24h")
		return all > 0 && started == 0, fmt.Sprintf("FAULT pm25 24h: %d points, %d started", all, started)
	})
	if code, body := do("GET", "/api/v1/qc?station=FAULT", "viewer", ""); code != 200 || !strings.Contains(body, "analyser fault") || !strings.Contains(body, `"user": "editor"`) {
		t.Errorf("GET /api/v1/qc?station=FAULT: %d %s", code, body)
	}
	if code, body := do("DELETE", "/api/v1/qc/"+created.ID, "editor", ""); code != 200 {
		t.Fatalf("DELETE: %d %s", code, body)
	}
	testenv.Eventually(t, 30*time.Second, func() (bool, string) {
		_, started := exceedances("FAULT", "pm25", "24h")
		return started == 1, fmt.Sprintf("%d started pm25 24h points of FAULT after the revocation", started)
	})
	if n := count(`SELECT count("pm25") FROM air WHERE station = 'FAULT'`); n != 289 {
		t.Errorf("%d PM2.5 readings of FAULT in air, want all 289", n)
	}
}

// readingsEvery5m returns n readings of one parameter every 5 minutes after start, 12 to a message.
func readingsEvery5m(station, param string, start time.Time, n int, value func(i int) float64) [][2]string {
	var msgs [][2]string
	var objs []string
	for i := range n {
		objs = append(objs, fmt.Sprintf(`{"time": %q, "readings": {%q: %v}}`,
			start.Add(time.Duration(i+1)*5*time.Minute).Format(time.RFC3339), param, value(i)))
		if len(objs) == 12 || i == n-1 {
			msgs = append(msgs, [2]string{"stations/" + station + "/air", "[" + strings.Join(objs, ",") + "]"})
			objs = nil
		}
	}
	return msgs
}

// startQualityDaemon runs a daemon with the automatic checks, an editor and a viewer.
func startQualityDaemon(t *testing.T) (*Daemon, *testenv.Influx, *testenv.Broker) {
	t.Helper()
	broker := testenv.Mosquitto(t, testenv.MosquittoOptions{})
	influx := testenv.InfluxDB(t, testenv.InfluxOptions{DisableFlux: true})
	influx.CreateDatabase("quantrac")
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	write("stations.yaml", qualityStations)
	web := "basic_auth_users:\n"
	for _, u := range []string{"editor", "viewer"} {
		hash, err := bcrypt.GenerateFromPassword([]byte(u+"-pw"), bcrypt.MinCost)
		if err != nil {
			t.Fatal(err)
		}
		web += fmt.Sprintf("  %s: %s\n", u, hash)
	}
	webFile := write("web.yml", web)
	cfg, err := config.Load(write("quantrac.yaml", "mqtt:\n  broker: "+broker.URL()+"\n  client_id: quantrac-quality\ninflux:\n  url: "+influx.URL()+
		"\nspool:\n  dir: spool\nstations_file: stations.yaml\nweb:\n  editors: [editor]\nqc:\n  flatline: 4h\n"))
	if err != nil {
		t.Fatal(err)
	}
	d, err := New(cfg, Options{WebListenAddress: "127.0.0.1:0", WebConfigFile: webFile, Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	return d, influx, broker
}
