package testenv

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// InfluxOptions configure an InfluxDB started by [InfluxDB]. The zero value is an InfluxDB
// without authentication.
type InfluxOptions struct {
	// Auth turns on [http] auth-enabled; an admin user AdminUser/AdminPassword is created at
	// the first start, and the helper methods authenticate as that user.
	Auth bool
	// AdminUser and AdminPassword default to "admin" and "admin-password". InfluxDB 1.8
	// cannot parse a token ("Token user:password") with a space or a colon in either.
	AdminUser, AdminPassword string
	// DisableFlux turns [http] flux-enabled off. Flux costs influxd about 4 s of CPU at
	// every start (0.3 s without); tests that restart InfluxDB and never query with Flux
	// (influxdb-client-go's QueryAPI) can start faster without it.
	DisableFlux bool
}

// Influx is an InfluxDB 1.8 run by a test.
type Influx struct {
	tb       testing.TB
	proc     *process
	url      string
	user     string // "" without auth
	password string
	client   *http.Client
	admin    bool // the admin user exists
}

// InfluxDB starts InfluxDB 1.8 (HTTP and RPC on free loopback ports, Flux on unless
// DisableFlux, reporting and the internal monitor store off) and returns once /ping answers. It is stopped when the test
// ends.
func InfluxDB(tb testing.TB, opts InfluxOptions) *Influx {
	tb.Helper()
	bin := mustFind(tb, influxdBinary())
	dir := tb.TempDir()
	ports := freePorts(tb, 2)
	in := &Influx{tb: tb, url: "http://" + loopback(ports[0]), client: &http.Client{Timeout: 30 * time.Second}}
	if opts.Auth {
		in.user, in.password = cmpOr(opts.AdminUser, "admin"), cmpOr(opts.AdminPassword, "admin-password")
		if strings.ContainsAny(in.user+in.password, " :") {
			tb.Fatalf("testenv: InfluxDB 1.8 cannot parse the token %q: no space or colon in user or password", in.Token())
		}
	}
	conf := filepath.Join(dir, "influxdb.conf")
	if err := os.WriteFile(conf, []byte(opts.config(dir, ports[0], ports[1])), 0o644); err != nil {
		tb.Fatal(err)
	}
	in.proc = newProcess(tb, "influxd", bin, []string{"run", "-config", conf}, dir, in.ping)
	in.Start()
	return in
}

func cmpOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// config renders influxdb.conf for the HTTP port and the RPC (backup/restore) port.
func (o InfluxOptions) config(dir string, httpPort, rpcPort int) string {
	return fmt.Sprintf(`# written by quantrac internal/testenv
reporting-disabled = true
bind-address = %[1]q

[meta]
  dir = %[2]q

[data]
  dir = %[3]q
  wal-dir = %[4]q
  query-log-enabled = false

[monitor]
  store-enabled = false

[http]
  bind-address = %[5]q
  auth-enabled = %[6]t
  flux-enabled = %[7]t
  log-enabled = true
`, loopback(rpcPort), filepath.Join(dir, "meta"), filepath.Join(dir, "data"), filepath.Join(dir, "wal"),
		loopback(httpPort), o.Auth, !o.DisableFlux)
}

// ping is the readiness check: /ping answers 204.
func (in *Influx) ping() error {
	resp, err := in.client.Get(in.url + "/ping")
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		return fmt.Errorf("/ping: %s", resp.Status)
	}
	return nil
}

// URL is the HTTP API's base URL: "http://127.0.0.1:port".
func (in *Influx) URL() string { return in.url }

// Token is what influxdb-client-go/v2 takes as its token: "user:password" with Auth, "" without.
func (in *Influx) Token() string {
	if in.user == "" {
		return ""
	}
	return in.user + ":" + in.password
}

// Stop stops InfluxDB gracefully (SIGTERM) and waits for it.
func (in *Influx) Stop() { in.tb.Helper(); in.proc.stop() }

// Start starts the stopped InfluxDB again on the same ports with the same directories, and
// waits until /ping answers. With Auth it creates the admin user at the first start.
func (in *Influx) Start() {
	in.tb.Helper()
	in.proc.start()
	if in.user != "" && !in.admin {
		in.Query("", fmt.Sprintf("CREATE USER %s WITH PASSWORD '%s' WITH ALL PRIVILEGES",
			quoteIdent(in.user), strings.ReplaceAll(in.password, `'`, `\'`)))
		in.admin = true
	}
}

// Kill kills InfluxDB (SIGKILL), as a crash would.
func (in *Influx) Kill() { in.proc.kill() }

// Restart is Stop then Start.
func (in *Influx) Restart() { in.tb.Helper(); in.Stop(); in.Start() }

// CreateDatabase creates the database name (with its default retention policy "autogen").
func (in *Influx) CreateDatabase(name string) {
	in.tb.Helper()
	in.Query("", "CREATE DATABASE "+quoteIdent(name))
}

// quoteIdent quotes an InfluxQL identifier.
func quoteIdent(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

// Write writes line protocol with nanosecond timestamps through the 2.x compatibility API,
// /api/v2/write?bucket=bucket, where bucket is "db/rp" or "db" (default retention policy),
// the path quantrac writes through.
func (in *Influx) Write(bucket, lines string) {
	in.tb.Helper()
	q := url.Values{"bucket": {bucket}, "precision": {"ns"}}
	req, err := http.NewRequest(http.MethodPost, in.url+"/api/v2/write?"+q.Encode(), strings.NewReader(lines))
	if err != nil {
		in.tb.Fatal(err)
	}
	req.Header.Set("Content-Type", "text/plain; charset=utf-8")
	if tok := in.Token(); tok != "" {
		req.Header.Set("Authorization", "Token "+tok)
	}
	body, status := in.do(req)
	if status != http.StatusNoContent {
		in.tb.Fatalf("testenv: influx write to %s: HTTP %d: %s", bucket, status, body)
	}
}

// do sends req and returns the body and the status, failing the test on a transport error.
func (in *Influx) do(req *http.Request) ([]byte, int) {
	in.tb.Helper()
	resp, err := in.client.Do(req)
	if err != nil {
		in.tb.Fatalf("testenv: influx %s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		in.tb.Fatalf("testenv: influx %s %s: %v", req.Method, req.URL.Path, err)
	}
	return body, resp.StatusCode
}
