package daemon

import (
	"context"
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

// The daemon serves the data-quality API with web.editors and the web config's users: an
// editor's span is stored in InfluxDB with the editor's name, a viewer's write is refused,
// and the span lists.
func TestDaemonQCWrites(t *testing.T) {
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
	write("stations.yaml", testStations)
	web := "basic_auth_users:\n"
	for _, u := range []string{"editor", "viewer"} {
		hash, err := bcrypt.GenerateFromPassword([]byte(u+"-pw"), bcrypt.MinCost)
		if err != nil {
			t.Fatal(err)
		}
		web += fmt.Sprintf("  %s: %s\n", u, hash)
	}
	webFile := write("web.yml", web)
	cfg, err := config.Load(write("quantrac.yaml", "mqtt:\n  broker: "+broker.URL()+"\n  client_id: quantrac-qc\ninflux:\n  url: "+influx.URL()+
		"\nspool:\n  dir: spool\nstations_file: stations.yaml\nweb:\n  editors: [editor]\n"))
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
	do := func(method, path, user, body string) (int, string) {
		req, err := http.NewRequest(method, "http://"+d.Addr()+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		req.SetBasicAuth(user, user+"-pw")
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
	span := `{"station": "LC-AQ-01", "parameter": "pm25", "from": "2026-11-28T08:00:00+07:00", "to": "2026-11-28T09:00:00+07:00", "action": "invalidate", "reason": "sampler blocked"}`
	if code, body := do("POST", "/api/v1/qc", "viewer", span); code != 403 {
		t.Errorf("viewer's POST: %d %s", code, body)
	}
	code, body := do("POST", "/api/v1/qc", "editor", span)
	if code != 201 || !strings.Contains(body, `"user": "editor"`) {
		t.Fatalf("editor's POST: %d %s", code, body)
	}
	if rows := influx.Query("quantrac", `SELECT "user", "reason" FROM qc_spans`)[0].Rows(); len(rows) != 1 || rows[0]["user"] != "editor" || rows[0]["reason"] != "sampler blocked" {
		t.Errorf("qc_spans holds %v", rows)
	}
	if code, body := do("GET", "/api/v1/qc?station=LC-AQ-01", "viewer", ""); code != 200 || !strings.Contains(body, "sampler blocked") {
		t.Errorf("GET /api/v1/qc: %d %s", code, body)
	}
}
