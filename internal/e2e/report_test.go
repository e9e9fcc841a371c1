package e2e

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/quantrac/quantrac/internal/testenv"
)

// The station of the November report: a wastewater plant under QCVN 40:2011 column B (COD 1 h
// limit 150 × Kq 0.9 × Kf 1 = 135 mg/L) reporting COD and TSS every 5 minutes, with a
// registry maintenance window on the 25th.
const novemberStations = `stations:
  - id: NOV-WW
    name: "Nhà máy xử lý nước thải KCN (báo cáo tháng)"
    kind: wastewater
    location: {lat: 22.40, lon: 103.46}
    tags: {province: "Lai Châu"}
    interval: 5m
    timezone: Asia/Ho_Chi_Minh
    regulations: [QCVN-40:2011/B]
    coefficients: {kq: 0.9, kf: 1.0}
    maintenance:
      - {from: %[1]d-11-25T08:00:00+07:00, until: %[1]d-11-25T14:00:00+07:00, reason: "thay điện cực / electrode change"}
`

// novemberReading says what the station sent at local time t (5-minute steps of November):
// ok=false sends nothing; otherwise the message status and the COD value.
func novemberReading(t time.Time) (ok bool, status string, cod float64) {
	day, hour, minute := t.Day(), t.Hour(), t.Minute()
	if hour == 0 && minute == 0 { // 00:00 closes the previous day's last hour
		day, hour = t.Add(-time.Minute).Day(), 24
	}
	end := hour + 1 // the hour ending end:00 holds readings stamped (end-1):05 … end:00
	if minute == 0 {
		end = hour
	}
	pos := minute / 5 // 1…11, 0 for the reading on the hour (the 12th of its hour)
	if pos == 0 {
		pos = 12
	}
	switch {
	case day == 3: // the whole day missing
		return false, "", 0
	case day == 10 && end >= 5 && end <= 8 && pos <= 4: // 4 hours with 8 of 12 readings
		return false, "", 0
	case day == 11 && end >= 1 && end <= 7 && pos <= 4: // 7 hours with 8 of 12: the day fails
		return false, "", 0
	case day == 20 && end >= 9 && end <= 12: // 4 hours in calibration: excluded
		return true, "01", 50
	case day == 20 && end == 13 && pos <= 6: // half the hour in calibration: 6 expected, 6 valid
		return true, "01", 50
	case day == 20 && end == 14 && pos <= 4: // 4 in calibration, 5 valid, 3 missing: 8 expected, invalid
		return true, "01", 50
	case day == 20 && end == 14 && pos >= 10:
		return false, "", 0
	case day == 28 && end == 15: // device fault: expected, not valid
		return true, "02", 50
	case day == 15 && end == 11: // the exceedance: the hour ending 11:00 averages 200 mg/L
		return true, "00", 200
	}
	return true, "00", 50
}

// novemberMessages returns one JSON backlog message per day of November of year.
func novemberMessages(year int, loc *time.Location) []string {
	var msgs []string
	start := time.Date(year, 11, 1, 0, 0, 0, 0, loc)
	for d := 0; d < 30; d++ {
		var day []string
		for i := 1; i <= 288; i++ {
			t := start.AddDate(0, 0, d).Add(time.Duration(i) * 5 * time.Minute)
			if ok, status, cod := novemberReading(t); ok {
				day = append(day, fmt.Sprintf(`{"time": %q, "status": %q, "readings": {"cod": %v, "tss": 40}}`, t.Format(time.RFC3339), status, cod))
			}
		}
		if len(day) > 0 {
			msgs = append(msgs, "["+strings.Join(day, ",")+"]")
		}
	}
	return msgs
}

// captureFigures are the numbers the report states for one parameter.
type captureFigures struct {
	ExpectedHours, ValidHours, ExcludedHours, ExpectedDays, ValidDays int
	HourCapture, DayCapture                                           string
}

// novemberExpected is what the fixture was built to give, worked out by hand:
// 720 hours; excluded: 4 (calibration, 20th) + 5 (maintenance 08:00–14:00 on the 25th: the
// hours ending 09:00 … 13:00; 08:00 and 14:00 keep 11 and 1 expected readings) = 9;
// invalid: 24 (3rd) + 4 (10th) + 7 (11th) + 1 (20th, 14:00) + 1 (28th, device fault) = 37;
// valid 711 − 37 = 674. Days: 30 expected, the 3rd and the 11th (17 valid hours) invalid.
var novemberExpected = captureFigures{ExpectedHours: 711, ValidHours: 674, ExcludedHours: 9, ExpectedDays: 30, ValidDays: 28,
	HourCapture: "94.8", DayCapture: "93.3"}

