package rules

import (
	"bytes"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/quantrac/quantrac"
)

func TestCollector(t *testing.T) {
	tagged := &quantrac.Station{ID: "LC-AQ-01", Name: "Trạm TP Lai Châu", Kind: quantrac.Air, Interval: 5 * time.Minute,
		Location: quantrac.Location{Lat: 22.3964, Lon: 103.4582}, Tags: map[string]string{"province": "Lai Châu"},
		Regulations: []string{"TEST-AIR"}}
	// TEST-AIR binds in VN, LC-AQ-01's country (the default); for DE-1 it is a reference.
	plain := &quantrac.Station{ID: "DE-1", Kind: quantrac.Air, Interval: 5 * time.Minute, Timezone: "UTC", Country: "DE", Regulations: []string{"TEST-AIR"}}
	reg := mustRegistry(t, tagged, plain)
	test := mustParseRegulation(t, `id: TEST-AIR
title: t
country: VN
force: binding
kind: air
source: {document: d}
limits:
  - {parameter: pm10, period: 24h, max: 50, unit: µg/m³, allowed_exceedances_per_year: 35}
  - {parameter: pm10, period: 1h, max: 100, unit: µg/m³}
`)
	now := mar1.Add(24*time.Hour + 5*time.Minute)
	e := NewEngine(NewCatalog(test), reg, func() time.Time { return now })
	x := e.Exporter()
	// Before the rebuild nothing but the registry is exported: no verdict reads as ok.
	if got := exposeString(t, x); !strings.Contains(got, "quantrac_rules_rebuilt 0\n") ||
		strings.Contains(got, "quantrac_violation") || strings.Contains(got, "quantrac_station_up") || !strings.Contains(got, "quantrac_station_info") {
		t.Errorf("before the rebuild:\n%s", got)
	}
	if st := e.Stations(); st[0].Rebuilt || st[0].Limits[0].State != StateUnknown {
		t.Errorf("before the rebuild: %+v", st[0])
	}
	rebuildEmpty(t, e, now)
	e.Observe(day("LC-AQ-01", "pm10", mar1, 288, 60))
	e.Observe(day("DE-1", "pm10", mar1, 100, 20))
	// A parameter without limits is still exported; a calibration reading changes nothing.
	e.Observe([]quantrac.Reading{{Station: "DE-1", Param: "no2", Value: 31.5, Time: mar1.Add(8 * time.Hour), Status: "00"},
		{Station: "DE-1", Param: "pm10", Value: 900, Time: mar1.Add(9 * time.Hour), Status: "01"}})
	// LC-AQ-01's day (00:00-24:00 local) closed at 24:00 with 60 µg/m³: exceeded, within the
	// allowance. DE-1 keeps UTC days: its readings from 17:05 UTC on 28 February give that day
	// 7 valid hours, and 1 March is in progress (hour ending 01:00 UTC closed, at 20).
	want := `
# HELP quantrac_exceedances Hours or days of the current calendar year (at the station's newest reading) above a counted limit's level.
# TYPE quantrac_exceedances gauge
quantrac_exceedances{force="reference",parameter="pm10",period="24h",regulation="TEST-AIR",station="DE-1"} 0
quantrac_exceedances{force="binding",parameter="pm10",period="24h",regulation="TEST-AIR",station="LC-AQ-01"} 1
# HELP quantrac_exceedances_allowed Exceedances the regulation allows in the current calendar year (percentile forms: for the valid days the year can still reach).
# TYPE quantrac_exceedances_allowed gauge
quantrac_exceedances_allowed{force="reference",parameter="pm10",period="24h",regulation="TEST-AIR",station="DE-1"} 35
quantrac_exceedances_allowed{force="binding",parameter="pm10",period="24h",regulation="TEST-AIR",station="LC-AQ-01"} 35
# HELP quantrac_limit_ratio Statistic of the latest closed period divided by the limit in force; only when that period has enough data for a verdict.
# TYPE quantrac_limit_ratio gauge
quantrac_limit_ratio{force="reference",parameter="pm10",period="1h",regulation="TEST-AIR",station="DE-1"} 0.2
quantrac_limit_ratio{force="binding",parameter="pm10",period="1h",regulation="TEST-AIR",station="LC-AQ-01"} 0.6
quantrac_limit_ratio{force="binding",parameter="pm10",period="24h",regulation="TEST-AIR",station="LC-AQ-01"} 1.2
# HELP quantrac_limit_ratio_provisional Statistic of the period in progress, as it stands, divided by the limit in force.
# TYPE quantrac_limit_ratio_provisional gauge
quantrac_limit_ratio_provisional{force="reference",parameter="pm10",period="1h",regulation="TEST-AIR",station="DE-1"} 0.2
quantrac_limit_ratio_provisional{force="reference",parameter="pm10",period="24h",regulation="TEST-AIR",station="DE-1"} 0.4
# HELP quantrac_parameter_value Newest valid value of a parameter, in its canonical unit.
# TYPE quantrac_parameter_value gauge
quantrac_parameter_value{parameter="no2",station="DE-1",unit="µg/m³"} 31.5
quantrac_parameter_value{parameter="pm10",station="DE-1",unit="µg/m³"} 20
quantrac_parameter_value{parameter="pm10",station="LC-AQ-01",unit="µg/m³"} 60
# HELP quantrac_rules_rebuilt 1 once the rules' state is rebuilt from InfluxDB (the last rebuild succeeded); until then stations export no verdict.
# TYPE quantrac_rules_rebuilt gauge
quantrac_rules_rebuilt 1
# HELP quantrac_station_info Registered station; 1 per station, with its registry tags.
# TYPE quantrac_station_info gauge
quantrac_station_info{kind="air",lat="0",lon="0",name="",province="",station="DE-1"} 1
quantrac_station_info{kind="air",lat="22.3964",lon="103.4582",name="Trạm TP Lai Châu",province="Lai Châu",station="LC-AQ-01"} 1
# HELP quantrac_station_last_reading_timestamp_seconds Time of the station's newest valid reading (measurement time).
# TYPE quantrac_station_last_reading_timestamp_seconds gauge
quantrac_station_last_reading_timestamp_seconds{station="DE-1"} 1.772328e+09
quantrac_station_last_reading_timestamp_seconds{station="LC-AQ-01"} 1.7723844e+09
# HELP quantrac_station_up 1 while the station's newest valid reading is within 3 reporting intervals of now.
# TYPE quantrac_station_up gauge
quantrac_station_up{station="DE-1"} 0
quantrac_station_up{station="LC-AQ-01"} 1
# HELP quantrac_violation 1 while the limit is breached: the latest closed period is outside it (beyond the allowance of a counted limit).
# TYPE quantrac_violation gauge
quantrac_violation{force="reference",parameter="pm10",period="1h",regulation="TEST-AIR",station="DE-1"} 0
quantrac_violation{force="binding",parameter="pm10",period="1h",regulation="TEST-AIR",station="LC-AQ-01"} 0
quantrac_violation{force="reference",parameter="pm10",period="24h",regulation="TEST-AIR",station="DE-1"} 0
quantrac_violation{force="binding",parameter="pm10",period="24h",regulation="TEST-AIR",station="LC-AQ-01"} 0
# HELP quantrac_violations_total Violations started since the process started.
# TYPE quantrac_violations_total counter
quantrac_violations_total{force="reference",parameter="pm10",period="1h",regulation="TEST-AIR",station="DE-1"} 0
quantrac_violations_total{force="binding",parameter="pm10",period="1h",regulation="TEST-AIR",station="LC-AQ-01"} 0
quantrac_violations_total{force="reference",parameter="pm10",period="24h",regulation="TEST-AIR",station="DE-1"} 0
quantrac_violations_total{force="binding",parameter="pm10",period="24h",regulation="TEST-AIR",station="LC-AQ-01"} 0
# HELP quantrac_window_coverage_ratio Data capture of the latest closed period (0-1).
# TYPE quantrac_window_coverage_ratio gauge
quantrac_window_coverage_ratio{force="reference",parameter="pm10",period="1h",regulation="TEST-AIR",station="DE-1"} 1
quantrac_window_coverage_ratio{force="binding",parameter="pm10",period="1h",regulation="TEST-AIR",station="LC-AQ-01"} 1
quantrac_window_coverage_ratio{force="reference",parameter="pm10",period="24h",regulation="TEST-AIR",station="DE-1"} 0.2916666666666667
quantrac_window_coverage_ratio{force="binding",parameter="pm10",period="24h",regulation="TEST-AIR",station="LC-AQ-01"} 1
`
	if got := canonical(t, parseExposition(t, exposeString(t, x))); got != canonical(t, parseExposition(t, want)) {
		t.Errorf("exposition differs:\n%s", got)
	}

	// Removing a station removes its series.
	e.SetRegistry(mustRegistry(t, plain))
	n := 0
	for _, mf := range parseExposition(t, exposeString(t, x)) {
		if strings.HasSuffix(mf.GetName(), "_info") || strings.HasSuffix(mf.GetName(), "_violation") || strings.HasSuffix(mf.GetName(), "_value") {
			n += len(mf.GetMetric())
		}
	}
	if n != 5 {
		t.Errorf("%d series after removing LC-AQ-01, want 5", n)
	}
	// A new year at the station's clock shows no exceedances yet.
	e.Observe(day("DE-1", "pm10", time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC), 1, 20))
	if got, want := exposeString(t, x), `quantrac_exceedances{force="reference",parameter="pm10",period="24h",regulation="TEST-AIR",station="DE-1"} 0`; !strings.Contains(got, want) {
		t.Errorf("in a new year:\n%s\nwant\n%s", got, want)
	}
}

