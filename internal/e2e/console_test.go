package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/quantrac/quantrac/internal/testenv"
)

// demo is scripts/demo.sh (make demo) running with the test's ports, directory and binaries.
type demo struct {
	urls    []string // every URL the demo printed
	console string
	influx  string
}

// startDemo runs scripts/demo.sh until it has printed where to look, and stops it (SIGINT,
// as Ctrl-C) when the test ends.
func startDemo(t *testing.T) *demo {
	t.Helper()
	dir := t.TempDir()
	ports := map[string]int{}
	env := append(os.Environ(), "DEMO_DIR="+dir, "QUANTRAC_BIN="+filepath.Dir(bin.quantrac))
	for _, name := range []string{"MQTT", "INFLUX", "INFLUX_RPC", "WEB", "PROM", "TT10"} {
		ports[name] = testenv.FreePort(t)
		env = append(env, fmt.Sprintf("DEMO_%s_PORT=%d", name, ports[name]))
	}
	cmd := exec.Command("bash", "scripts/demo.sh")
	cmd.Dir, cmd.Env = "../..", env
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	lines := make(chan string, 100)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			select {
			case lines <- sc.Text():
			default: // the status loop's lines: nobody reads them any more
			}
		}
		close(lines)
	}()
	go func() { _ = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGINT)
		select {
		case <-exited:
		case <-time.After(30 * time.Second):
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-exited
		}
		if t.Failed() {
			t.Logf("demo stderr:\n%s\nquantrac log (tail):\n%s", stderr.String(), tail(filepath.Join(dir, "logs", "quantrac.log"), 30))
		}
	})
	d := &demo{console: fmt.Sprintf("http://127.0.0.1:%d/", ports["WEB"]), influx: fmt.Sprintf("http://127.0.0.1:%d", ports["INFLUX"])}
	url := regexp.MustCompile(`https?://\S+`)
	timeout := time.After(3 * time.Minute)
	for {
		select {
		case line, ok := <-lines:
			if !ok {
				t.Fatalf("demo stopped:\n%s", stderr.String())
			}
			d.urls = append(d.urls, url.FindAllString(line, -1)...)
			if strings.HasPrefix(strings.TrimSpace(line), "report CLI") {
				return d
			}
		case <-timeout:
			t.Fatalf("the demo printed no URLs within 3 minutes:\n%s", stderr.String())
		}
	}
}