// lastNovember returns the year of the last November that has ended.
func lastNovember(now time.Time, loc *time.Location) int {
	if now.In(loc).Month() == 12 {
		return now.In(loc).Year()
	}
	return now.In(loc).Year() - 1
}

// The November report of a station fed a known month of readings (a day missing, hours short
// of readings, calibration and maintenance, a device fault, one exceedance) states the valid
// hours and days and the capture worked out by hand and recomputed here with InfluxQL, in
// the console's HTML (read in Chromium), its CSV and JSON, and `quantrac report`. Every console
// page and asset needs the basic-auth password.
func TestConsoleNovemberReport(t *testing.T) {
	loc, _ := time.LoadLocation("Asia/Ho_Chi_Minh")
	year := lastNovember(time.Now(), loc)
	month := fmt.Sprintf("%d-11", year)
	s := newServices(t, testenv.MosquittoOptions{})
	maxAge := time.Since(time.Date(year, 11, 1, 0, 0, 0, 0, loc)) + 48*time.Hour
	cfg := s.writeConfig(t, fmt.Sprintf(novemberStations, year), fmt.Sprintf("limits: {max_age: %dh}\n", int(maxAge.Hours())))
	const user, password = "inspector", "thanh-tra-2026"
	hash, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	webConfig := filepath.Join(s.dir, "web.yml")
	write(t, webConfig, fmt.Sprintf("basic_auth_users:\n  %s: %s\n", user, hash))
	q := launchQuantrac(t, cfg, nil, "-web.config.file", webConfig)
	get := authGet(q, user, password)
	q.waitReady(get)

	// The pipeline decodes messages concurrently, and the rules evaluate a reading that comes
	// after later ones as late: the days up to the exceedance go first, the rest once stored.
	msgs := novemberMessages(year, loc)
	publishAll(t, s.broker.URL(), "stations/NOV-WW/wastewater", msgs[:14]) // 1–15 November (the 3rd sends nothing)
	testenv.Eventually(t, 60*time.Second, func() (bool, string) {
		n := s.influx.Count("quantrac", `SELECT count("tss") FROM "wastewater" WHERE "station" = 'NOV-WW'`)
		return n == 14*288-16-28, fmt.Sprintf("%d TSS readings of 1–15 November stored", n)
	})
	publishAll(t, s.broker.URL(), "stations/NOV-WW/wastewater", msgs[14:])
	testenv.Eventually(t, 60*time.Second, func() (bool, string) {
		v := s.influx.Count("quantrac", `SELECT count("cod") FROM "wastewater" WHERE "station" = 'NOV-WW'`)
		f := s.influx.Count("quantrac", `SELECT count("cod") FROM "wastewater_flagged" WHERE "station" = 'NOV-WW'`)
		return v == 8163 && f == 142, fmt.Sprintf("%d valid and %d flagged COD readings stored, want 8163 and 142", v, f)
	})
	testenv.Eventually(t, 30*time.Second, func() (bool, string) {
		n := s.influx.Count("quantrac", `SELECT count("ratio") FROM "violations" WHERE "station" = 'NOV-WW' AND "state" = 'started'`)
		return n >= 1, fmt.Sprintf("%d violation starts", n)
	})
	from, to := time.Date(year, 11, 1, 0, 0, 0, 0, loc), time.Date(year, 12, 1, 0, 0, 0, 0, loc)
	started := s.influx.Count("quantrac", fmt.Sprintf(`SELECT count("ratio") FROM "violations" WHERE "station" = 'NOV-WW' AND "parameter" = 'cod' AND "regulation" = 'QCVN-40:2011/B' AND "state" = 'started' AND time > %d AND time <= %d`, from.UnixNano(), to.UnixNano()))
	if started != 1 {
		t.Errorf("the rules recorded %d COD violation starts in November, want the 1 exceedance", started)
	}
	for _, p := range []string{"cod", "tss"} {
		if got := influxQLCapture(t, s.influx, p, from, to, loc); got != novemberExpected {
			t.Errorf("%s: InfluxQL gives %+v, the fixture was built for %+v", p, got, novemberExpected)
		}
	}

	cli := quantracReport(t, cfg, "-month", month, "-station", "NOV-WW", "-format", "csv")
	ev := storedEvidence(t, s.influx)
	checkReportCSV(t, "quantrac report -format csv", cli, started, ev)
	body, code := get("/reports/" + month + ".csv?station=NOV-WW")
	if code != http.StatusOK {
		t.Fatalf("/reports/%s.csv: %d %s", month, code, body)
	}
	checkReportCSV(t, "console CSV", body, started, ev)
	if !strings.HasPrefix(body, "\ufeff") || !strings.HasPrefix(cli, "\ufeff") {
		t.Error("a report CSV does not start with a UTF-8 byte-order mark: Excel would garble its Vietnamese names")
	}
	checkReportJSON(t, get, month, started)
	checkReportHTMLText(t, "quantrac report -format html", quantracReport(t, cfg, "-month", month, "-station", "NOV-WW", "-format", "html", "-lang", "en"))

	b := newBrowser(t, user, password)
	url := "http://" + q.addr + "/reports/" + month + "?station=NOV-WW&lang=en"
	b.openClean(url)
	checkReportDOM(t, b, started)
	logStats(t, "report (one station)", b.stats())

	checkBasicAuth(t, q, get, month)
}

