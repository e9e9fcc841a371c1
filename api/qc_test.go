package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/crypto/bcrypt"

	"github.com/quantrac/quantrac"
	"github.com/quantrac/quantrac/httpapi"
	"github.com/quantrac/quantrac/internal/testenv"
	"github.com/quantrac/quantrac/store"
)

// Passwords of the web config's users: an editor (in web.editors) and a viewer (not).
const (
	editorPassword = "editor-secret"
	viewerPassword = "viewer-secret"
)

// qcServer is the real HTTP server (httpapi, exporter-toolkit web config with bcrypt
// basic_auth_users) serving the API over a real InfluxDB.
type qcServer struct {
	url   string
	qc    *store.QC
	in    *testenv.Influx
	log   *syncBuffer
	mu    sync.Mutex
	spans []quantrac.QCSpan // given to OnSpan
}

// syncBuffer is a bytes.Buffer the server's goroutines and the test share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// webConfig writes an exporter-toolkit web config: basic_auth_users editor and viewer when
// auth is true, else nothing.
func webConfig(t *testing.T, auth bool) string {
	t.Helper()
	content := "{}\n"
	if auth {
		var b strings.Builder
		b.WriteString("basic_auth_users:\n")
		for _, u := range []struct{ name, pw string }{{"editor", editorPassword}, {"viewer", viewerPassword}} {
			hash, err := bcrypt.GenerateFromPassword([]byte(u.pw), bcrypt.MinCost)
			if err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(&b, "  %s: %s\n", u.name, hash)
		}
		content = b.String()
	}
	path := filepath.Join(t.TempDir(), "web.yml")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// qcNow is the API's clock: December 2026, so that November has started everywhere.
var qcNow = time.Date(2026, 12, 5, 3, 0, 0, 0, time.UTC)

func newQCServer(t *testing.T, in *testenv.Influx, auth bool) *qcServer {
	t.Helper()
	reg, err := quantrac.ParseRegistry([]byte(registryYAML), "stations.yaml", quantrac.RegistryOptions{})
	if err != nil {
		t.Fatal(err)
	}
	o := store.WriterOptions{URL: in.URL(), Bucket: "quantrac/autogen", Timeout: 5 * time.Second}
	w, err := store.NewWriter(o, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Close)
	s := &qcServer{qc: store.NewQC(store.NewQuerier(o, nil), w), in: in, log: &syncBuffer{}}
	file := webConfig(t, auth)
	a := New(Options{Registry: func() *quantrac.Registry { return reg }, Now: func() time.Time { return qcNow },
		Logger: slog.New(slog.NewTextHandler(s.log, nil)), Spans: s.qc, Approvals: s.qc, Editors: []string{"editor"},
		BasicAuth: func() bool { return httpapi.HasBasicAuth(file) },
		OnSpan: func(sp quantrac.QCSpan) {
			s.mu.Lock()
			defer s.mu.Unlock()
			s.spans = append(s.spans, sp)
		}})
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
	s.url = "http://" + srv.Addr()
	return s
}

// request is one HTTP request to the server.
type request struct {
	method, path string
	user         string // "" for none; the right password for editor and viewer
	body         string
	header       map[string]string // Content-Type defaults to application/json with a body
}

func (s *qcServer) do(t *testing.T, r request) (int, http.Header, string) {
	t.Helper()
	var body io.Reader
	if r.body != "" {
		body = strings.NewReader(r.body)
	}
	req, err := http.NewRequest(r.method, s.url+r.path, body)
	if err != nil {
		t.Fatal(err)
	}
	if r.body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range r.header {
		req.Header.Set(k, v)
	}
	switch r.user {
	case "editor":
		req.SetBasicAuth("editor", editorPassword)
	case "viewer":
		req.SetBasicAuth("viewer", viewerPassword)
	case "":
	default:
		req.SetBasicAuth(r.user, "wrong")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

func (s *qcServer) onSpan() []quantrac.QCSpan {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]quantrac.QCSpan(nil), s.spans...)
}

const validSpan = `{"station": "LC-AQ-01", "parameter": "no2", "from": "2026-11-28T08:00:00+07:00",
 "to": "2026-11-28T14:00:00+07:00", "action": "invalidate", "reason": "analyser fault"}`

// Who may write: nobody anonymous (401 with a challenge), nobody with a wrong password
// (401), no viewer (403), no cross-site Origin (403), only JSON (415); an editor's span is
// stored (201) with the user the server authenticated, source user, an unguessable id and
// the server's time; the change reaches OnSpan and the audit log. GETs are open to every
// user of the web config.
func TestQCWriteAuthorization(t *testing.T) {
	in := testenv.InfluxDB(t, testenv.InfluxOptions{DisableFlux: true})
	in.CreateDatabase("quantrac")
	s := newQCServer(t, in, true)
	host := strings.TrimPrefix(s.url, "http://")
	for _, tc := range []struct {
		name string
		r    request
		code int
		want string
	}{
		{"anonymous", request{method: "POST", path: "/api/v1/qc", body: validSpan}, 401, "Unauthorized"},
		{"wrong password", request{method: "POST", path: "/api/v1/qc", user: "editor-wrong", body: validSpan}, 401, "Unauthorized"},
		{"viewer", request{method: "POST", path: "/api/v1/qc", user: "viewer", body: validSpan}, 403, "user viewer may read but not write: not in web.editors"},
		{"text/plain", request{method: "POST", path: "/api/v1/qc", user: "editor", body: validSpan,
			header: map[string]string{"Content-Type": "text/plain"}}, 415, `Content-Type \"text/plain\": want application/json`},
		{"form", request{method: "POST", path: "/api/v1/qc", user: "editor", body: "station=LC-AQ-01",
			header: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}}, 415, "want application/json"},
		{"no content type", request{method: "POST", path: "/api/v1/qc", user: "editor", body: validSpan,
			header: map[string]string{"Content-Type": ""}}, 415, "want application/json"},
		{"cross-site origin", request{method: "POST", path: "/api/v1/qc", user: "editor", body: validSpan,
			header: map[string]string{"Origin": "https://evil.example"}}, 403, "cross-site request refused: Origin https://evil.example"},
		{"same host, other scheme", request{method: "POST", path: "/api/v1/qc", user: "editor", body: validSpan,
			header: map[string]string{"Origin": "https://" + host}}, 403, "cross-site request refused"},
		{"null origin", request{method: "POST", path: "/api/v1/qc", user: "editor", body: validSpan,
			header: map[string]string{"Origin": "null"}}, 403, "cross-site request refused"},
		{"sec-fetch-site", request{method: "POST", path: "/api/v1/qc", user: "editor", body: validSpan,
			header: map[string]string{"Sec-Fetch-Site": "cross-site"}}, 403, "cross-site request refused"},
		{"anonymous revoke", request{method: "DELETE", path: "/api/v1/qc/x"}, 401, "Unauthorized"},
		{"viewer revoke", request{method: "DELETE", path: "/api/v1/qc/x", user: "viewer"}, 403, "not in web.editors"},
		{"viewer approves", request{method: "POST", path: "/api/v1/approvals", user: "viewer", body: `{"station": "LC-AQ-01", "month": "2026-11"}`}, 403, "not in web.editors"},
		{"anonymous withdraws", request{method: "DELETE", path: "/api/v1/approvals/x"}, 401, "Unauthorized"},
		{"anonymous read", request{method: "GET", path: "/api/v1/qc"}, 401, "Unauthorized"}, // as every endpoint with basic auth
	} {
		code, h, body := s.do(t, tc.r)
		if code != tc.code || !strings.Contains(body, tc.want) {
			t.Errorf("%s: %d %s; want %d with %q", tc.name, code, body, tc.code, tc.want)
		}
		if code == 401 && !strings.HasPrefix(h.Get("WWW-Authenticate"), "Basic") {
			t.Errorf("%s: 401 without a Basic challenge: %v", tc.name, h)
		}
	}
	if n := in.Count("quantrac", `SELECT count("id") FROM qc_spans`); n != 0 {
		t.Fatalf("refused writes stored %d spans", n)
	}

	code, h, body := s.do(t, request{method: "POST", path: "/api/v1/qc", user: "editor", body: validSpan,
		header: map[string]string{"Origin": s.url, "Content-Type": "application/json; charset=utf-8"}})
	if code != 201 {
		t.Fatalf("editor's POST: %d %s", code, body)
	}
	var sp quantrac.QCSpan
	if err := json.Unmarshal([]byte(body), &sp); err != nil {
		t.Fatal(err)
	}
	want := quantrac.QCSpan{ID: sp.ID, Station: "LC-AQ-01", Parameter: "no2", Source: "user", From: time.Date(2026, 11, 28, 1, 0, 0, 0, time.UTC),
		To: time.Date(2026, 11, 28, 7, 0, 0, 0, time.UTC), Action: "invalidate", Reason: "analyser fault", User: "editor", CreatedAt: qcNow}
	if sp != want || !regexp.MustCompile(`^[0-9a-f]{32}$`).MatchString(sp.ID) || h.Get("Content-Type") != "application/json" {
		t.Fatalf("created span %+v (%s)\nwant %+v", sp, h.Get("Content-Type"), want)
	}
	if got := s.onSpan(); len(got) != 1 || got[0] != sp {
		t.Errorf("OnSpan got %+v, want the span", got)
	}
	if rows := in.Query("quantrac", `SELECT "user", "id" FROM qc_spans`)[0].Rows(); len(rows) != 1 || rows[0]["user"] != "editor" || rows[0]["id"] != sp.ID {
		t.Errorf("stored %v", rows)
	}
	if !strings.Contains(s.log.String(), "msg=\"QC audit\" user=editor action=invalidate id="+sp.ID+" station=LC-AQ-01") {
		t.Errorf("no audit line for the span in:\n%s", s.log.String())
	}
	if !strings.Contains(s.log.String(), `msg="QC write refused" user=viewer`) {
		t.Errorf("the viewer's refused write is not logged:\n%s", s.log.String())
	}
	if code, _, body := s.do(t, request{method: "GET", path: "/api/v1/qc?station=LC-AQ-01", user: "viewer"}); code != 200 || !strings.Contains(body, sp.ID) {
		t.Errorf("viewer's GET: %d %s", code, body)
	}
}