// `make demo` prints the console's URL; in Chromium the map shows every demo station and at
// least one in violation, whose evidence is one click away; each chart of the station page has
// as many points as InfluxDB has hourly means; every URL the demo prints answers 200 in the
// browser, and the console's pages log no problem. With -screenshots DIR (make screenshots)
// it writes the screenshots of docs/.
func TestConsoleDemo(t *testing.T) {
	if *screenshots != "" {
		header := fmt.Sprintf("# make screenshots, %s: Chromium %s, demo data; bytes = bodies of the page and its assets\n",
			time.Now().UTC().Format(time.DateOnly), chromiumVersion(t))
		if err := os.WriteFile(filepath.Join(*screenshots, "page-weight.txt"), []byte(header), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	d := startDemo(t)
	if len(d.urls) == 0 || d.urls[0] != d.console {
		t.Fatalf("the demo's first URL is %v, want the console %s", d.urls, d.console)
	}
	var stations int
	testenv.Eventually(t, 90*time.Second, func() (bool, string) {
		var doc struct {
			Stations []struct {
				ID    string `json:"id"`
				State string `json:"state"`
			} `json:"stations"`
		}
		body, _ := doGetURL(d.console + "api/v1/stations")
		if err := json.Unmarshal([]byte(body), &doc); err != nil {
			return false, err.Error()
		}
		stations = len(doc.Stations)
		for _, s := range doc.Stations {
			if s.State == "violation" {
				return true, ""
			}
		}
		return false, fmt.Sprintf("no station in violation yet: %.300s", body)
	})
	assertSnakeCase(t, "/api/v1/stations", first(doGetURL(d.console+"api/v1/stations")))

	b := newBrowser(t, "", "")
	for _, u := range d.urls {
		if code := b.open(u); code != 200 {
			t.Errorf("the demo prints %s, which answers %d in the browser", u, code)
		}
	}
	b.openClean(d.console + "?lang=en")
	if n := eval[int](b, `document.querySelectorAll("svg.map a.station").length`); n != stations {
		t.Errorf("the map shows %d stations, the registry has %d", n, stations)
	}
	if n := eval[int](b, `document.querySelectorAll('svg.map a.station[data-state="violation"]').length`); n < 1 {
		t.Errorf("the map shows no station in violation")
	}
	logStats(t, "map", b.stats())
	b.openClean(d.console) // Vietnamese, the default for the demo's stations
	b.screenshot("console-map.png", true)

	// One click from the map to the evidence.
	b.takeProblems("")
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	resp, err := chromedp.RunResponse(ctx, chromedp.Click(`svg.map a.station[data-state="violation"]`))
	cancel()
	if err != nil || resp.Status != 200 {
		t.Fatalf("clicking the station in violation: %v %v", resp, err)
	}
	if st := eval[string](b, `document.getElementById("station-state").dataset.state`); st != "violation" {
		t.Errorf("the station page says %q, the map said violation", st)
	}
	if n := eval[int](b, `document.querySelectorAll("#active-violations tr.violation-row").length`); n < 1 {
		t.Errorf("the station page shows no active violation with its evidence")
	}
	if p := b.takeProblems(originOf(d.console)); len(p) > 0 {
		t.Errorf("station page: console problems: %v", p)
	}
	checkChartPoints(t, b, d)
	station := eval[string](b, "location.href.split('?')[0]")
	b.openClean(station) // measured on a fresh load: a click's navigation reports no paint
	logStats(t, "station (7 d charts)", b.stats())
	b.openClean(station + "?period=24h&lang=en")
	b.screenshot("console-station.png", false)

	month := time.Now().Format("2006-01")
	b.openClean(d.console + "reports/" + month + "?lang=en")
	b.screenshot("console-report.png", false)
	logStats(t, "report (all stations)", b.stats())
	b.openClean(d.console + "violations?active=false")
	logStats(t, "violations", b.stats())
}

// checkChartPoints compares each chart's points with InfluxDB's hourly means over the chart's
// span (GROUP BY time(1h, 1ns): the hours ending in (from, to]).
func checkChartPoints(t *testing.T, b *browser, d *demo) {
	t.Helper()
	type fig struct {
		Param  string `json:"param"`
		From   string `json:"from"`
		To     string `json:"to"`
		Points int    `json:"points"`
	}
	station := eval[string](b, `location.pathname.split("/").pop()`)
	kind := "air"
	if strings.Contains(station, "WW") {
		kind = "wastewater"
	}
	figs := eval[[]fig](b, `[...document.querySelectorAll("figure.chart")].map(f => ({param: f.dataset.parameter,
		from: f.dataset.from, to: f.dataset.to, points: f.querySelectorAll("circle.pt").length}))`)
	if len(figs) == 0 {
		t.Fatal("the station page has no chart")
	}
	total := 0
	for _, f := range figs {
		from, _ := time.Parse(time.RFC3339, f.From)
		to, _ := time.Parse(time.RFC3339, f.To)
		q := fmt.Sprintf(`SELECT mean(%q) FROM %q WHERE "station" = '%s' AND time > %d AND time <= %d GROUP BY time(1h, 1ns)`,
			f.Param, kind, station, from.UnixNano(), to.UnixNano())
		body, _ := doGetURL(d.influx + "/query?db=quantrac&q=" + urlQueryEscape(q))
		var r struct {
			Results []struct {
				Series []struct {
					Values [][]any `json:"values"`
				} `json:"series"`
			} `json:"results"`
		}
		if err := json.Unmarshal([]byte(body), &r); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		means := 0
		for _, res := range r.Results {
			for _, s := range res.Series {
				for _, v := range s.Values {
					if len(v) > 1 && v[1] != nil {
						means++
					}
				}
			}
		}
		if f.Points != means {
			t.Errorf("chart %s of %s has %d points, InfluxDB has %d hourly means (%s)", f.Param, station, f.Points, means, q)
		}
		total += means
	}
	if total == 0 {
		t.Errorf("the charts of %s have no point at all", station)
	}
}

func chromiumVersion(t *testing.T) string {
	out, err := exec.Command(testenv.Chromium(t), "--version").Output()
	if err != nil {
		return "?"
	}
	return strings.TrimSpace(strings.TrimPrefix(string(out), "Chromium "))
}
