package report

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/quantrac/quantrac"
	"github.com/quantrac/quantrac/archive"
	"github.com/quantrac/quantrac/internal/i18n"
	"github.com/quantrac/quantrac/internal/testenv"
	"github.com/quantrac/quantrac/rules"
	"github.com/quantrac/quantrac/store"
)

const forceRegistry = `stations:
  - {id: AQ, name: "Trạm SO2", kind: air, interval: 5m, location: {lat: 22.4, lon: 103.46}, tags: {province: "Lai Châu"},
     regulations: [QCVN-05:2023, WHO-2021]}
  - {id: WW, kind: wastewater, interval: 1h, location: {lat: 22.39, lon: 103.47}, tags: {province: "Lai Châu"},
     regulations: [QCVN-40:2011/B], coefficients: {kq: 0.9, kf: 1.0},
     limits: [{parameter: cod, max: 80, unit: mg/L, period: 1h}]}
  - {id: OLD, kind: air, location: {lat: 22.4, lon: 103.46}, regulations: [QCVN-05:2023, WHO-2021]}
`

// buildForceMonth runs the rules engine over November 2026 on a real InfluxDB and builds the
// month's report. AQ (QCVN 05:2023 + WHO 2021) reports SO2 every 5 minutes at 20 µg/m³, but
// 600 at 10:05 and 10:10 on 10 November: that 10-minute mean passes WHO's 500 while the hour's
// mean, 116.7, stays far under QCVN's 350. WW's COD is 50 mg/L but 100 (over its permit's 80, under
// QCVN 40:2011/B's 150 × 0.9) at 08:00 on 5 November and 200 (over both) at 08:00 on 6 November.
// OLD has only violation points written before limits had a force.
func buildForceMonth(t *testing.T) *Report {
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
	loc := reg.Station("AQ").TimeLocation()
	from := time.Date(2026, 11, 1, 0, 0, 0, 0, loc)
	end := from.AddDate(0, 1, 0)
	now := end.Add(time.Hour)
	engine := rules.NewEngine(cat, reg, func() time.Time { return now })
	if err := engine.Rebuild(context.Background(), nil, from); err != nil {
		t.Fatal(err)
	}
	var lines []byte
	observe := func(r quantrac.Reading) {
		r.Status = "00"
		env := quantrac.Envelope{Station: reg.Station(r.Station), Readings: []quantrac.Reading{r}, Transitions: engine.Observe([]quantrac.Reading{r})}
		lines, _ = store.AppendEnvelope(lines, &env)
	}
	spike := time.Date(2026, 11, 10, 10, 0, 0, 0, loc)
	for ts := from.Add(5 * time.Minute); !ts.After(end); ts = ts.Add(5 * time.Minute) {
		v := 20.0
		if ts.After(spike) && !ts.After(spike.Add(10*time.Minute)) {
			v = 600
		}
		observe(quantrac.Reading{Station: "AQ", Kind: quantrac.Air, Param: "so2", Value: v, Time: ts})
	}
	for ts := from.Add(time.Hour); !ts.After(end); ts = ts.Add(time.Hour) {
		v := 50.0
		switch ts {
		case time.Date(2026, 11, 5, 8, 0, 0, 0, loc):
			v = 100
		case time.Date(2026, 11, 6, 8, 0, 0, 0, loc):
			v = 200
		}
		observe(quantrac.Reading{Station: "WW", Kind: quantrac.Wastewater, Param: "cod", Value: v, Time: ts})
	}
	env := quantrac.Envelope{Transitions: engine.Tick(now)}
	lines, _ = store.AppendEnvelope(lines, &env)
	// Points written before limits had a force: no force field.
	for i, state := range []string{"started", "ended"} {
		at := time.Date(2026, 11, 12, 10, 10+10*i, 0, 0, loc)
		lines = fmt.Appendf(lines, "violations,parameter=so2,period=10m,regulation=WHO-2021,station=OLD state=%q,value=600,limit=500,ratio=1.2,coverage=1,count=1i,window_start=%q,window_end=%q,version=\"v\" %d\n",
			state, at.Add(-10*time.Minute).UTC().Format(time.RFC3339), at.UTC().Format(time.RFC3339), at.UnixNano())
	}
	in.Write("quantrac/autogen", string(lines))
	q := store.NewQuerier(store.WriterOptions{URL: in.URL(), Bucket: "quantrac/autogen", Timeout: 5 * time.Second}, nil)
	b := &Builder{Archive: archive.New(q), Catalog: cat, Registry: func() *quantrac.Registry { return reg }}
	r, err := b.Build(context.Background(), Month{2026, time.November}, "", time.Date(2026, 12, 10, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func stationOf(t *testing.T, r *Report, id string) *Station {
	t.Helper()
	i := slices.IndexFunc(r.Stations, func(s Station) bool { return s.ID == id })
	if i < 0 {
		t.Fatalf("no station %s in the report", id)
	}
	return &r.Stations[i]
}

func limitOf(t *testing.T, s *Station, key string) Exceedance {
	t.Helper()
	i := slices.IndexFunc(s.Limits, func(e Exceedance) bool { return archive.LimitKey(e.Parameter, e.Regulation, e.Period) == key })
	if i < 0 {
		t.Fatalf("station %s: no limit %q", s.ID, key)
	}
	return s.Limits[i]
}

// A 10-minute SO2 mean over WHO's 500 µg/m³ (hourly mean 116.7, under QCVN 05:2023's 350)
// leaves the station "met": WHO is a reference, listed apart with its words; the province's
// air indicator counts the station as met. A permit's exceedance reads "Vượt giới hạn cho
// phép", QCVN 40's "Vượt quy chuẩn", and they make their station "not met".
func TestReportForce(t *testing.T) {
	r := buildForceMonth(t)
	aq, ww, old := stationOf(t, r, "AQ"), stationOf(t, r, "WW"), stationOf(t, r, "OLD")
	who := limitOf(t, aq, "so2 WHO-2021 10m")
	if who.Force != rules.ForceReference || who.Started != 1 {
		t.Errorf("WHO 10m SO2 %+v, want a reference started once", who)
	}
	if l := limitOf(t, aq, "so2 QCVN-05:2023 1h"); l.Force != rules.ForceBinding || l.Started != 0 {
		t.Errorf("QCVN 05 1h SO2 %+v, want binding, not exceeded", l)
	}
	if len(aq.Violations) == 0 || aq.Violations[0].Value != 600 || aq.Violations[0].Limit != 500 {
		t.Errorf("AQ's violations %+v, want WHO's 10-minute mean 600 over 500 first", aq.Violations)
	}
	if aq.Verdict != VerdictMet {
		t.Errorf("AQ verdict %s, want met: a WHO exceedance is no failure", aq.Verdict)
	}
	if len(aq.Violations) == 0 || slices.ContainsFunc(aq.Violations, func(v quantrac.Transition) bool { return v.Force != rules.ForceReference }) {
		t.Errorf("AQ violations %+v, want WHO's, as references", aq.Violations)
	}
	if a := r.Provinces[0].Air; !slices.Contains(a.Met, "AQ") || len(a.NotMet) != 0 {
		t.Errorf("air indicator %+v, want AQ met", a)
	}
	if l := limitOf(t, ww, "cod permit 1h"); l.Force != rules.ForceBinding || l.Started != 2 {
		t.Errorf("permit COD %+v, want binding, started twice", l)
	}
	if ww.Verdict != VerdictNotMet {
		t.Errorf("WW verdict %s, want not_met", ww.Verdict)
	}
	// Points written without a force take it from the catalog.
	if len(old.Violations) != 2 || old.Violations[0].Force != rules.ForceReference || old.Verdict != VerdictInsufficient {
		t.Errorf("OLD violations %+v verdict %s, want references and insufficient data", old.Violations, old.Verdict)
	}
	checkForceHTML(t, r)
	checkForceCSV(t, r)
}

func checkForceHTML(t *testing.T, r *Report) {
	t.Helper()
	tmpl, err := Template()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		lang                          i18n.Lang
		met, standard, permit, refSec string
	}{
		{i18n.VI, "Đạt", "Vượt quy chuẩn", "Vượt giới hạn cho phép", "Ngưỡng tham chiếu (không dùng để kết luận)"},
		{i18n.EN, "Met", "Exceeds the standard", "Exceeds the permitted limit", "Reference levels (not used for the conclusion)"},
	} {
		var buf bytes.Buffer
		if err := r.WriteHTML(&buf, tmpl, HTMLOptions{Lang: c.lang}); err != nil {
			t.Fatal(err)
		}
		page := buf.String()
		aq := section(page, "AQ")
		binding, reference, _ := strings.Cut(aq, `<section class="reference"`)
		ref := c.lang.Words(rules.ForceReference, "WHO-2021")
		if !strings.Contains(aq, `data-verdict="met">`+c.met+"<") || !strings.Contains(reference, c.refSec) ||
			!strings.Contains(reference, `<td data-k="words">`+ref+`</td>`) || strings.Contains(binding, ref) {
			t.Errorf("%s: AQ's report does not list WHO apart as %q under %q:\n%s", c.lang, ref, c.refSec, aq)
		}
		ww := section(page, "WW")
		for _, w := range []string{`data-verdict="not_met"`, `<td data-k="words">` + c.permit + `</td>`, `<td data-k="words">` + c.standard + `</td>`} {
			if !strings.Contains(ww, w) {
				t.Errorf("%s: no %q in WW's report", c.lang, w)
			}
		}
		if strings.Contains(strings.ToLower(page), "vi phạm") || strings.Contains(strings.ToLower(page), "violation ") {
			t.Errorf("%s: the report says violation", c.lang)
		}
	}
}

// section returns the HTML of one station's section of the report.
func section(page, id string) string {
	_, s, _ := strings.Cut(page, `id="st-`+id+`"`)
	s, _, _ = strings.Cut(s, `<section class="station-report"`)
	return s
}

func checkForceCSV(t *testing.T, r *Report) {
	t.Helper()
	var buf bytes.Buffer
	if err := r.WriteCSV(&buf); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	got := map[string]string{}
	for _, row := range rows[1:] {
		if s := row[col["section"]]; s == "limit" || s == "violation" {
			got[s+" "+row[col["station"]]+" "+row[col["regulation"]]+" "+row[col["period"]]] = row[col["force"]]
		}
	}
	for k, want := range map[string]string{"limit AQ WHO-2021 10m": "reference", "violation AQ WHO-2021 10m": "reference",
		"limit AQ QCVN-05:2023 1h": "binding", "limit WW permit 1h": "binding", "violation WW permit 1h": "binding",
		"violation OLD WHO-2021 10m": "reference"} {
		if got[k] != want {
			t.Errorf("CSV %s: force %q, want %q", k, got[k], want)
		}
	}
}