// authGet returns a GET with basic auth over plain HTTP.
func authGet(q *quantrac, user, password string) func(path string) (string, int) {
	return func(path string) (string, int) {
		req, err := http.NewRequest(http.MethodGet, "http://"+q.addr+path, nil)
		if err != nil {
			return err.Error(), 0
		}
		if user != "" {
			req.SetBasicAuth(user, password)
		}
		return doGet(req)
	}
}

func quantracReport(t *testing.T, cfg string, args ...string) string {
	t.Helper()
	cmd := exec.Command(bin.quantrac, append([]string{"report", "-config", cfg}, args...)...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("quantrac report %v: %v\n%s", args, err, stderr.String())
	}
	return string(out)
}

// influxQLCapture recomputes the capture figures of one parameter from InfluxDB with the
// report's definitions, without the report's code: per clock hour (GROUP BY time(1h, 1ns): an
// hour covers (h, h+1h]) the valid readings and those in calibration or maintenance.
func influxQLCapture(t *testing.T, in *testenv.Influx, p string, from, to time.Time, loc *time.Location) captureFigures {
	t.Helper()
	hourly := func(q string) map[int64]int {
		out := map[int64]int{}
		for _, s := range in.Query("quantrac", q) {
			for _, row := range s.Rows() {
				ts, _ := time.Parse(time.RFC3339Nano, row["time"].(string))
				n, _ := row["count"].(float64)
				out[ts.Add(time.Hour-time.Nanosecond).Unix()] = int(n)
			}
		}
		return out
	}
	rng := fmt.Sprintf("time > %d AND time <= %d GROUP BY time(1h, 1ns)", from.UnixNano(), to.UnixNano())
	valid := hourly(fmt.Sprintf(`SELECT count(%q) FROM "wastewater" WHERE "station" = 'NOV-WW' AND %s`, p, rng))
	excluded := hourly(fmt.Sprintf(`SELECT count(%q) FROM "wastewater_flagged" WHERE "station" = 'NOV-WW' AND (%q = '01' OR %q = 'maintenance') AND %s`, p, p+"_status", p+"_status", rng))
	var f captureFigures
	dayExpected, dayValid := map[int]int{}, map[int]int{}
	for end := from.Add(time.Hour); !end.After(to); end = end.Add(time.Hour) {
		expected := 12 - excluded[end.Unix()]
		day := end.Add(-time.Nanosecond).In(loc).Day()
		if expected <= 0 {
			f.ExcludedHours++
			continue
		}
		f.ExpectedHours++
		dayExpected[day]++
		if float64(valid[end.Unix()]) >= 0.75*float64(expected) {
			f.ValidHours++
			dayValid[day]++
		}
	}
	for day, n := range dayExpected {
		if n >= 18 {
			f.ExpectedDays++
			if dayValid[day] >= 18 {
				f.ValidDays++
			}
		}
	}
	f.HourCapture = strconv.FormatFloat(float64(f.ValidHours)*100/float64(f.ExpectedHours), 'f', 1, 64)
	f.DayCapture = strconv.FormatFloat(float64(f.ValidDays)*100/float64(f.ExpectedDays), 'f', 1, 64)
	return f
}