// TestExporterMatchesStations checks the exposition, built from each limit's cached verdict,
// against metrics built the slow way from Stations() (every period judged again), and both
// against the documented families: label values that need escaping, several regulations, a
// permit, allowances and a 3-year form, provisional periods, violations, an unknown station.
func TestExporterMatchesStations(t *testing.T) {
	air := mustParseRegulation(t, `id: TEST-AIR
title: t
country: VN
force: binding
kind: air
source: {document: d}
limits:
  - {parameter: pm10, period: 24h, max: 50, unit: µg/m³, allowed_exceedances_per_year: 35}
  - {parameter: pm10, period: 1h, max: 40, unit: µg/m³}
  - {parameter: pm25, period: 1h, max: 25, unit: µg/m³}
  - {parameter: pm25, period: 1y, max: 10, unit: µg/m³}
`)
	who := mustParseRegulation(t, `id: TEST-WHO
title: w
kind: air
source: {document: d}
reference: {temperature: 20C}
limits:
  - {parameter: pm10, period: 24h, max: 45, unit: µg/m³, allowed_exceedances_per_year: 3, years: 3}
  - {parameter: no2, period: 1h, max: 200, unit: µg/m³}
  - {parameter: no2, period: 8h, max: 100, unit: µg/m³}
  - {parameter: o3, period: 8h, statistic: max_daily_8h, max: 100, unit: µg/m³, nth_highest: 4}
`)
	cod := 75.0
	sts := []*quantrac.Station{
		{ID: "Q-1", Name: "Trạm \"Bắc\" \\ số 1\nkhu A", Kind: quantrac.Air, Interval: 5 * time.Minute,
			Location: quantrac.Location{Lat: -0.000125, Lon: 105.8}, Regulations: []string{"TEST-AIR", "TEST-WHO"},
			Tags: map[string]string{"province": `Hà "Nội"`, "site": "a\\b\nc\\\\\"", "owner": ""}},
		{ID: "Q-2", Kind: quantrac.Air, Interval: 5 * time.Minute, Timezone: "UTC", Regulations: []string{"TEST-AIR", "TEST-WHO"},
			Tags: map[string]string{"zone": "z\n"}},
		{ID: "Q.3_idle", Name: `\`, Kind: quantrac.Air, Regulations: []string{"TEST-WHO"}},
		{ID: "W-1", Name: "Nhà máy", Kind: quantrac.Wastewater, Interval: time.Hour, Timezone: "Asia/Ho_Chi_Minh",
			Limits: []quantrac.PermitLimit{{Parameter: "cod", Max: &cod, Unit: "mg/L"}}},
	}
	now := mar1.Add(24*time.Hour + 5*time.Minute)
	e := NewEngine(NewCatalog(air, who), mustRegistry(t, sts...), func() time.Time { return now })
	if err := e.RebuildStations(t.Context(), nil, now, []string{"Q-1", "Q-2", "W-1"}); err != nil {
		t.Fatal(err)
	}
	// A station's parameters in one batch: Observe takes them in time order.
	e.Observe(slices.Concat(day("Q-1", "pm10", mar1, 288, 60), day("Q-1", "pm25", mar1, 288, 12.25),
		day("Q-1", "o3", mar1.Add(-24*time.Hour), 576, 130)))
	e.Observe(slices.Concat(day("Q-2", "pm10", mar1, 100, 20), day("Q-2", "no2", mar1, 130, 1e-7)))
	e.Observe([]quantrac.Reading{{Station: "W-1", Kind: quantrac.Wastewater, Param: "cod", Value: 300, Time: mar1.Add(23 * time.Hour), Status: "00"}})

	x := e.Exporter()
	got := exposeString(t, x)
	reg := prometheus.NewRegistry()
	reg.MustRegister(e.reference())
	ref, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{`site="a\\b\nc\\\\\""`, `name="Trạm \"Bắc\" \\ số 1\nkhu A"`, `name="\\"`,
		`quantrac_violation{force="binding",parameter="cod",period="sample",regulation="permit",station="W-1"} 1`,
		`quantrac_exceedances_allowed{force="reference",parameter="pm10",period="24h",regulation="TEST-WHO",station="Q-1"} 3`,
		`quantrac_exceedances_allowed_3y{force="reference",parameter="pm10",period="24h",regulation="TEST-WHO",station="Q-1"} 3`,
		`quantrac_exceedances{force="reference",parameter="o3",period="8h",regulation="TEST-WHO",station="Q-1"} 2`,
		`quantrac_limit_ratio_provisional{force="binding",parameter="pm25",period="1y",regulation="TEST-AIR",station="Q-1"} 1.225`,
		"quantrac_rules_rebuilt 1\n"} {
		if !strings.Contains(got, s) {
			t.Errorf("exposition lacks %s", s)
		}
	}
	if strings.Contains(got, `station="Q.3_idle"}`) && !strings.Contains(got, `quantrac_station_info{`) {
		t.Error("the unknown station exports more than its info")
	}
	want := canonical(t, ref)
	if c := canonical(t, parseExposition(t, got)); c != want {
		t.Errorf("exposition:\n%s\nfrom Stations():\n%s", c, want)
	}
	// Again, from reused buffers, after a station went away.
	e.SetRegistry(mustRegistry(t, sts[1:]...))
	if ref, err = reg.Gather(); err != nil {
		t.Fatal(err)
	}
	if c, want := canonical(t, parseExposition(t, exposeString(t, x))), canonical(t, ref); c != want {
		t.Errorf("second exposition:\n%s\nfrom Stations():\n%s", c, want)
	}
}

// TestExpositionFormat checks label values and numbers against the text encoder of
// prometheus/common, byte for byte.
func TestExpositionFormat(t *testing.T) {
	values := []float64{0, math.Copysign(0, -1), 1, -1, 0.1, 1.2, 1e-7, 1.772328e+09, 123456789012, math.MaxFloat64,
		math.SmallestNonzeroFloat64, math.Inf(1), math.Inf(-1), math.NaN()}
	labels := []string{"", "plain", `"`, `\`, "\n", "a\\\"b\nc\\n", "Trạm Hà Nội µg/m³", "\r\t{}=,"}
	fam := newFamily("test_metric", "A test.", "gauge")
	var got, want bytes.Buffer
	x := exposition{w: &got}
	x.begin(fam)
	mf := &dto.MetricFamily{Name: new("test_metric"), Help: new("A test."), Type: dto.MetricType_GAUGE.Enum()}
	for i, l := range labels {
		for _, v := range values {
			x.setLabels("a", l, "b", fmt.Sprint(i))
			x.sample(v)
			mf.Metric = append(mf.Metric, &dto.Metric{
				Label: []*dto.LabelPair{{Name: new("a"), Value: new(l)}, {Name: new("b"), Value: new(fmt.Sprint(i))}},
				Gauge: &dto.Gauge{Value: new(v)}})
		}
	}
	x.flush()
	if x.err != nil || x.n != int64(got.Len()) {
		t.Fatal(x.n, x.err)
	}
	if _, err := expfmt.MetricFamilyToText(&want, mf); err != nil {
		t.Fatal(err)
	}
	if got.String() != want.String() {
		t.Errorf("got\n%s\nwant\n%s", got.String(), want.String())
	}

	// Invalid UTF-8, which Prometheus rejects, is replaced.
	got.Reset()
	x = exposition{w: &got}
	x.begin(fam)
	x.setLabels("a", "ok\xffok")
	x.sample(2)
	x.flush()
	if !strings.Contains(got.String(), `{a="ok`+"\uFFFD"+`ok"} 2`) {
		t.Errorf("invalid UTF-8: %q %v", got.String(), x.err)
	}
	// A family without samples is left out.
	got.Reset()
	x = exposition{w: &got}
	x.begin(fam)
	x.flush()
	if got.Len() != 0 {
		t.Errorf("empty family: %q", got.String())
	}
}

// TestExporterChunks writes an exposition larger than chunkSize through a writer that
// records each write: the text is the same as in one piece, and no write is much larger than
// a chunk.
func TestExporterChunks(t *testing.T) {
	var sts []*quantrac.Station
	for i := range 300 {
		sts = append(sts, airStation(fmt.Sprintf("S%03d", i), "QCVN-05:2023", "WHO-2021"))
	}
	e := newEngine(t, mustCatalog(t), mustRegistry(t, sts...), func() time.Time { return mar1.Add(24 * time.Hour) })
	for _, st := range sts {
		e.Observe(day(st.ID, "pm25", mar1, 288, 80))
	}
	var w chunkWriter
	n, err := e.Exporter().WriteTo(&w)
	if err != nil || n != int64(w.b.Len()) || w.b.Len() < 2*chunkSize {
		t.Fatalf("%d bytes written of %d, %v; want more than %d", n, w.b.Len(), err, 2*chunkSize)
	}
	if w.max > chunkSize+64<<10 {
		t.Errorf("largest write %d bytes, want about %d", w.max, chunkSize)
	}
	parseExposition(t, w.b.String())
	if got := exposeString(t, e.Exporter()); got != w.b.String() {
		t.Error("a second scrape differs")
	}
}

type chunkWriter struct {
	b   bytes.Buffer
	max int
}

func (w *chunkWriter) Write(p []byte) (int, error) {
	w.max = max(w.max, len(p))
	return w.b.Write(p)
}

// TestExporterConcurrent scrapes while stations are fed and the registry reloaded (run with
// -race), from two goroutines so that one of them uses buffers of its own.
func TestExporterConcurrent(t *testing.T) {
	sts := []*quantrac.Station{airStation("A", "QCVN-05:2023"), airStation("B", "QCVN-05:2023", "WHO-2021")}
	reg, onlyA := mustRegistry(t, sts...), mustRegistry(t, sts[0])
	e := newEngine(t, mustCatalog(t), reg, func() time.Time { return mar1.Add(24 * time.Hour) })
	x := e.Exporter()
	var wg sync.WaitGroup
	for _, st := range sts {
		wg.Go(func() {
			rs := day(st.ID, "pm25", mar1, 288, 80)
			for i := 0; i < len(rs); i += 16 {
				e.Observe(rs[i:min(i+16, len(rs))])
			}
		})
	}
	wg.Go(func() {
		for range 5 {
			e.SetRegistry(onlyA)
			e.SetRegistry(reg)
		}
	})
	outs := make([]string, 2)
	for i := range outs {
		wg.Go(func() {
			for range 20 {
				var b strings.Builder
				if _, err := x.WriteTo(&b); err != nil {
					t.Error(err)
				}
				outs[i] = b.String()
			}
		})
	}
	wg.Wait()
	for _, out := range outs {
		parseExposition(t, out)
	}
	if got, want := exposeString(t, x), exposeString(t, x); got != want || !strings.Contains(got, `quantrac_violation{force="binding",parameter="pm25",period="24h",regulation="QCVN-05:2023",station="A"} 1`) {
		t.Errorf("after the run:\n%s", got)
	}
}

func mustParseRegulation(t testing.TB, yaml string) *Regulation {
	t.Helper()
	r, err := ParseRegulation([]byte(yaml), "test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func exposeString(t testing.TB, x *Exporter) string {
	t.Helper()
	var b strings.Builder
	n, err := x.WriteTo(&b)
	if err != nil || n != int64(b.Len()) {
		t.Fatalf("WriteTo: %d of %d bytes, %v", n, b.Len(), err)
	}
	return b.String()
}

// parseExposition parses text in the exposition format, failing t unless every family is one
// contiguous block that starts with its HELP and TYPE lines and no series appears twice.
func parseExposition(t testing.TB, text string) []*dto.MetricFamily {
	t.Helper()
	seen := map[string]bool{}
	current := ""
	for line := range strings.Lines(strings.TrimLeft(text, "\n")) {
		name, _, _ := strings.Cut(strings.TrimPrefix(strings.TrimPrefix(line, "# HELP "), "# TYPE "), " ")
		name, _, _ = strings.Cut(name, "{")
		if name == current {
			continue
		}
		if seen[name] || !strings.HasPrefix(line, "# HELP ") {
			t.Fatalf("family %s is not one block with HELP first: line %q", name, line)
		}
		seen[name], current = true, name
	}
	p := expfmt.NewTextParser(model.LegacyValidation)
	byName, err := p.TextToMetricFamilies(strings.NewReader(text))
	if err != nil {
		t.Fatal(err)
	}
	var mfs []*dto.MetricFamily
	for _, mf := range byName {
		series := map[string]bool{}
		for _, m := range mf.GetMetric() {
			k := fmt.Sprint(m.GetLabel())
			if series[k] {
				t.Errorf("%s%s appears twice", mf.GetName(), k)
			}
			series[k] = true
		}
		mfs = append(mfs, mf)
	}
	return mfs
}

// canonical is the text of mfs with families, series and labels sorted, for comparison.
func canonical(t testing.TB, mfs []*dto.MetricFamily) string {
	t.Helper()
	var b strings.Builder
	slices.SortFunc(mfs, func(a, b *dto.MetricFamily) int { return strings.Compare(a.GetName(), b.GetName()) })
	for _, mf := range mfs {
		for _, m := range mf.Metric {
			slices.SortFunc(m.Label, func(a, b *dto.LabelPair) int { return strings.Compare(a.GetName(), b.GetName()) })
		}
		slices.SortFunc(mf.Metric, func(a, b *dto.Metric) int { return strings.Compare(fmt.Sprint(a.Label), fmt.Sprint(b.Label)) })
		if _, err := expfmt.MetricFamilyToText(&b, mf); err != nil {
			t.Fatal(err)
		}
	}
	return b.String()
}

// reference returns a prometheus.Collector that builds the engine's families from
// Stations(), which judges every period again, as the reference the exposition (cached
// verdicts, written as text) is compared with.
func (e *Engine) reference() prometheus.Collector { return referenceCollector{e} }

type referenceCollector struct{ e *Engine }

func (c referenceCollector) Describe(chan<- *prometheus.Desc) {}

func (c referenceCollector) Collect(ch chan<- prometheus.Metric) {
	for _, m := range c.e.referenceMetrics() {
		ch <- m
	}
}

func (e *Engine) referenceMetrics() []prometheus.Metric {
	desc := func(f int, labels ...string) *prometheus.Desc {
		h := strings.Split(engineFamilies[f].header, "\n")[0]
		help := strings.TrimPrefix(h, "# HELP "+engineFamilies[f].name+" ")
		return prometheus.NewDesc(engineFamilies[f].name, help, labels, nil)
	}
	ruleLabels := []string{"station", "parameter", "regulation", "period", "force"}
	now := e.now()
	statuses := e.Stations()
	e.mu.RLock()
	defer e.mu.RUnlock()
	tagKeys := e.tagKeys()
	info := desc(famInfo, append([]string{"station", "name", "kind", "lat", "lon"}, tagKeys...)...)
	var ms []prometheus.Metric
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ms = append(ms, prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...))
	}
	gauge(desc(famRebuilt), b2f(e.rebuilt))
	ftoa := func(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
	for i, s := range e.order {
		st, ss := s.st, statuses[i]
		labels := []string{st.ID, st.Name, string(st.Kind), ftoa(st.Location.Lat), ftoa(st.Location.Lon)}
		for _, k := range tagKeys {
			labels = append(labels, st.Tags[k])
		}
		gauge(info, 1, labels...)
		if !ss.Rebuilt {
			continue
		}
		if !ss.LastValid.IsZero() {
			gauge(desc(famLastReading, "station"), float64(ss.LastValid.UnixNano())/1e9, st.ID)
		}
		gauge(desc(famUp, "station"), b2f(!ss.LastValid.IsZero() && now.Sub(ss.LastValid) <= 3*s.interval), st.ID)
		for _, v := range ss.Values {
			gauge(desc(famValue, "station", "parameter", "unit"), v.Value, st.ID, v.Parameter, v.Unit)
		}
		s.mu.Lock()
		var starts []int32
		for _, ser := range s.order {
			for _, r := range ser.rules {
				starts = append(starts, r.starts)
			}
		}
		s.mu.Unlock()
		for j, l := range ss.Limits {
			lv := []string{st.ID, l.Parameter, l.Regulation, l.Period, l.Force}
			if l.State == StateOK || l.State == StateExceeded {
				gauge(desc(famRatio, ruleLabels...), l.Ratio, lv...)
			}
			if p := l.Provisional; p != nil && (p.State == StateOK || p.State == StateExceeded) {
				gauge(desc(famRatioProvisional, ruleLabels...), p.Ratio, lv...)
			}
			gauge(desc(famViolation, ruleLabels...), b2f(l.Violating), lv...)
			ms = append(ms, prometheus.MustNewConstMetric(desc(famViolations, ruleLabels...), prometheus.CounterValue, float64(starts[j]), lv...))
			if !ss.LastValid.IsZero() {
				gauge(desc(famCoverage, ruleLabels...), l.Coverage, lv...)
			}
			if l.Form != "" {
				gauge(desc(famExceedances, ruleLabels...), float64(l.Exceedances), lv...)
				gauge(desc(famAllowed, ruleLabels...), float64(l.Allowed), lv...)
				if l.Years > 0 {
					gauge(desc(famExceedances3y, ruleLabels...), l.Exceedances3y, lv...)
					gauge(desc(famAllowed3y, ruleLabels...), l.Allowed3y, lv...)
				}
			}
		}
	}
	return ms
}

// rebuildEmpty starts every station of e empty (nothing stored).
func rebuildEmpty(t testing.TB, e *Engine, now time.Time) {
	t.Helper()
	if err := e.Rebuild(t.Context(), nil, now); err != nil {
		t.Fatal(err)
	}
}

// newEngine returns an engine whose stations start empty.
func newEngine(t testing.TB, cat *Catalog, reg *quantrac.Registry, now func() time.Time) *Engine {
	t.Helper()
	e := NewEngine(cat, reg, now)
	rebuildEmpty(t, e, now())
	return e
}

// day returns n 5-minute readings of param at value v after start.
func day(station, param string, start time.Time, n int, v float64) []quantrac.Reading {
	rs := make([]quantrac.Reading, n)
	for i := range rs {
		rs[i] = quantrac.Reading{Station: station, Kind: quantrac.Air, Param: param, Value: v,
			Time: start.Add(time.Duration(i+1) * 5 * time.Minute), Status: quantrac.StatusMeasuring}
	}
	return rs
}

var mar1 = time.Date(2026, 3, 1, 0, 0, 0, 0, time.FixedZone("ICT", 7*3600))
