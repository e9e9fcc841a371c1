package api

import (
	"encoding/json"
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
	"github.com/quantrac/quantrac/archive"
	"github.com/quantrac/quantrac/internal/testenv"
	"github.com/quantrac/quantrac/rules"
	"github.com/quantrac/quantrac/store"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const registryYAML = `stations:
  - id: LC-AQ-01
    name: "Trạm không khí"
    kind: air
    location: {lat: 22.3964, lon: 103.4582}
    tags: {province: "Lai Châu"}
    regulations: [QCVN-05:2023]
  - id: FR-AQ-01
    kind: air
    location: {lat: 48.85, lon: 2.35}
    timezone: Europe/Paris
    regulations: [EU-2008/50]
`

// fixture is a real rules engine fed two days of PM2.5 at 60 µg/m³ (QCVN 05:2023's 24-h limit
// is 45), the same readings in a real InfluxDB, and the API over both.
type fixture struct {
	srv    *httptest.Server
	engine *rules.Engine
	now    time.Time
}

func newFixture(t *testing.T) *fixture {
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
	var lines []string
	var rs []quantrac.Reading
	for ts := now.Add(-48 * time.Hour); !ts.After(now); ts = ts.Add(5 * time.Minute) {
		rs = append(rs, quantrac.Reading{Station: "LC-AQ-01", Kind: quantrac.Air, Param: "pm25", Value: 60, Time: ts, Status: "00"})
		lines = append(lines, fmt.Sprintf("air,station=LC-AQ-01 pm25=60 %d", ts.UnixNano()))
	}
	engine.Observe(rs)
	lines = append(lines, fmt.Sprintf(`violations,parameter=pm25,period=24h,regulation=QCVN-05:2023,station=LC-AQ-01 state="started",value=60,limit=45,ratio=1.3333,coverage=1,count=288i,window_start="%s",window_end="%s",version="QCVN-05:2023 from 2026-01-01",statistic="mean",unit="µg/m³",reference="25 °C, 1 atm" %d`,
		now.Add(-24*time.Hour).UTC().Format(time.RFC3339), now.Add(-time.Hour).UTC().Format(time.RFC3339), now.Add(-time.Hour).UnixNano()))
	in.Write("quantrac/autogen", strings.Join(lines, "\n"))
	a := New(Options{State: engine, Registry: func() *quantrac.Registry { return reg }, Catalog: cat,
		Archive: archive.New(store.NewQuerier(store.WriterOptions{URL: in.URL(), Bucket: "quantrac/autogen"}, nil)),
		Now:     func() time.Time { return now }})
	mux := http.NewServeMux()
	a.Register(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return &fixture{srv: srv, engine: engine, now: now}
}

func (f *fixture) get(t *testing.T, path string) (int, string) {
	t.Helper()
	resp, err := http.Get(f.srv.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

var notSnake = regexp.MustCompile(`"[A-Za-z0-9_]*[A-Z][A-Za-z0-9_]*"\s*:`)

// Every endpoint answers snake_case JSON; bad query parameters get 400 with a message naming
// the parameter, unknown stations 404.
func TestEndpoints(t *testing.T) {
	f := newFixture(t)
	month := f.now.Add(-2 * time.Hour).In(time.FixedZone("ICT", 7*3600)).Format("2006-01") // the readings are of the last two days
	for _, tc := range []struct {
		path string
		code int
		want string // in the body
	}{
		{"/api/v1/stations", 200, `"location": {`},
		{"/api/v1/stations/LC-AQ-01", 200, `"limit_definitions"`},
		{"/api/v1/stations/NOPE", 404, "unknown station NOPE"},
		{"/api/v1/stations/LC-AQ-01/series?parameter=pm25", 200, `"hours"`},
		{"/api/v1/stations/LC-AQ-01/series?parameter=PM2.5&period=7d", 200, `"parameter": "pm25"`},
		{"/api/v1/stations/LC-AQ-01/series", 400, "parameter: required"},
		{"/api/v1/stations/LC-AQ-01/series?parameter=smoke", 400, `parameter: \"smoke\" is not a known parameter`},
		{"/api/v1/stations/LC-AQ-01/series?parameter=pm25&period=1y", 400, `period: \"1y\" is not 24h, 7d or 30d`},
		{"/api/v1/stations/LC-AQ-01/series?parameter=pm25&from=yesterday", 400, "from: "},
		{"/api/v1/stations/LC-AQ-01/series?parameter=pm25&from=2026-11-02T00:00:00Z&to=2026-11-01T00:00:00Z", 400, "from must be before to"},
		{"/api/v1/stations/LC-AQ-01/series?parameter=pm25&from=2024-01-01T00:00:00Z&to=2026-01-01T00:00:00Z", 400, "more than 400 days"},
		{"/api/v1/stations/NOPE/series?parameter=pm25", 404, "unknown station"},
		{"/api/v1/violations", 200, `"active": true`},
		{"/api/v1/violations?active=false", 200, `"window_start"`},
		{"/api/v1/violations?station=LC-AQ-01&from=2020-01-01T00:00:00Z", 200, `"active": false`},
		{"/api/v1/violations?active=maybe", 400, `active: \"maybe\" is not true or false`},
		{"/api/v1/violations?to=noon", 400, "to: "},
		{"/api/v1/violations?station=NOPE", 404, "unknown station"},
		{"/api/v1/reports/" + month, 200, `"provinces"`},
		{"/api/v1/reports/" + month + "?station=LC-AQ-01", 200, `"hour_capture_percent"`},
		{"/api/v1/reports/" + month + "?station=NOPE", 404, "unknown station"},
		{"/api/v1/reports/November", 400, "want YYYY-MM"},
		{"/api/v1/reports/2199-01", 400, "month has not started"},
		{"/api/v1/reports/0000-01", 400, "between 1970 and 2200"},
		{"/api/v1/reports/1442-05", 400, "between 1970 and 2200"},
		{"/api/v1/reports/2999-01", 400, "between 1970 and 2200"},
		{"/api/v1/nothing", 404, "no such endpoint"},
	} {
		code, body := f.get(t, tc.path)
		if code != tc.code || !strings.Contains(body, tc.want) {
			t.Errorf("GET %s = %d, want %d with %s:\n%.400s", tc.path, code, tc.code, tc.want, body)
		}
		if m := notSnake.FindAllString(body, 3); len(m) > 0 {
			t.Errorf("GET %s: keys not in snake_case: %v", tc.path, m)
		}
	}
}

// The documents agree with the engine and with InfluxDB.
func TestDocuments(t *testing.T) {
	f := newFixture(t)
	var stations StationsDoc
	decode(t, f, "/api/v1/stations", &stations)
	if len(stations.Stations) != 2 || stations.Stations[0].Location.Lat != 22.3964 || stations.Stations[0].Timezone != "Asia/Ho_Chi_Minh" {
		t.Fatalf("stations %+v", stations)
	}
	violating := false
	for _, ls := range f.engine.Stations()[0].Limits {
		violating = violating || ls.Violating
	}
	if got := stations.Stations[0].State == StateViolation; got != violating {
		t.Errorf("LC-AQ-01 state %s, engine violating %v", stations.Stations[0].State, violating)
	}
	if stations.Stations[1].State != StateSilent {
		t.Errorf("FR-AQ-01 never sent anything: state %s, want silent", stations.Stations[1].State)
	}
	var active ViolationsDoc
	decode(t, f, "/api/v1/violations?station=LC-AQ-01", &active)
	if len(active.Violations) != len(f.engine.Active()) {
		t.Errorf("active violations %d, engine has %d", len(active.Violations), len(f.engine.Active()))
	}
	var recorded ViolationsDoc
	decode(t, f, "/api/v1/violations?active=false", &recorded)
	if len(recorded.Violations) != 1 || recorded.Violations[0].Limit != 45 || recorded.Violations[0].Count != 288 ||
		recorded.Violations[0].Statistic != "mean" || recorded.Violations[0].Unit != "µg/m³" || recorded.Violations[0].Reference != "25 °C, 1 atm" || !strings.Contains(recorded.Query, `FROM "violations"`) {
		t.Errorf("recorded violations %+v", recorded)
	}
	// The point carries no force field (written before limits had one): the catalog gives it.
	if len(recorded.Violations) == 1 && recorded.Violations[0].Force != rules.ForceBinding {
		t.Errorf("recorded violation's force %q, want binding from the catalog", recorded.Violations[0].Force)
	}
	var series SeriesDoc
	decode(t, f, "/api/v1/stations/LC-AQ-01/series?parameter=pm25&period=24h", &series)
	means := 0
	for _, h := range series.Hours {
		if h.Mean != nil {
			means++
			if *h.Mean != 60 || !h.Valid || h.Readings != 12 || h.Expected != 12 {
				t.Errorf("hour %+v, want a valid mean of 60 from 12 readings", h)
			}
		}
	}
	if len(series.Hours) != 24 || means != 24 || !series.To.Equal(archive.HourEnd(f.now, time.UTC)) && series.To.After(f.now) {
		t.Errorf("series: %d hours, %d means, to %v (now %v)", len(series.Hours), means, series.To, f.now)
	}
	if len(series.Limits) == 0 || series.Limits[0].Regulation != "QCVN-05:2023" {
		t.Errorf("series limits %+v", series.Limits)
	}
}

func decode(t *testing.T, f *fixture, path string, v any) {
	t.Helper()
	code, body := f.get(t, path)
	if code != 200 {
		t.Fatalf("GET %s = %d %s", path, code, body)
	}
	if err := json.Unmarshal([]byte(body), v); err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
}
