package console

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/quantrac/quantrac"
	"github.com/quantrac/quantrac/api"
	"github.com/quantrac/quantrac/internal/testenv"
	"github.com/quantrac/quantrac/store"
)

// qcServer serves the console over a real InfluxDB holding three spans of LC-AQ-01's PM2.5
// in the last day: an automatic one, an inspector's, and a revoked one; "editor" is in
// web.editors, and basicAuth says whether the web config has users.
func qcServer(t *testing.T, basicAuth bool) *httptest.Server {
	t.Helper()
	return newServerTuned(t, "", func(in *testenv.Influx, ao *api.Options, co *Options) {
		o := store.WriterOptions{URL: in.URL(), Bucket: "quantrac/autogen", Timeout: 5 * time.Second}
		w, err := store.NewWriter(o, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(w.Close)
		qc := store.NewQC(store.NewQuerier(o, nil), w)
		now := ao.Now()
		span := func(source, user, reason string, from, to time.Duration) quantrac.QCSpan {
			return quantrac.QCSpan{Station: "LC-AQ-01", Parameter: "pm25", Source: source, From: now.Add(-from), To: now.Add(-to),
				Action: quantrac.QCInvalidate, Reason: reason, User: user, CreatedAt: now.Add(-time.Minute)}
		}
		spans, err := qc.AddSpans(context.Background(), span("auto", "auto", "flat line", 20*time.Hour, 16*time.Hour),
			span("user", "ann", "analyser fault", 10*time.Hour, 4*time.Hour), span("user", "ann", "sampler blocked", 3*time.Hour, 2*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := qc.RevokeSpan(context.Background(), spans[2].ID, "bob", now); err != nil {
			t.Fatal(err)
		}
		ao.Spans, ao.Approvals, ao.Editors = qc, qc, []string{"editor"}
		co.Editors, co.BasicAuth = []string{"editor"}, func() bool { return basicAuth }
	})
}

func getAs(t *testing.T, srv *httptest.Server, path, user string) string {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if user != "" {
		req.SetBasicAuth(user, "pw")
	}
	r := doRequest(t, req)
	if r.code != 200 {
		t.Fatalf("GET %s as %q: %d %.300s", path, user, r.code, r.body)
	}
	return r.body
}

func doRequest(t *testing.T, req *http.Request) response {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return response{resp.StatusCode, resp.Header, string(b)}
}

// The station page shades the active invalidate spans by source and lists every span with
// who created and revoked it; an editor gets the span form and a revoke button per active
// span, a viewer (or anyone when the web config has no users) no write control at all.
func TestStationSpans(t *testing.T) {
	srv := qcServer(t, true)
	shade := regexp.MustCompile(`<rect class="qc-shade qc-(auto|user)"`)
	editor := getAs(t, srv, "/stations/LC-AQ-01?lang=en", "editor")
	var sources []string
	for _, m := range shade.FindAllStringSubmatch(editor, -1) {
		sources = append(sources, m[1])
	}
	if slices.Sort(sources); !slices.Equal(sources, []string{"auto", "user"}) {
		t.Errorf("shades of %v, want the automatic span's and the inspector's (not the revoked one)", sources)
	}
	for _, want := range []string{`id="qc-form"`, `data-tz="Asia/Ho_Chi_Minh"`, `<option>pm25</option>`, "analyser fault", "flat line",
		"sampler blocked", "Automatic", "Inspector", "bob · ", "Invalid (automatic check)"} {
		if !strings.Contains(editor, want) {
			t.Errorf("the editor's page has no %q", want)
		}
	}
	if n := strings.Count(editor, `class="qc-revoke"`); n != 2 {
		t.Errorf("%d revoke buttons for the editor, want one per active span (2)", n)
	}
	if n := strings.Count(editor, `<tr class="qc-span`); n != 3 {
		t.Errorf("%d spans listed, want 3 (revoked ones too)", n)
	}
	viewer := getAs(t, srv, "/stations/LC-AQ-01?lang=en", "viewer")
	if len(shade.FindAllString(viewer, -1)) != 2 || !strings.Contains(viewer, "analyser fault") {
		t.Errorf("the viewer's page lacks the shades or the list")
	}
	for _, page := range []string{viewer, getAs(t, srv, "/stations/LC-AQ-01", "")} {
		for _, control := range []string{"<form", "<button", "qc-revoke", "<input"} {
			if strings.Contains(page, control) {
				t.Errorf("a viewer's page holds a write control: %q", control)
			}
		}
	}
	if page := getAs(t, qcServer(t, false), "/stations/LC-AQ-01", "editor"); strings.Contains(page, "qc-form") || strings.Contains(page, "qc-revoke") {
		t.Error("without basic auth configured an editor's name draws write controls")
	}
}

// An editor's report of one station has the approve button, nobody else's has.
func TestReportApproveButton(t *testing.T) {
	srv := qcServer(t, true)
	month := time.Now().AddDate(0, -1, 0).Format("2006-01")
	page := getAs(t, srv, "/reports/"+month+"?station=LC-AQ-01&lang=en", "editor")
	if !strings.Contains(page, `class="approve-button" data-url="../api/v1/approvals" data-station="LC-AQ-01" data-month="`+month+`"`) ||
		!strings.Contains(page, "Approve this month") {
		t.Errorf("no approve button in the editor's report:\n%.1500s", page)
	}
	for path, user := range map[string]string{"/reports/" + month + "?station=LC-AQ-01": "viewer", "/reports/" + month: "editor"} {
		if strings.Contains(getAs(t, srv, path, user), "approve-button") {
			t.Errorf("%s as %s: an approve button", path, user)
		}
	}
}