// The user recorded is the one the server authenticated: a body that claims a user (or any
// other field the server sets) is refused and stores nothing.
func TestQCUserIsTheAuthenticatedOne(t *testing.T) {
	in := testenv.InfluxDB(t, testenv.InfluxOptions{DisableFlux: true})
	in.CreateDatabase("quantrac")
	s := newQCServer(t, in, true)
	for _, field := range []string{`"user": "mallory"`, `"User": "editor"`, `"created_at": "2020-01-01T00:00:00Z"`, `"id": "chosen"`, `"source": "auto"`} {
		body := strings.Replace(validSpan, "{", "{"+field+", ", 1)
		code, _, resp := s.do(t, request{method: "POST", path: "/api/v1/qc", user: "editor", body: body})
		if code != 400 || !strings.Contains(resp, "set by the server") {
			t.Errorf("body with %s: %d %s; want 400 saying the server sets it", field, code, resp)
		}
	}
	if n := in.Count("quantrac", `SELECT count("id") FROM qc_spans`); n != 0 {
		t.Errorf("%d spans stored from bodies claiming server fields", n)
	}
}

// Without basic_auth_users in the web config nobody is authenticated: every write is
// refused, credentials or not, and reads stay open.
func TestQCWritesRefusedWithoutBasicAuth(t *testing.T) {
	in := testenv.InfluxDB(t, testenv.InfluxOptions{DisableFlux: true})
	in.CreateDatabase("quantrac")
	s := newQCServer(t, in, false)
	for _, r := range []request{
		{method: "POST", path: "/api/v1/qc", body: validSpan},
		{method: "POST", path: "/api/v1/qc", user: "editor", body: validSpan},
		{method: "DELETE", path: "/api/v1/qc/x", user: "editor"},
		{method: "POST", path: "/api/v1/approvals", user: "editor", body: `{"station": "LC-AQ-01", "month": "2026-11"}`},
	} {
		if code, _, body := s.do(t, r); code != 403 || !strings.Contains(body, "no basic_auth_users") {
			t.Errorf("%s %s as %q: %d %s; want 403", r.method, r.path, r.user, code, body)
		}
	}
	if code, _, body := s.do(t, request{method: "GET", path: "/api/v1/qc"}); code != 200 || !strings.Contains(body, `"spans": []`) {
		t.Errorf("anonymous GET without basic auth: %d %s", code, body)
	}
}

