package httpapi

import (
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/quantrac/quantrac"
	"github.com/quantrac/quantrac/rules"
)

// testEngine is a rules engine with one station whose pm10 limit is breached (a file without
// force: a guideline, so a reference for the station).
func testEngine(t *testing.T) *rules.Engine {
	t.Helper()
	reg, err := rules.ParseRegulation([]byte(`id: TEST
title: t
kind: air
source: {document: d}
limits:
  - {parameter: pm10, period: 1h, max: 50, unit: µg/m³}
  - {parameter: pm10, period: 24h, max: 50, unit: µg/m³, allowed_exceedances_per_year: 3}
`), "test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	st := &quantrac.Station{ID: "S-1", Name: `Trạm "1"`, Kind: quantrac.Air, Interval: 5 * time.Minute,
		Tags: map[string]string{"site": "a\\b\nc"}, Regulations: []string{"TEST"}}
	stations, err := quantrac.NewRegistry(st)
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	e := rules.NewEngine(rules.NewCatalog(reg), stations, func() time.Time { return t0.Add(time.Hour) })
	if err := e.Rebuild(t.Context(), nil, t0); err != nil { // nothing stored: start empty
		t.Fatal(err)
	}
	var rs []quantrac.Reading
	for i := range 12 {
		rs = append(rs, quantrac.Reading{Station: "S-1", Kind: quantrac.Air, Param: "pm10", Value: 80,
			Time: t0.Add(time.Duration(i+1) * 5 * time.Minute), Status: quantrac.StatusMeasuring})
	}
	e.Observe(rs)
	return e
}

// serve runs a server with o's Gatherer and Expositions and returns its address.
func serve(t *testing.T, o Options) string {
	t.Helper()
	o.Address = "127.0.0.1:0"
	s, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- s.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	return s.Addr()
}

// scrape gets /metrics with the Accept-Encoding header given, without the client's own
// decompression, and returns the response and its body as sent.
// scraped is what a test looks at of a /metrics response; its body is read and closed.
type scraped struct {
	StatusCode int
	Header     http.Header
}

func scrape(t *testing.T, addr, acceptEncoding string) (scraped, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, "http://"+addr+"/metrics", nil)
	if err != nil {
		t.Fatal(err)
	}
	if acceptEncoding != "" {
		req.Header.Set("Accept-Encoding", acceptEncoding)
	}
	c := &http.Client{Transport: &http.Transport{DisableCompression: true}}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return scraped{resp.StatusCode, resp.Header}, b
}

func TestMetricsPlainAndGzip(t *testing.T) {
	reg := prometheus.NewRegistry()
	c := prometheus.NewCounter(prometheus.CounterOpts{Name: "quantrac_test_total", Help: "test"})
	reg.MustRegister(c)
	c.Add(3)
	addr := serve(t, Options{Gatherer: reg, Expositions: []Exposition{testEngine(t).Exporter()}})

	resp, plain := scrape(t, addr, "")
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/plain; version=0.0.4; charset=utf-8" ||
		resp.Header.Get("Content-Encoding") != "" {
		t.Fatalf("plain: %d %v\n%s", resp.StatusCode, resp.Header, plain)
	}
	mfs := parse(t, string(plain))
	for name, want := range map[string]string{
		"quantrac_test_total":          `3`,
		"quantrac_exceedances_allowed": `force="reference" parameter="pm10" period="24h" regulation="TEST" station="S-1" 3`,
		"quantrac_station_info":        `kind="air" lat="0" lon="0" name="Trạm \"1\"" site="a\\b\nc" station="S-1" 1`,
	} {
		if got := only(mfs[name]); got != want {
			t.Errorf("%s: %s, want %s", name, got, want)
		}
	}
	// The first series is the 1h limit's (formatted by only: the protobuf text form randomises
	// its spacing on purpose, so comparing it flakes).
	if vs := mfs["quantrac_violation"]; vs == nil || len(vs.Metric) == 0 {
		t.Errorf("no quantrac_violation")
	} else if got, want := only(&dto.MetricFamily{Metric: vs.Metric[:1]}), `force="reference" parameter="pm10" period="1h" regulation="TEST" station="S-1" 1`; got != want {
		t.Errorf("quantrac_violation: %s, want %s", got, want)
	}

	for _, ae := range []string{"gzip", "deflate, gzip;q=0.5", "br;q=1.0, *;q=0.1"} {
		resp, body := scrape(t, addr, ae)
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Encoding") != "gzip" ||
			resp.Header.Get("Content-Type") != "text/plain; version=0.0.4; charset=utf-8" {
			t.Fatalf("%q: %d %v", ae, resp.StatusCode, resp.Header)
		}
		zr, err := gzip.NewReader(strings.NewReader(string(body)))
		if err != nil {
			t.Fatal(err)
		}
		text, err := io.ReadAll(zr)
		if err != nil || string(text) != string(plain) {
			t.Errorf("%q: gzip body differs from the plain one (%v):\n%s", ae, err, text)
		}
	}
	for _, ae := range []string{"identity", "gzip;q=0", "gzip;q=0, *", "br"} {
		if resp, body := scrape(t, addr, ae); resp.Header.Get("Content-Encoding") != "" || string(body) != string(plain) {
			t.Errorf("%q: Content-Encoding %q, body differs: %t", ae, resp.Header.Get("Content-Encoding"), string(body) != string(plain))
		}
	}
}