// evidence is a violation start as the violations measurement holds it.
type evidence struct{ value, end string }

func storedEvidence(t *testing.T, in *testenv.Influx) evidence {
	t.Helper()
	rows := in.Query("quantrac", `SELECT "value", "window_end" FROM "violations" WHERE "station" = 'NOV-WW' AND "state" = 'started'`)[0].Rows()
	return evidence{strconv.FormatFloat(math.Round(rows[0]["value"].(float64)*1e4)/1e4, 'f', -1, 64), rows[0]["window_end"].(string)}
}

func checkReportCSV(t *testing.T, what, text string, started int, ev evidence) {
	t.Helper()
	rows, err := csv.NewReader(strings.NewReader(text)).ReadAll()
	if err != nil || len(rows) < 2 {
		t.Fatalf("%s: not CSV (%v):\n%s", what, err, text)
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	seen := map[string]bool{}
	for _, r := range rows[1:] {
		switch get := func(k string) string { return r[col[k]] }; get("section") {
		case "capture":
			atoi := func(k string) int { n, _ := strconv.Atoi(get(k)); return n }
			got := captureFigures{atoi("expected_hours"), atoi("valid_hours"), atoi("excluded_hours"), atoi("expected_days"),
				atoi("valid_days"), get("hour_capture_percent"), get("day_capture_percent")}
			if got != novemberExpected {
				t.Errorf("%s: %s capture %+v, want %+v", what, get("parameter"), got, novemberExpected)
			}
			seen[get("parameter")] = true
		case "limit":
			if get("parameter") == "cod" && get("regulation") == "QCVN-40:2011/B" {
				seen["limit"] = true
				if get("violations_started") != strconv.Itoa(started) || get("limit_max") != "135" {
					t.Errorf("%s: COD limit row %v, want %d started against 135", what, r, started)
				}
			}
		case "violation":
			if get("state") == "started" {
				seen["evidence"] = true
				if v, _ := strconv.ParseFloat(get("value"), 64); v <= 135 || get("limit") != "135" || get("value") != ev.value || get("window_end") != ev.end {
					t.Errorf("%s: evidence %v, want InfluxDB's %+v (above 135)", what, r, ev)
				}
			}
		}
	}
	for _, k := range []string{"cod", "tss", "limit", "evidence"} {
		if !seen[k] {
			t.Errorf("%s: no %s row:\n%s", what, k, text)
		}
	}
}

func checkReportJSON(t *testing.T, get func(string) (string, int), month string, started int) {
	t.Helper()
	body, code := get("/api/v1/reports/" + month + "?station=NOV-WW")
	var r struct {
		Stations []struct {
			Parameters []map[string]any `json:"parameters"`
			Limits     []map[string]any `json:"limits"`
		} `json:"stations"`
	}
	if err := json.Unmarshal([]byte(body), &r); code != 200 || err != nil || len(r.Stations) != 1 {
		t.Fatalf("/api/v1/reports/%s: %d %v %.300s", month, code, err, body)
	}
	for _, p := range r.Stations[0].Parameters {
		if p["valid_hours"] != float64(novemberExpected.ValidHours) || p["expected_days"] != float64(novemberExpected.ExpectedDays) {
			t.Errorf("API report parameter %v", p)
		}
	}
	assertSnakeCase(t, "/api/v1/reports", body)
}

var camel = regexp.MustCompile(`"[a-z]*[A-Z][A-Za-z]*"\s*:`)

// assertSnakeCase fails when a JSON document has a key that is not snake_case.
func assertSnakeCase(t *testing.T, what, body string) {
	t.Helper()
	if m := camel.FindAllString(body, 5); len(m) > 0 {
		t.Errorf("%s: keys not in snake_case: %v", what, m)
	}
}

// checkReportHTMLText reads the numbers of the standalone HTML by their data-k cells.
func checkReportHTMLText(t *testing.T, what, html string) {
	t.Helper()
	cell := regexp.MustCompile(`<tr data-parameter="(\w+)">((?s).*?)</tr>`)
	val := regexp.MustCompile(`data-k="(\w+)">([^<]*)<`)
	n := 0
	for _, m := range cell.FindAllStringSubmatch(html, -1) {
		n++
		got := map[string]string{}
		for _, v := range val.FindAllStringSubmatch(m[2], -1) {
			got[v[1]] = v[2]
		}
		checkCells(t, what+" "+m[1], got)
	}
	if n != 2 {
		t.Errorf("%s: %d parameter rows, want cod and tss", what, n)
	}
}

func checkCells(t *testing.T, what string, got map[string]string) {
	t.Helper()
	e := novemberExpected
	want := map[string]string{"expected_hours": strconv.Itoa(e.ExpectedHours), "valid_hours": strconv.Itoa(e.ValidHours),
		"excluded_hours": strconv.Itoa(e.ExcludedHours), "hour_capture": e.HourCapture, "expected_days": strconv.Itoa(e.ExpectedDays),
		"valid_days": strconv.Itoa(e.ValidDays), "day_capture": e.DayCapture}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %s = %q, want %q", what, k, got[k], v)
		}
	}
}