// Bad bodies and queries get 400 (404 for an unknown station in a query, an unknown id) with
// a message naming the field; nothing is stored.
func TestQCValidation(t *testing.T) {
	in := testenv.InfluxDB(t, testenv.InfluxOptions{DisableFlux: true})
	in.CreateDatabase("quantrac")
	s := newQCServer(t, in, true)
	span := func(edit func(m map[string]any)) string {
		var m map[string]any
		if err := json.Unmarshal([]byte(validSpan), &m); err != nil {
			t.Fatal(err)
		}
		edit(m)
		b, _ := json.Marshal(m)
		return string(b)
	}
	for _, tc := range []struct {
		body string
		code int
		want string
	}{
		{span(func(m map[string]any) { m["station"] = "NOPE" }), 400, `station: unknown station \"NOPE\"`},
		{span(func(m map[string]any) { delete(m, "station") }), 400, "station: required"},
		{span(func(m map[string]any) { m["parameter"] = "smoke" }), 400, `parameter: \"smoke\" is not a known parameter`},
		{span(func(m map[string]any) { m["parameter"] = "" }), 400, `parameter: required is not a known parameter`},
		{span(func(m map[string]any) { m["from"] = "2026-11-28T15:00:00+07:00" }), 400, "from must not be after to"},
		{span(func(m map[string]any) { m["from"] = "yesterday" }), 400, `from: \"yesterday\" is not an RFC 3339 time`},
		{span(func(m map[string]any) { m["to"] = "2026-11-28 14:00" }), 400, `to: \"2026-11-28 14:00\" is not an RFC 3339 time`},
		{span(func(m map[string]any) { delete(m, "to") }), 400, "to: required"},
		{span(func(m map[string]any) { m["from"] = "1900-01-01T00:00:00Z" }), 400, "from: want a time between 1970 and 2200"},
		{span(func(m map[string]any) { m["action"] = "delete" }), 400, `action: \"delete\" is not invalidate or validate`},
		{span(func(m map[string]any) { delete(m, "action") }), 400, "action: required is not invalidate or validate"},
		{span(func(m map[string]any) { m["reason"] = "  " }), 400, "reason: required"},
		{span(func(m map[string]any) { m["reason"] = "two\nlines" }), 400, "reason: must be one line"},
		{span(func(m map[string]any) { m["reason"] = strings.Repeat("x", 1001) }), 400, "reason: longer than 1000 characters"},
		{span(func(m map[string]any) { m["reason"] = 42 }), 400, "reason: want a string"},
		{span(func(m map[string]any) { m["comment"] = "x" }), 400, `body: unknown field \"comment\"`},
		{span(func(m map[string]any) { m["padding"] = strings.Repeat("x", 64<<10) }), 400, "body: larger than 65536 bytes"},
		{validSpan + validSpan, 400, "body: more than one JSON value"},
		{`{"station": "LC-AQ-01",`, 400, "body: not JSON"},
		{`[]`, 400, "body: want a JSON object"},
		{`null`, 400, "station: required"},
	} {
		code, _, body := s.do(t, request{method: "POST", path: "/api/v1/qc", user: "editor", body: tc.body})
		if code != tc.code || !strings.Contains(body, tc.want) {
			t.Errorf("POST %.80s: %d %s; want %d with %q", tc.body, code, body, tc.code, tc.want)
		}
	}
	if code, _, body := s.do(t, request{method: "POST", path: "/api/v1/qc", user: "editor"}); code != 415 {
		t.Errorf("POST without a body or Content-Type: %d %s", code, body)
	}
	if code, _, body := s.do(t, request{method: "POST", path: "/api/v1/qc", user: "editor", header: map[string]string{"Content-Type": "application/json"}}); code != 400 || !strings.Contains(body, "body: empty") {
		t.Errorf("POST with an empty body: %d %s", code, body)
	}
	for _, tc := range []struct {
		path string
		code int
		want string
	}{
		{"/api/v1/qc?station=NOPE", 404, "unknown station NOPE"},
		{"/api/v1/qc?from=noon", 400, `from: \"noon\" is not an RFC 3339 time`},
		{"/api/v1/qc?from=2026-11-02T00:00:00Z&to=2026-11-01T00:00:00Z", 400, "from must not be after to"},
		{"/api/v1/approvals?month=2026-13", 400, "month: month \\\"2026-13\\\": want YYYY-MM"},
		{"/api/v1/approvals?station=NOPE", 404, "unknown station NOPE"},
	} {
		if code, _, body := s.do(t, request{method: "GET", path: tc.path, user: "viewer"}); code != tc.code || !strings.Contains(body, tc.want) {
			t.Errorf("GET %s: %d %s; want %d with %q", tc.path, code, body, tc.code, tc.want)
		}
	}
	if n := in.Count("quantrac", `SELECT count("id") FROM qc_spans`); n != 0 {
		t.Errorf("refused bodies stored %d spans", n)
	}
}

