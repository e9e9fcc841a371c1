package console

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/quantrac/quantrac"
	"github.com/quantrac/quantrac/api"
	"github.com/quantrac/quantrac/archive"
	"github.com/quantrac/quantrac/internal/testenv"
	"github.com/quantrac/quantrac/rules"
	"github.com/quantrac/quantrac/store"
)

const forceRegistry = `stations:
  - {id: AQ, kind: air, interval: 5m, location: {lat: 22.39, lon: 103.45}, regulations: [QCVN-05:2023, WHO-2021]}
  - {id: WW, kind: wastewater, location: {lat: 22.38, lon: 103.47}, regulations: [QCVN-40:2011/B], coefficients: {kq: 0.9, kf: 1.0},
     limits: [{parameter: cod, max: 80, unit: mg/L}]}
  - {id: WQ, kind: wastewater, location: {lat: 22.37, lon: 103.49}, regulations: [QCVN-40:2011/B], coefficients: {kq: 0.9, kf: 1.0}}
`

// newForceServer serves the console over a real engine and InfluxDB. AQ (QCVN 05:2023 + WHO
// 2021) reports SO2 every 5 minutes at 20 µg/m³ for two hours, the last two readings 600: a
// 10-minute mean over WHO's 500, in progress, while QCVN's hourly 350 is far off. WW's COD
// sample of 100 mg/L exceeds its permit's 80, not QCVN 40:2011/B's 150 × 0.9; WQ's 500 exceeds
// QCVN 40.
func newForceServer(t *testing.T) *httptest.Server {
	t.Helper()
	in := testenv.InfluxDB(t, testenv.InfluxOptions{DisableFlux: true})
	in.CreateDatabase("quantrac")
	reg, err := quantrac.ParseRegistry([]byte(forceRegistry), "stations.yaml", quantrac.RegistryOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cat, err := rules.LoadCatalog()
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().Truncate(10 * time.Minute)
	engine := rules.NewEngine(cat, reg, func() time.Time { return now })
	if err := engine.Rebuild(context.Background(), nil, now); err != nil {
		t.Fatal(err)
	}
	var lines []byte
	observe := func(r quantrac.Reading) {
		r.Status = "00"
		env := quantrac.Envelope{Station: reg.Station(r.Station), Readings: []quantrac.Reading{r}, Transitions: engine.Observe([]quantrac.Reading{r})}
		lines, _ = store.AppendEnvelope(lines, &env)
	}
	for ts := now.Add(-2 * time.Hour); !ts.After(now); ts = ts.Add(5 * time.Minute) {
		v := 20.0
		if ts.After(now.Add(-10 * time.Minute)) {
			v = 600
		}
		observe(quantrac.Reading{Station: "AQ", Kind: quantrac.Air, Param: "so2", Value: v, Time: ts})
	}
	observe(quantrac.Reading{Station: "WW", Kind: quantrac.Wastewater, Param: "cod", Value: 100, Time: now.Add(-time.Minute)})
	observe(quantrac.Reading{Station: "WQ", Kind: quantrac.Wastewater, Param: "cod", Value: 500, Time: now.Add(-time.Minute)})
	in.Write("quantrac/autogen", string(lines))
	registry := func() *quantrac.Registry { return reg }
	a := api.New(api.Options{State: engine, Registry: registry, Catalog: cat, Now: func() time.Time { return now },
		Archive: archive.New(store.NewQuerier(store.WriterOptions{URL: in.URL(), Bucket: "quantrac/autogen"}, nil))})
	c, err := New(Options{API: a, Registry: registry, Now: func() time.Time { return now }})
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

// A WHO 10-minute SO2 mean over 500 µg/m³ is no exceedance of a standard: the map and the
// table show the station as "above reference", count no exceedance of it, and its page lists
// the WHO exceedance apart, in the reference words; a permit's exceedance reads "Vượt giới
// hạn cho phép", QCVN 40's "Vượt quy chuẩn".
func TestForceWords(t *testing.T) {
	srv := newForceServer(t)
	var doc api.StationsDoc
	if err := json.Unmarshal([]byte(get(t, srv, "/api/v1/stations").body), &doc); err != nil {
		t.Fatal(err)
	}
	states := map[string]string{}
	for _, s := range doc.Stations {
		states[s.ID] = s.State
		if s.ID == "AQ" && (s.ActiveCount != 1 || s.ActiveReference != 1) {
			t.Errorf("AQ: %d active, %d of references; want WHO's only", s.ActiveCount, s.ActiveReference)
		}
	}
	if states["AQ"] != api.StateReference || states["WW"] != api.StateViolation || states["WQ"] != api.StateViolation {
		t.Errorf("states %v, want AQ above_reference, WW and WQ violation", states)
	}
	home := get(t, srv, "/").body
	for _, w := range []string{`data-station="AQ" data-state="above_reference"`, `<b data-count="violation">2</b>`,
		`<b data-count="above_reference">1</b>`, `<b data-k="active">2</b>`, "Vượt ngưỡng tham chiếu",
		`<td data-k="active">0 <small class="ref" data-k="active-reference">(+1 tham chiếu)</small></td>`} {
		if !strings.Contains(home, w) {
			t.Errorf("map: no %q", w)
		}
	}
	aq := get(t, srv, "/stations/AQ").body
	if !strings.Contains(aq, `id="station-state" data-state="above_reference">Vượt ngưỡng tham chiếu<`) ||
		strings.Contains(aq, `id="active-violations"`) ||
		!regexp.MustCompile(`id="active-references">[^§]*<tr class="reference-row" data-parameter="so2" data-force="reference"><td data-k="words">Vượt ngưỡng tham chiếu WHO-2021</td>`).MatchString(aq) {
		t.Errorf("AQ's page does not list WHO apart as a reference:\n%s", between(aq, `<section id="active">`, "</section>"))
	}
	for id, want := range map[string]string{"WW": "Vượt giới hạn cho phép", "WQ": "Vượt quy chuẩn"} {
		page := get(t, srv, "/stations/"+id).body
		if !strings.Contains(between(page, `id="active-violations"`, "</table>"), `<td data-k="words">`+want+`</td>`) {
			t.Errorf("%s's page: no %q among its exceedances", id, want)
		}
	}
	v := get(t, srv, "/violations?active=true&lang=en").body
	for _, w := range []string{`<td data-k="words">Above the reference level WHO-2021</td>`, `<td data-k="words">Exceeds the permitted limit</td>`,
		`<td data-k="words">Exceeds the standard</td>`} {
		if !strings.Contains(v, w) {
			t.Errorf("violations page: no %q", w)
		}
	}
	for _, page := range []string{home, aq, v} {
		if strings.Contains(strings.ToLower(page), "vi phạm") {
			t.Error("a page says vi phạm")
		}
	}
}

func between(s, from, to string) string {
	_, s, _ = strings.Cut(s, from)
	s, _, _ = strings.Cut(s, to)
	return s
}
