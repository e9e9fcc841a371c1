package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/crypto/bcrypt"

	"github.com/quantrac/quantrac"
	"github.com/quantrac/quantrac/api"
	"github.com/quantrac/quantrac/httpapi"
	"github.com/quantrac/quantrac/internal/testenv"
	"github.com/quantrac/quantrac/store"
)

// qcServer starts the real API server (httpapi with an exporter-toolkit web config holding
// bcrypt users "editor" and "viewer", password "<user>-pw"; editor in web.editors) over a
// real InfluxDB, and returns its URL and the InfluxDB.
func qcServer(t *testing.T) (string, *testenv.Influx) {
	t.Helper()
	in := testenv.InfluxDB(t, testenv.InfluxOptions{DisableFlux: true})
	in.CreateDatabase("quantrac")
	reg, err := quantrac.ParseRegistry([]byte(validStations), "stations.yaml", quantrac.RegistryOptions{})
	if err != nil {
		t.Fatal(err)
	}
	o := store.WriterOptions{URL: in.URL(), Bucket: "quantrac/autogen", Timeout: 5 * time.Second}
	w, err := store.NewWriter(o, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Close)
	qc := store.NewQC(store.NewQuerier(o, nil), w)
	web := "basic_auth_users:\n"
	for _, u := range []string{"editor", "viewer"} {
		hash, err := bcrypt.GenerateFromPassword([]byte(u+"-pw"), bcrypt.MinCost)
		if err != nil {
			t.Fatal(err)
		}
		web += fmt.Sprintf("  %s: %s\n", u, hash)
	}
	file := writeFile(t, "web.yml", web, 0o600)
	a := api.New(api.Options{Registry: func() *quantrac.Registry { return reg }, Spans: qc, Approvals: qc,
		Editors: []string{"editor"}, BasicAuth: func() bool { return httpapi.HasBasicAuth(file) }})
	srv, err := httpapi.New(httpapi.Options{Address: "127.0.0.1:0", ConfigFile: file, Gatherer: prometheus.NewRegistry(), Routes: []httpapi.Routes{a}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	return "http://" + srv.Addr(), in
}

func writeFile(t *testing.T, name, content string, mode os.FileMode) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
	return p
}

// qc runs quantrac qc with args and returns its exit code, stdout and stderr.
func qc(args ...string) (int, string, string) {
	var stdout, stderr bytes.Buffer
	code := dispatch(append([]string{"qc"}, args...), &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

// The CLI end to end against the real server: an editor invalidates, lists, revokes,
// approves and withdraws; the table shows the authenticated user and the revocation; a
// viewer, a wrong password and a bad body get the server's message on stderr and exit 1;
// bad flags exit 2 before anything is sent.
func TestQCCommand(t *testing.T) {
	url, in := qcServer(t)
	editor := []string{"-url", url, "-user", "editor", "-password-file", writeFile(t, "pw", "editor-pw\n", 0o600)}
	with := func(creds []string, args ...string) []string {
		return append(append([]string{args[0]}, creds...), args[1:]...)
	}

	code, out, errs := qc(with(editor, "invalidate", "-station", "LC-AQ-01", "-parameter", "NO2", "-from", "2026-11-28T08:00:00+07:00",
		"-to", "2026-11-28T14:00:00+07:00", "-reason", "analyser fault")...)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != 0 || errs != "" || len(lines) != 2 || !strings.HasPrefix(lines[0], "ID ") {
		t.Fatalf("invalidate: exit %d\n%s%s", code, out, errs)
	}
	id := strings.Fields(lines[1])[0]
	for _, want := range []string{"LC-AQ-01", " no2 ", " user ", " invalidate ", "2026-11-28T01:00:00Z", "2026-11-28T07:00:00Z", " editor ", "analyser fault"} {
		if !strings.Contains(lines[1], want) {
			t.Errorf("invalidate printed %q, missing %q", lines[1], want)
		}
	}
	if rows := in.Query("quantrac", `SELECT "user", "id" FROM qc_spans`)[0].Rows(); len(rows) != 1 || rows[0]["user"] != "editor" || rows[0]["id"] != id {
		t.Fatalf("stored %v", rows)
	}

	t.Setenv(EnvQCPassword, "viewer-pw") // the viewer's password from the environment
	viewer := []string{"-url", url, "-user", "viewer"}
	code, out, errs = qc(with(viewer, "invalidate", "-station", "LC-AQ-01", "-parameter", "no2", "-from", "2026-11-28T08:00:00Z",
		"-to", "2026-11-28T09:00:00Z", "-reason", "x")...)
	if code != 1 || out != "" || !strings.Contains(errs, "HTTP 403: user viewer may read but not write: not in web.editors") {
		t.Errorf("viewer's invalidate: exit %d, stdout %q, stderr %q", code, out, errs)
	}
	if code, out, _ := qc(with(viewer, "list", "-station", "LC-AQ-01")...); code != 0 || !strings.Contains(out, id) || !strings.Contains(out, " - ") {
		t.Errorf("viewer's list: exit %d\n%s", code, out)
	}

	code, out, errs = qc(with(editor, "revoke", id)...)
	if code != 0 || !strings.Contains(out, id) || !strings.Contains(out, "editor 20") {
		t.Errorf("revoke: exit %d\n%s%s", code, out, errs)
	}
	if code, _, errs := qc(with(editor, "revoke", id)...); code != 1 || !strings.Contains(errs, "HTTP 409: qc span "+id+": already revoked by editor") {
		t.Errorf("second revoke: exit %d, %s", code, errs)
	}
	code, out, _ = qc(with(editor, "list", "-from", "2026-11-01T00:00:00Z", "-to", "2026-12-01T00:00:00Z")...)
	if code != 0 || !strings.Contains(out, id) || !strings.Contains(out, "editor 20") {
		t.Errorf("list after revoking: exit %d\n%s", code, out)
	}

	code, out, errs = qc(with(editor, "approve", "-station", "LC-WW-01", "-month", "2026-11")...)
	if code != 0 || !strings.Contains(out, "LC-WW-01 2026-11 approved by editor") {
		t.Fatalf("approve: exit %d\n%s%s", code, out, errs)
	}
	approval := strings.TrimSuffix(strings.Fields(out)[1], ":")
	if code, out, errs := qc(with(editor, "revoke", "-approval", approval)...); code != 0 || !strings.Contains(out, "withdrawn by editor") {
		t.Errorf("withdraw: exit %d\n%s%s", code, out, errs)
	}

	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{with(editor, "invalidate", "-station", "LC-AQ-01", "-parameter", "smoke", "-from", "2026-11-28T08:00:00Z", "-to", "2026-11-28T09:00:00Z", "-reason", "x"),
			1, `HTTP 400: parameter: "smoke" is not a known parameter`},
		{with(editor, "approve", "-station", "NOPE", "-month", "2026-11"), 1, `HTTP 400: station: unknown station "NOPE"`},
		{with([]string{"-url", url, "-user", "editor", "-password-file", writeFile(t, "bad", "wrong\n", 0o600)}, "list"), 1, "HTTP 401: Unauthorized"},
		{with(editor, "invalidate", "-station", "LC-AQ-01", "-parameter", "no2", "-from", "2026-11-28T08:00:00Z", "-to", "2026-11-28T09:00:00Z"), 2, "-reason: required"},
		{with(editor, "invalidate", "-station", "LC-AQ-01", "-parameter", "no2", "-from", "noon", "-to", "2026-11-28T09:00:00Z", "-reason", "x"), 2, `-from: "noon" is not an RFC 3339 time`},
		{with(editor, "invalidate", "-station", "LC-AQ-01", "-parameter", "no2", "-from", "2026-11-28T08:00:00Z", "-to", "2026-11-28T09:00:00Z", "-reason", "x", "-action", "erase"), 2, `-action: "erase" is not invalidate or validate`},
		{with(editor, "revoke"), 2, "want 1 argument(s) after the flags"},
		{with(editor, "list", "-nope"), 2, "flag provided but not defined: -nope"},
		{with([]string{"-url", url, "-user", "editor", "-password-file", writeFile(t, "open", "editor-pw\n", 0o644)}, "list"), 2, "readable by everyone"},
		{with([]string{"-url", "ftp://x", "-user", "editor"}, "list"), 2, `-url: "ftp://x" is not an http:// or https:// URL`},
		{[]string{"erase"}, 2, `unknown command "erase"`},
	} {
		code, _, errs := qc(tc.args...)
		if code != tc.code || !strings.Contains(errs, tc.want) {
			t.Errorf("qc %v: exit %d, stderr %q; want %d with %q", tc.args, code, errs, tc.code, tc.want)
		}
	}
	if n := in.Count("quantrac", `SELECT count("id") FROM qc_spans`); n != 1 {
		t.Errorf("qc_spans holds %d points, want the one span", n)
	}
}