// A revoked span stays, with who revoked it and when; the list shows automatic and manual
// spans, active and revoked; a span is revoked once (409 after), an unknown id is 404.
func TestQCRevokeAndList(t *testing.T) {
	in := testenv.InfluxDB(t, testenv.InfluxOptions{DisableFlux: true})
	in.CreateDatabase("quantrac")
	s := newQCServer(t, in, true)
	auto := quantrac.QCSpan{Station: "LC-AQ-01", Parameter: "no2", Source: "auto", From: time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC),
		To: time.Date(2026, 11, 20, 6, 0, 0, 0, time.UTC), Action: "invalidate", Reason: "flat line: 250 for 6h", User: "auto", CreatedAt: qcNow.Add(-time.Hour)}
	if _, err := s.qc.AddSpans(t.Context(), auto); err != nil {
		t.Fatal(err)
	}
	all := strings.Replace(validSpan, `"no2"`, `"*"`, 1)
	var ids []string
	for _, body := range []string{validSpan, all} {
		code, _, resp := s.do(t, request{method: "POST", path: "/api/v1/qc", user: "editor", body: body})
		var sp quantrac.QCSpan
		if code != 201 || json.Unmarshal([]byte(resp), &sp) != nil {
			t.Fatalf("POST: %d %s", code, resp)
		}
		ids = append(ids, sp.ID)
	}
	code, _, body := s.do(t, request{method: "DELETE", path: "/api/v1/qc/" + ids[0], user: "editor"})
	var rev quantrac.QCSpan
	if code != 200 || json.Unmarshal([]byte(body), &rev) != nil || rev.RevokedBy != "editor" || !rev.RevokedAt.Equal(qcNow) || rev.Reason != "analyser fault" {
		t.Fatalf("DELETE: %d %s", code, body)
	}
	if got := s.onSpan(); len(got) != 3 || got[2] != rev {
		t.Errorf("OnSpan after the revocation: %+v", got)
	}
	if code, _, body := s.do(t, request{method: "DELETE", path: "/api/v1/qc/" + ids[0], user: "editor"}); code != 409 || !strings.Contains(body, "already revoked by editor") {
		t.Errorf("second DELETE: %d %s", code, body)
	}
	if code, _, body := s.do(t, request{method: "DELETE", path: "/api/v1/qc/nope", user: "editor"}); code != 404 || !strings.Contains(body, `no QC span \"nope\"`) {
		t.Errorf("DELETE of an unknown id: %d %s", code, body)
	}
	if code, _, body := s.do(t, request{method: "DELETE", path: "/api/v1/qc/" + ids[1], user: "editor",
		header: map[string]string{"Content-Type": "text/plain"}}); code != 415 {
		t.Errorf("DELETE with a text/plain body: %d %s", code, body)
	}
	var doc SpansDoc
	code, _, body = s.do(t, request{method: "GET", path: "/api/v1/qc?station=LC-AQ-01&from=2026-11-01T00:00:00Z", user: "viewer"})
	if code != 200 || json.Unmarshal([]byte(body), &doc) != nil || len(doc.Spans) != 3 {
		t.Fatalf("GET: %d %s", code, body)
	}
	got := map[string]quantrac.QCSpan{}
	for _, sp := range doc.Spans {
		got[sp.ID] = sp
	}
	if sp := got[ids[0]]; sp.RevokedBy != "editor" || sp.Active() || sp.User != "editor" {
		t.Errorf("the revoked span lists as %+v", sp)
	}
	if sp := got[ids[1]]; !sp.Active() || sp.Parameter != "*" {
		t.Errorf("the active span for every parameter lists as %+v", sp)
	}
	if doc.Spans[0].Source != "auto" || doc.Spans[0].Reason != auto.Reason {
		t.Errorf("the automatic span (earliest) lists as %+v", doc.Spans[0])
	}
	if m := notSnake.FindAllString(body, 3); len(m) > 0 {
		t.Errorf("keys not in snake_case: %v", m)
	}
	if code, _, body := s.do(t, request{method: "GET", path: "/api/v1/qc?station=LC-AQ-01&to=2026-11-21T00:00:00Z", user: "viewer"}); code != 200 || strings.Contains(body, ids[0]) || !strings.Contains(body, `"auto"`) {
		t.Errorf("GET up to 21 November (the automatic span only): %d %s", code, body)
	}
	if n := in.Count("quantrac", `SELECT count("id") FROM qc_spans`); n != 3 {
		t.Errorf("qc_spans holds %d points, want 3 (revoking erases nothing)", n)
	}
	if !strings.Contains(s.log.String(), "user=editor action=revoke id="+ids[0]+" station=LC-AQ-01") {
		t.Errorf("no audit line for the revocation:\n%s", s.log.String())
	}
}

