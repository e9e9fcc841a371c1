package console

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/quantrac/quantrac"
	"github.com/quantrac/quantrac/api"
	"github.com/quantrac/quantrac/archive"
	"github.com/quantrac/quantrac/internal/testenv"
	"github.com/quantrac/quantrac/rules"
	"github.com/quantrac/quantrac/store"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const registryYAML = `stations:
  - id: LC-AQ-01
    name: "Trạm không khí TP Lai Châu"
    kind: air
    location: {lat: 22.3964, lon: 103.4582}
    tags: {province: "Lai Châu"}
    regulations: [QCVN-05:2023]
  - id: LC-WW-01
    kind: wastewater
    location: {lat: 22.389, lon: 103.47}
    regulations: [QCVN-40:2011/B]
    coefficients: {kq: 0.9, kf: 1.0}
    maintenance:
      - {from: 2026-12-01T08:00:00+07:00, until: 2026-12-01T12:00:00+07:00, reason: calibration}
  - id: FR-AQ-01
    kind: air
    location: {lat: 48.85, lon: 2.35}
    timezone: Europe/Paris
    regulations: [EU-2008/50]
`

// newServer serves the API and the console over a real engine and a real InfluxDB holding a
// day of PM2.5 of LC-AQ-01.
func newServer(t *testing.T, tiles string) *httptest.Server {
	t.Helper()
	return newServerTuned(t, tiles, nil)
}

