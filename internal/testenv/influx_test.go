package testenv

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// Two points of §6's shape, at fixed station times.
const influxPoints = "air,station=LCH01 pm25=12.5 1700000000000000000\n" +
	"air,station=LCH02 pm25=30 1700000060000000000\n"

func TestInfluxWriteQueryRestart(t *testing.T) {
	t.Parallel()
	in := InfluxDB(t, InfluxOptions{DisableFlux: true}) // three starts: keep them fast
	if in.Token() != "" {
		t.Errorf("Token without auth = %q, want empty", in.Token())
	}
	in.CreateDatabase("quantrac")
	in.Write("quantrac/autogen", influxPoints)

	series := in.Query("quantrac", `SELECT "pm25", "station" FROM "air" ORDER BY time`)
	if len(series) != 1 || series[0].Name != "air" {
		t.Fatalf("series = %+v, want one series air", series)
	}
	rows := series[0].Rows()
	if len(rows) != 2 || rows[0]["time"] != "2023-11-14T22:13:20Z" || rows[0]["pm25"] != 12.5 ||
		rows[1]["station"] != "LCH02" || rows[1]["pm25"] != 30.0 {
		t.Fatalf("rows = %v", rows)
	}
	assertCounts := func(when string) {
		t.Helper()
		if n := in.Count("quantrac", `SELECT count("pm25") FROM "air"`); n != 2 {
			t.Errorf("%s: count = %d, want 2", when, n)
		}
		if n := in.Count("quantrac", `SELECT count("pm25") FROM "air" GROUP BY "station"`); n != 2 {
			t.Errorf("%s: count grouped by station = %d, want 2 (1+1)", when, n)
		}
		if n := in.Count("quantrac", `SELECT count("pm25") FROM "water"`); n != 0 {
			t.Errorf("%s: count of an absent measurement = %d, want 0", when, n)
		}
	}
	assertCounts("after write")

	in.Restart()
	assertCounts("after Restart")
	in.Kill()
	if err := in.ping(); err == nil {
		t.Fatal("killed influxd still answers /ping")
	}
	in.Start()
	assertCounts("after Kill and Start (WAL replay)")
}

// assertFlux checks that Flux is on: /api/v2/query answers with the points written.
func assertFlux(t *testing.T, in *Influx, token string) {
	t.Helper()
	flux := `from(bucket: "quantrac/autogen") |> range(start: 2023-01-01T00:00:00Z) |> filter(fn: (r) => r._measurement == "air")`
	req, err := http.NewRequest(http.MethodPost, in.URL()+"/api/v2/query", strings.NewReader(flux))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/vnd.flux")
	req.Header.Set("Accept", "application/csv")
	if token != "" {
		req.Header.Set("Authorization", "Token "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "LCH02") {
		t.Fatalf("flux query: HTTP %d: %s", resp.StatusCode, body)
	}
}

func TestInfluxAuth(t *testing.T) {
	t.Parallel()
	in := InfluxDB(t, InfluxOptions{Auth: true, AdminUser: "root", AdminPassword: "it's-secret"})
	if in.Token() != "root:it's-secret" {
		t.Errorf("Token = %q", in.Token())
	}
	in.CreateDatabase("quantrac")
	in.Write("quantrac", influxPoints) // default retention policy
	if n := in.Count("quantrac", `SELECT count("pm25") FROM "air"`); n != 2 {
		t.Fatalf("count = %d, want 2", n)
	}
	assertFlux(t, in, in.Token())

	resp, err := http.PostForm(in.URL()+"/query", url.Values{"q": {"SHOW DATABASES"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("query without credentials: HTTP %d, want 401", resp.StatusCode)
	}
}

func TestInfluxConfig(t *testing.T) {
	t.Parallel()
	if got := (InfluxOptions{DisableFlux: true}).config("/d", 1, 2); !strings.Contains(got, "flux-enabled = false") {
		t.Errorf("DisableFlux config:\n%s", got)
	}
	got := InfluxOptions{Auth: true}.config("/d", 8086, 8088)
	for _, w := range []string{"reporting-disabled = true\n", `bind-address = "127.0.0.1:8088"`,
		`dir = "/d/meta"`, `dir = "/d/data"`, `wal-dir = "/d/wal"`, "store-enabled = false",
		`bind-address = "127.0.0.1:8086"`, "auth-enabled = true", "flux-enabled = true"} {
		if !strings.Contains(got, w) {
			t.Errorf("config lacks %q:\n%s", w, got)
		}
	}
}