// An editor approves a station's month (201), lists approvals by month, withdraws one (200,
// kept with who and when); a month that is malformed or has not started is refused.
func TestApprovalsAPI(t *testing.T) {
	in := testenv.InfluxDB(t, testenv.InfluxOptions{DisableFlux: true})
	in.CreateDatabase("quantrac")
	s := newQCServer(t, in, true)
	for _, tc := range []struct {
		body string
		want string
	}{
		{`{"station": "LC-AQ-01", "month": "November"}`, `month: month \"November\": want YYYY-MM`},
		{`{"station": "LC-AQ-01", "month": "2027-01"}`, "month: 2027-01 has not started"},
		{`{"station": "NOPE", "month": "2026-11"}`, `station: unknown station \"NOPE\"`},
		{`{"station": "LC-AQ-01", "month": "2026-11", "user": "mallory"}`, "user: set by the server"},
		{`{"station": "LC-AQ-01", "month": "2026-11", "note": "x"}`, `body: unknown field \"note\"`},
	} {
		if code, _, body := s.do(t, request{method: "POST", path: "/api/v1/approvals", user: "editor", body: tc.body}); code != 400 || !strings.Contains(body, tc.want) {
			t.Errorf("POST %s: %d %s; want 400 with %q", tc.body, code, body, tc.want)
		}
	}
	var ap quantrac.Approval
	code, _, body := s.do(t, request{method: "POST", path: "/api/v1/approvals", user: "editor", body: `{"station": "LC-AQ-01", "month": "2026-11"}`})
	if code != 201 || json.Unmarshal([]byte(body), &ap) != nil || ap.User != "editor" || ap.Month != "2026-11" || !ap.CreatedAt.Equal(qcNow) || ap.ID == "" {
		t.Fatalf("POST approval: %d %s", code, body)
	}
	if _, _, body := s.do(t, request{method: "POST", path: "/api/v1/approvals", user: "editor", body: `{"station": "FR-AQ-01", "month": "2026-10"}`}); !strings.Contains(body, `"id"`) {
		t.Fatalf("second approval: %s", body)
	}
	var doc ApprovalsDoc
	code, _, body = s.do(t, request{method: "GET", path: "/api/v1/approvals?month=2026-11", user: "viewer"})
	if code != 200 || json.Unmarshal([]byte(body), &doc) != nil || len(doc.Approvals) != 1 || doc.Approvals[0] != ap {
		t.Fatalf("GET approvals of 2026-11: %d %s", code, body)
	}
	code, _, body = s.do(t, request{method: "DELETE", path: "/api/v1/approvals/" + ap.ID, user: "editor"})
	if code != 200 || !strings.Contains(body, `"withdrawn_by": "editor"`) {
		t.Fatalf("DELETE approval: %d %s", code, body)
	}
	if code, _, body := s.do(t, request{method: "DELETE", path: "/api/v1/approvals/" + ap.ID, user: "editor"}); code != 409 {
		t.Errorf("second DELETE: %d %s", code, body)
	}
	code, _, body = s.do(t, request{method: "GET", path: "/api/v1/approvals", user: "viewer"})
	if code != 200 || json.Unmarshal([]byte(body), &doc) != nil || len(doc.Approvals) != 2 || doc.Approvals[1].WithdrawnBy != "editor" {
		t.Errorf("GET all approvals: %d %s", code, body)
	}
	for _, line := range []string{"user=editor action=approve id=" + ap.ID + " station=LC-AQ-01 month=2026-11", "user=editor action=withdraw id=" + ap.ID} {
		if !strings.Contains(s.log.String(), line) {
			t.Errorf("no audit line %q in:\n%s", line, s.log.String())
		}
	}
}