// newServerTuned is newServer with the API's and the console's options changed by tune
// before they are built.
func newServerTuned(t *testing.T, tiles string, tune func(in *testenv.Influx, ao *api.Options, co *Options)) *httptest.Server {
	t.Helper()
	in := testenv.InfluxDB(t, testenv.InfluxOptions{DisableFlux: true})
	in.CreateDatabase("quantrac")
	reg, err := quantrac.ParseRegistry([]byte(registryYAML), "stations.yaml", quantrac.RegistryOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cat, err := rules.LoadCatalog()
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().Truncate(5 * time.Minute)
	engine := rules.NewEngine(cat, reg, func() time.Time { return now })
	if err := engine.Rebuild(context.Background(), nil, now); err != nil { // nothing stored before: start empty
		t.Fatal(err)
	}
	var lines []string
	for ts := now.Add(-24 * time.Hour); !ts.After(now); ts = ts.Add(5 * time.Minute) {
		engine.Observe([]quantrac.Reading{{Station: "LC-AQ-01", Kind: quantrac.Air, Param: "pm25", Value: 30, Time: ts, Status: "00"}})
		lines = append(lines, fmt.Sprintf("air,station=LC-AQ-01 pm25=30 %d", ts.UnixNano()))
	}
	in.Write("quantrac/autogen", strings.Join(lines, "\n"))
	// A COD sample above QCVN 40:2011/B's 150 × 0.9: a violation in progress with its evidence.
	engine.Observe([]quantrac.Reading{{Station: "LC-WW-01", Kind: quantrac.Wastewater, Param: "cod", Value: 500, Time: now.Add(-time.Minute), Status: "00"}})
	registry := func() *quantrac.Registry { return reg }
	ao := api.Options{State: engine, Registry: registry, Catalog: cat, Now: func() time.Time { return now },
		Archive: archive.New(store.NewQuerier(store.WriterOptions{URL: in.URL(), Bucket: "quantrac/autogen"}, nil))}
	co := Options{Registry: registry, MapTiles: tiles, Now: func() time.Time { return now }}
	if tune != nil {
		tune(in, &ao, &co)
	}
	a := api.New(ao)
	co.API = a
	c, err := New(co)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	a.Register(mux)
	c.Register(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

type response struct {
	code   int
	header http.Header
	body   string
}

func get(t *testing.T, srv *httptest.Server, path string) response {
	t.Helper()
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Get(srv.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return response{resp.StatusCode, resp.Header, string(b)}
}

func TestPages(t *testing.T) {
	srv := newServer(t, "")
	month := time.Now().AddDate(0, -1, 0).Format("2006-01")
	for _, tc := range []struct {
		path, contentType string
		code              int
		want              []string
	}{
		// Vietnamese by default for Vietnam's stations, English on request or for a station
		// whose registry puts it elsewhere.
		{"/", "text/html", 200, []string{`<html lang="vi">`, "Bản đồ", `data-station="LC-AQ-01"`, `data-station="FR-AQ-01"`, "land-VN"}},
		{"/?lang=en", "text/html", 200, []string{`<html lang="en">`, "Stations", `hreflang="vi"`}},
		{"/stations/LC-AQ-01", "text/html", 200, []string{`<html lang="vi">`, `<figure class="chart" data-parameter="pm25"`, "QCVN-05:2023 24h 45"}},
		{"/stations/LC-WW-01?lang=en", "text/html", 200, []string{"calibration", "2026-12-01 08:00 &#43;07",
			`<tr class="violation-row" data-parameter="cod" data-force="binding">`, `<td data-k="words">Exceeds the standard</td>`, "C 150 mg/L × kq 0.9 × kf 1 · "}},
		{"/stations/FR-AQ-01", "text/html", 200, []string{`<html lang="en">`}},
		{"/stations/NOPE", "text/html", 404, []string{"unknown station NOPE"}},
		{"/stations/LC-AQ-01?period=2w", "text/html", 400, []string{"is not 24h, 7d or 30d"}},
		{"/stations/LC-AQ-01?from=yesterday", "text/html", 400, []string{"from: &#34;yesterday&#34; is not a date"}},
		{"/violations?active=false&from=2026-11-01", "text/html", 200, []string{`name="station"`}},
		{"/violations?active=perhaps", "text/html", 400, []string{"is not true or false"}},
		{"/reports/" + month, "text/html", 200, []string{"Chỉ tiêu của tỉnh", "Lai Châu", `@media print`}},
		{"/reports/" + month + "?station=LC-WW-01&lang=en", "text/html", 200, []string{`id="st-LC-WW-01"`, "Definitions"}},
		{"/reports/" + month + ".csv?station=LC-AQ-01", "text/csv", 200, []string{"month,section,province,station"}},
		{"/reports/2026-13", "text/html", 400, []string{"YYYY-MM"}},
		{"/reports/0000-01", "text/html", 400, []string{"between 1970 and 2200"}},
		{"/reports/1442-05.csv", "text/html", 400, []string{"between 1970 and 2200"}},
		{"/reports/", "", 302, nil},
		{"/assets/console.css", "text/css", 200, []string{".marker"}},
		{"/assets/console.js", "text/javascript", 200, []string{"print"}},
	} {
		r := get(t, srv, tc.path)
		if r.code != tc.code || !strings.HasPrefix(r.header.Get("Content-Type"), tc.contentType) {
			t.Errorf("GET %s = %d %s, want %d %s: %.300s", tc.path, r.code, r.header.Get("Content-Type"), tc.code, tc.contentType, r.body)
		}
		for _, w := range tc.want {
			if !strings.Contains(r.body, w) {
				t.Errorf("GET %s: no %q in the page", tc.path, w)
			}
		}
		if strings.HasPrefix(tc.contentType, "text/html") && !strings.Contains(r.header.Get("Content-Security-Policy"), "script-src 'self'") {
			t.Errorf("GET %s: Content-Security-Policy %q", tc.path, r.header.Get("Content-Security-Policy"))
		}
		if strings.Contains(r.body, "ZgotmplZ") {
			t.Errorf("GET %s: a value was rejected by html/template (ZgotmplZ)", tc.path)
		}
	}
	if r := get(t, srv, "/reports/"); !strings.HasSuffix(r.header.Get("Location"), month+"?") {
		t.Errorf("/reports/ redirects to %q, want the previous month %s", r.header.Get("Location"), month)
	}
}

// web.map_tiles adds the tiles under the outline and to the content policy.
func TestMapTiles(t *testing.T) {
	srv := newServer(t, "https://tiles.example.org/{z}/{x}/{y}.png")
	r := get(t, srv, "/")
	if !strings.Contains(r.body, `<image class="tile" href="https://tiles.example.org/`) || !strings.Contains(r.body, "over-tiles") {
		t.Errorf("no tiles in the map:\n%.2000s", r.body)
	}
	if !strings.Contains(r.header.Get("Content-Security-Policy"), "img-src 'self' data: https://tiles.example.org") {
		t.Errorf("Content-Security-Policy %q does not allow the tile server", r.header.Get("Content-Security-Policy"))
	}
}

// The station page draws any range it is given: local dates and times of the station's zone
// (+07 for LC-AQ-01), or RFC 3339 times; the page links to itself with that range.
func TestStationPageRange(t *testing.T) {
	srv := newServer(t, "")
	ict := time.FixedZone("ICT", 7*3600)
	day := time.Now().In(ict).AddDate(0, 0, -1)
	from := time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, ict)
	for path, want := range map[string][2]time.Time{
		"/stations/LC-AQ-01?from=" + from.Format(time.DateOnly) + "&to=" + from.AddDate(0, 0, 1).Format(time.DateOnly):           {from, from.AddDate(0, 0, 1)},
		"/stations/LC-AQ-01?from=" + from.Format("2006-01-02T15:04") + "&to=" + from.AddDate(0, 0, 1).UTC().Format(time.RFC3339): {from, from.AddDate(0, 0, 1)},
	} {
		r := get(t, srv, path)
		span := `data-from="` + want[0].UTC().Format(time.RFC3339) + `" data-to="` + want[1].UTC().Format(time.RFC3339) + `"`
		if r.code != 200 || !strings.Contains(r.body, `<figure class="chart" data-parameter="pm25" `+span) {
			t.Errorf("GET %s = %d: no pm25 chart over %s: %.300s", path, r.code, span, r.body)
		}
		if strings.Contains(r.body, `aria-current="page">`) && strings.Contains(r.body, `class="periods"`) &&
			regexp.MustCompile(`class="periods">[^\n]*aria-current`).MatchString(r.body) {
			t.Errorf("GET %s: a last-N link is marked current for a range of its own", path)
		}
	}
}