// checkReportDOM reads the report's numbers as Chromium renders them.
func checkReportDOM(t *testing.T, b *browser, started int) {
	t.Helper()
	rows := eval[map[string]map[string]string](b, `Object.fromEntries([...document.querySelectorAll("tr[data-parameter]")].map(tr =>
		[tr.dataset.parameter, Object.fromEntries([...tr.querySelectorAll("td[data-k]")].map(td => [td.dataset.k, td.textContent.trim()]))]))`)
	if len(rows) != 2 {
		t.Errorf("report page shows %d parameters, want cod and tss: %v", len(rows), rows)
	}
	for p, cells := range rows {
		checkCells(t, "report page "+p, cells)
	}
	got := eval[string](b, `document.querySelector('tr[data-limit^="cod QCVN-40:2011/B "] td[data-k=started]').textContent`)
	if got != strconv.Itoa(started) {
		t.Errorf("report page: COD violations started %q, want %d", got, started)
	}
}

// logStats logs a page's weight and first paint and, with -screenshots, appends them to
// page-weight.txt beside the screenshots.
func logStats(t *testing.T, page string, s pageStats) {
	line := fmt.Sprintf("%-28s %7d bytes   first contentful paint %4.0f ms", page, s.Bytes, s.FirstPaint)
	t.Log(line)
	if *screenshots == "" {
		return
	}
	f, err := os.OpenFile(filepath.Join(*screenshots, "page-weight.txt"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fmt.Fprintln(f, line)
}

// checkBasicAuth asks for every page and asset without the password (401) and with it (200).
func checkBasicAuth(t *testing.T, q *quantrac, get func(string) (string, int), month string) {
	t.Helper()
	anon := authGet(q, "", "")
	wrong := authGet(q, "inspector", "guess")
	for _, path := range []string{"/", "/stations/NOV-WW", "/violations", "/reports/" + month, "/reports/" + month + ".csv",
		"/assets/console.css", "/assets/console.js", "/assets/vietnam.json", "/api/v1/stations", "/api/v1/stations/NOV-WW",
		"/api/v1/stations/NOV-WW/series?parameter=cod", "/api/v1/violations", "/api/v1/reports/" + month, "/metrics"} {
		for name, g := range map[string]func(string) (string, int){"no password": anon, "wrong password": wrong} {
			if _, code := g(path); code != http.StatusUnauthorized {
				t.Errorf("GET %s with %s: %d, want 401", path, name, code)
			}
		}
		if body, code := get(path); code != http.StatusOK {
			t.Errorf("GET %s with the password: %d %.200s", path, code, body)
		}
	}
}

func doGet(req *http.Request) (string, int) {
	c := http.Client{Timeout: 30 * time.Second}
	resp, err := c.Do(req)
	if err != nil {
		return err.Error(), 0
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b), resp.StatusCode
}

func doGetURL(u string) (string, int) {
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		return err.Error(), 0
	}
	return doGet(req)
}

func first(s string, _ int) string { return s }

func urlQueryEscape(s string) string { return url.QueryEscape(s) }