// With the Go and process collectors, as the daemon has them, every family appears once.
func TestMetricsFamiliesOnce(t *testing.T) {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	addr := serve(t, Options{Gatherer: reg, Expositions: []Exposition{testEngine(t).Exporter()}})
	resp, body := scrape(t, addr, "")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
	mfs := parse(t, string(body))
	if mfs["go_goroutines"] == nil || mfs["quantrac_station_up"] == nil {
		t.Errorf("families missing: %s", body)
	}
}

// A family both gathered and written by an exposition is an error, as a duplicate
// registration is; so is a gather error.
func TestMetricsErrors(t *testing.T) {
	e := testEngine(t)
	reg := prometheus.NewRegistry()
	reg.MustRegister(prometheus.NewGauge(prometheus.GaugeOpts{Name: "quantrac_station_up", Help: "up"}))
	if resp, body := scrape(t, serve(t, Options{Gatherer: reg, Expositions: []Exposition{e.Exporter()}}), ""); resp.StatusCode != http.StatusInternalServerError ||
		!strings.Contains(string(body), "quantrac_station_up") {
		t.Errorf("duplicate family: %d %s", resp.StatusCode, body)
	}
	failing := prometheus.GathererFunc(func() ([]*dto.MetricFamily, error) { return nil, errors.New("broken collector") })
	if resp, body := scrape(t, serve(t, Options{Gatherer: failing}), ""); resp.StatusCode != http.StatusInternalServerError ||
		!strings.Contains(string(body), "broken collector") {
		t.Errorf("gather error: %d %s", resp.StatusCode, body)
	}
	if _, err := New(Options{Address: "127.0.0.1:0", Gatherer: prometheus.NewRegistry(),
		Expositions: []Exposition{e.Exporter(), e.Exporter()}}); err == nil {
		t.Error("New accepted two expositions of the same families")
	}
}

func TestAcceptsGzip(t *testing.T) {
	for header, want := range map[string]bool{
		"": false, "gzip": true, "GZIP": true, "gzip, deflate, br": true, "br, gzip;q=0.8": true, "gzip; q=0": false,
		"gzip;q=0.0": false, "*": true, "*;q=0": false, "gzip;q=0, *": false, "identity": false, "x-gzip": false, "gzip;q=bad": false,
	} {
		if got := acceptsGzip(header); got != want {
			t.Errorf("acceptsGzip(%q) = %t, want %t", header, got, want)
		}
	}
}

// familyOf returns the name of the family a line belongs to, current when the line is a
// histogram's or summary's _bucket, _sum or _count sample.
func familyOf(line, current string) string {
	name, _, _ := strings.Cut(strings.TrimPrefix(strings.TrimPrefix(line, "# HELP "), "# TYPE "), " ")
	name, _, _ = strings.Cut(name, "{")
	for _, suffix := range []string{"_bucket", "_sum", "_count"} {
		if base, ok := strings.CutSuffix(name, suffix); ok && base == current {
			return current
		}
	}
	return name
}

// only renders the one series of mf as its labels and value.
func only(mf *dto.MetricFamily) string {
	if mf == nil || len(mf.Metric) != 1 {
		return fmt.Sprint(mf)
	}
	var b strings.Builder
	m := mf.Metric[0]
	for _, l := range m.Label {
		fmt.Fprintf(&b, "%s=%q ", l.GetName(), l.GetValue())
	}
	v := m.GetGauge().GetValue() + m.GetCounter().GetValue()
	fmt.Fprint(&b, v)
	return b.String()
}

// parse parses an exposition, failing t unless each family is one block that begins with
// its HELP line (the parser itself rejects a second HELP or TYPE line of a family).
func parse(t *testing.T, text string) map[string]*dto.MetricFamily {
	t.Helper()
	seen := map[string]bool{}
	current := ""
	for line := range strings.Lines(text) {
		if name := familyOf(line, current); name != current {
			if seen[name] || !strings.HasPrefix(line, "# HELP ") {
				t.Fatalf("family %s is not one block with HELP first: line %q", name, line)
			}
			seen[name], current = true, name
		}
	}
	p := expfmt.NewTextParser(model.LegacyValidation)
	mfs, err := p.TextToMetricFamilies(strings.NewReader(text))
	if err != nil {
		t.Fatal(err)
	}
	return mfs
}
