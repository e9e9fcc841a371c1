package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/quantrac/quantrac/internal/testenv"
)

// Tests of what inspectors see (dashboards/README.md): the Grafana dashboards in
// dashboards/json, the Grafana provisioning, the Prometheus alert rules, the Alertmanager
// example and the docker-compose stack. The queries of every dashboard run against a real
// InfluxDB fed by a running quantrac and stationsim, and a real Prometheus scraping that
// quantrac.

const repoRoot = "../.."

// Datasource uids: deploy/grafana/provisioning/datasources/quantrac.yaml defines them and the
// dashboards refer to them.
const (
	influxUID = "quantrac-influxdb"
	promUID   = "quantrac-prometheus"
)

// dashboardStations are the stations fed for the dashboard queries: an air station under a
// regulation with exceedance allowances (EU 2008/50) and a wastewater station with Kq × Kf
// and a permit limit.
const dashboardStations = `stations:
  - id: LC-AQ-01
    name: "Trạm không khí TP Lai Châu"
    kind: air
    location: {lat: 22.3964, lon: 103.4582}
    tags: {province: "Lai Châu"}
    interval: 5m
    regulations: [QCVN-05:2023, EU-2008/50]
    aqi: [vn, us]
  - id: LC-WW-01
    name: "Trạm xử lý nước thải tập trung"
    kind: wastewater
    location: {lat: 22.389, lon: 103.47}
    tags: {province: "Lai Châu"}
    interval: 5m
    regulations: [QCVN-40:2011/B]
    coefficients: {kq: 0.9, kf: 1.0}
    limits:
      - {parameter: cod, max: 75, unit: mg/L, period: 1h}
`

// grafanaDashboard is the part of a dashboard JSON the tests read.
type grafanaDashboard struct {
	UID        string         `json:"uid"`
	Title      string         `json:"title"`
	Panels     []grafanaPanel `json:"panels"`
	Templating struct {
		List []grafanaVar `json:"list"`
	} `json:"templating"`
}

type grafanaPanel struct {
	ID         int             `json:"id"`
	Type       string          `json:"type"`
	Title      string          `json:"title"`
	Datasource *datasourceRef  `json:"datasource"`
	Targets    []grafanaTarget `json:"targets"`
}

type grafanaTarget struct {
	RefID        string         `json:"refId"`
	Datasource   *datasourceRef `json:"datasource"`
	Query        string         `json:"query"` // InfluxQL
	RawQuery     bool           `json:"rawQuery"`
	ResultFormat string         `json:"resultFormat"`
	Expr         string         `json:"expr"` // PromQL
}

type grafanaVar struct {
	Name       string         `json:"name"`
	Type       string         `json:"type"`
	Query      string         `json:"query"`
	Datasource *datasourceRef `json:"datasource"`
	Multi      bool           `json:"multi"`
	IncludeAll bool           `json:"includeAll"`
	AllValue   string         `json:"allValue"`
}

type datasourceRef struct {
	Type string `json:"type"`
	UID  string `json:"uid"`
}

// loadDashboards parses every dashboard JSON file.
func loadDashboards(t *testing.T) map[string]grafanaDashboard {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(repoRoot, "dashboards", "json", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no dashboards in dashboards/json: %v", err)
	}
	out := map[string]grafanaDashboard{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var d grafanaDashboard
		if err := json.Unmarshal(b, &d); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		out[filepath.Base(f)] = d
	}
	return out
}

// TestDashboardsWellFormed: every dashboard parses, has a uid, template variables on the
// provisioned Prometheus, and every panel has a provisioned datasource and queries of it that
// use only defined variables and Grafana macros.
func TestDashboardsWellFormed(t *testing.T) {
	for _, name := range []string{"quantrac-overview.json", "quantrac-air.json", "quantrac-wastewater.json", "quantrac-ingester.json"} {
		if _, err := os.Stat(filepath.Join(repoRoot, "dashboards", "json", name)); err != nil {
			t.Errorf("dashboard %s: %v", name, err)
		}
	}
	uids := map[string]string{}
	macros := []string{"timeFilter", "__interval", "__rate_interval"}
	varRef := regexp.MustCompile(`\$(\w+)`)
	for file, d := range loadDashboards(t) {
		if d.UID == "" || d.Title == "" {
			t.Errorf("%s: uid %q title %q", file, d.UID, d.Title)
		}
		if other, dup := uids[d.UID]; dup {
			t.Errorf("%s and %s share uid %s", file, other, d.UID)
		}
		uids[d.UID] = file
		vars := map[string]bool{}
		for _, v := range d.Templating.List {
			vars[v.Name] = true
			if v.Type != "query" || v.Datasource == nil || v.Datasource.UID != promUID || v.Query == "" {
				t.Errorf("%s: variable %s: want a query on %s, got %+v", file, v.Name, promUID, v)
			}
		}
		queries := 0
		for _, p := range d.Panels {
			if p.Type == "row" {
				continue
			}
			where := fmt.Sprintf("%s panel %d %q", file, p.ID, p.Title)
			if p.Datasource == nil || (p.Datasource.UID != influxUID && p.Datasource.UID != promUID) {
				t.Errorf("%s: datasource %+v is not a provisioned one", where, p.Datasource)
				continue
			}
			if len(p.Targets) == 0 {
				t.Errorf("%s: no queries", where)
			}
			for _, tg := range p.Targets {
				q := tg.Expr
				if p.Datasource.UID == influxUID {
					q = tg.Query
					if !tg.RawQuery {
						t.Errorf("%s %s: InfluxQL query not raw", where, tg.RefID)
					}
				}
				if tg.Datasource == nil || tg.Datasource.UID != p.Datasource.UID || strings.TrimSpace(q) == "" {
					t.Errorf("%s %s: query %q on %+v, panel on %s", where, tg.RefID, q, tg.Datasource, p.Datasource.UID)
				}
				for _, m := range varRef.FindAllStringSubmatch(q, -1) {
					if !vars[m[1]] && !slices.Contains(macros, m[1]) {
						t.Errorf("%s %s: $%s is neither a variable nor a macro", where, tg.RefID, m[1])
					}
				}
				queries++
			}
		}
		if queries == 0 {
			t.Errorf("%s: no queries at all", file)
		}
	}
	for _, uid := range []string{"quantrac-overview", "quantrac-air", "quantrac-wastewater", "quantrac-ingester"} {
		if _, ok := uids[uid]; !ok {
			t.Errorf("no dashboard with uid %s (alert annotations link to it)", uid)
		}
	}
}

// TestDashboardsGeneratedUpToDate: the committed JSON is what the generator writes.
func TestDashboardsGeneratedUpToDate(t *testing.T) {
	cmd := exec.Command("go", "run", "./gen", "-check")
	cmd.Dir = filepath.Join(repoRoot, "dashboards")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("dashboards/json is stale or the generator fails: %v\n%s", err, out)
	}
}

// TestDashboardsProvisioning: the Grafana provisioning defines the datasources the dashboards
// use, InfluxDB with InfluxQL, and loads the directory docker-compose.yml mounts the JSON in.
func TestDashboardsProvisioning(t *testing.T) {
	var ds struct {
		Datasources []struct {
			UID      string         `yaml:"uid"`
			Type     string         `yaml:"type"`
			URL      string         `yaml:"url"`
			JSONData map[string]any `yaml:"jsonData"`
		} `yaml:"datasources"`
	}
	readYAML(t, "deploy/grafana/provisioning/datasources/quantrac.yaml", &ds)
	got := map[string]string{}
	for _, d := range ds.Datasources {
		got[d.UID] = d.Type
		if d.Type == "influxdb" && (d.JSONData["version"] != "InfluxQL" || d.JSONData["dbName"] != "quantrac") {
			t.Errorf("InfluxDB datasource: jsonData %v, want version InfluxQL and dbName quantrac", d.JSONData)
		}
	}
	if got[influxUID] != "influxdb" || got[promUID] != "prometheus" {
		t.Errorf("provisioned datasources %v: want %s (influxdb) and %s (prometheus)", got, influxUID, promUID)
	}
	var prov struct {
		Providers []struct {
			Options struct {
				Path string `yaml:"path"`
			} `yaml:"options"`
		} `yaml:"providers"`
	}
	readYAML(t, "deploy/grafana/provisioning/dashboards/quantrac.yaml", &prov)
	if len(prov.Providers) != 1 {
		t.Fatalf("want one dashboard provider, got %+v", prov.Providers)
	}
	mounts := composeFile(t).Services["grafana"].Volumes
	if !slices.Contains(mounts, "./dashboards/json:"+prov.Providers[0].Options.Path+":ro") {
		t.Errorf("grafana does not mount ./dashboards/json at %s: %v", prov.Providers[0].Options.Path, mounts)
	}
}

// TestDashboardsAlertRules: promtool checks the rules and the compose Prometheus config, and
// the rules' unit tests pass.
func TestDashboardsAlertRules(t *testing.T) {
	promtool := testenv.Promtool(t)
	dir := filepath.Join(repoRoot, "deploy", "prometheus")
	for _, args := range [][]string{
		{"check", "rules", "alerts.yml"},
		{"check", "config", "prometheus.yml"},
		{"test", "rules", "alerts_test.yml"},
	} {
		cmd := exec.Command(promtool, args...)
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Errorf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	// Every alert of the issue exists and has a unit test.
	rules := readFile(t, "deploy/prometheus/alerts.yml")
	tests := readFile(t, "deploy/prometheus/alerts_test.yml")
	for _, a := range alertNames(t) {
		if !strings.Contains(tests, "alertname: "+a+"\n") {
			t.Errorf("alert %s has no promtool test", a)
		}
	}
	for _, a := range []string{"QuantracLimitBreached", "QuantracStationDown", "QuantracAQIUnhealthy", "QuantracIngesterDown",
		"QuantracIngesterAbsent", "QuantracWritesFailing", "QuantracSpoolGrowing", "QuantracQuarantineRateHigh"} {
		if !strings.Contains(rules, "alert: "+a+"\n") {
			t.Errorf("alerts.yml lacks %s", a)
		}
	}
}

// alertNames lists the alerts of alerts.yml.
func alertNames(t *testing.T) []string {
	var rf struct {
		Groups []struct {
			Rules []struct {
				Alert  string            `yaml:"alert"`
				Labels map[string]string `yaml:"labels"`
			} `yaml:"rules"`
		} `yaml:"groups"`
	}
	readYAML(t, "deploy/prometheus/alerts.yml", &rf)
	var names []string
	for _, g := range rf.Groups {
		for _, r := range g.Rules {
			names = append(names, r.Alert)
			if s := r.Labels["severity"]; s != "critical" && s != "warning" && s != "info" {
				t.Errorf("alert %s: severity %q", r.Alert, s)
			}
			if s := r.Labels["scope"]; s != "station" && s != "ingester" {
				t.Errorf("alert %s: scope %q", r.Alert, s)
			}
		}
	}
	return names
}

// TestDashboardsAlertmanagerConfig: every route names a defined receiver, the inhibitions
// name alerts that exist, and station alerts are inhibited while the ingester is down.
func TestDashboardsAlertmanagerConfig(t *testing.T) {
	var am struct {
		Route        map[string]any `yaml:"route"`
		InhibitRules []struct {
			SourceMatchers []string `yaml:"source_matchers"`
			TargetMatchers []string `yaml:"target_matchers"`
		} `yaml:"inhibit_rules"`
		Receivers []struct {
			Name string `yaml:"name"`
		} `yaml:"receivers"`
	}
	readYAML(t, "deploy/alertmanager/alertmanager.yml", &am)
	receivers := map[string]bool{}
	for _, r := range am.Receivers {
		receivers[r.Name] = true
	}
	var walk func(r map[string]any)
	walk = func(r map[string]any) {
		if name, _ := r["receiver"].(string); name != "" && !receivers[name] {
			t.Errorf("route to undefined receiver %q", name)
		}
		children, _ := r["routes"].([]any)
		for _, c := range children {
			walk(c.(map[string]any))
		}
	}
	walk(am.Route)
	alerts := strings.Join(alertNames(t), " ")
	inhibitsStations := false
	for _, ir := range am.InhibitRules {
		for _, m := range ir.SourceMatchers {
			for _, name := range regexp.MustCompile(`Quantrac\w+`).FindAllString(m, -1) {
				if !strings.Contains(" "+alerts+" ", " "+name+" ") {
					t.Errorf("inhibit rule names alert %s, not in alerts.yml", name)
				}
			}
			if strings.Contains(m, "QuantracIngesterDown") && slices.Contains(ir.TargetMatchers, `scope="station"`) {
				inhibitsStations = true
			}
		}
	}
	if !inhibitsStations {
		t.Error("no inhibit rule silences station alerts while QuantracIngesterDown fires")
	}
	if amtool, err := exec.LookPath("amtool"); err == nil {
		if out, err := exec.Command(amtool, "check-config", filepath.Join(repoRoot, "deploy/alertmanager/alertmanager.yml")).CombinedOutput(); err != nil {
			t.Errorf("amtool check-config: %v\n%s", err, out)
		}
	}
}

// compose is the part of docker-compose.yml the tests read.
type compose struct {
	Services map[string]struct {
		Image       string            `yaml:"image"`
		Volumes     []string          `yaml:"volumes"`
		Environment map[string]string `yaml:"environment"`
		Healthcheck map[string]any    `yaml:"healthcheck"`
		Secrets     []any             `yaml:"secrets"`
	} `yaml:"services"`
	Volumes map[string]any `yaml:"volumes"`
	Secrets map[string]any `yaml:"secrets"`
}

func composeFile(t *testing.T) compose {
	t.Helper()
	var c compose
	readYAML(t, "docker-compose.yml", &c)
	return c
}

// TestDashboardsCompose: every file docker-compose.yml mounts exists, every named volume and
// secret is declared, the monitoring services have healthchecks, and no password is written
// in the file.
func TestDashboardsCompose(t *testing.T) {
	c := composeFile(t)
	for _, svc := range []string{"mosquitto", "influxdb", "quantrac", "stationsim", "prometheus", "alertmanager", "grafana"} {
		if _, ok := c.Services[svc]; !ok {
			t.Errorf("service %s missing", svc)
		}
	}
	for name, s := range c.Services {
		for _, v := range s.Volumes {
			src := strings.SplitN(v, ":", 2)[0]
			if strings.HasPrefix(src, ".") || strings.HasPrefix(src, "/") {
				if _, err := os.Stat(filepath.Join(repoRoot, src)); err != nil {
					t.Errorf("%s mounts %s: %v", name, src, err)
				}
			} else if _, ok := c.Volumes[src]; !ok {
				t.Errorf("%s uses volume %s, not declared under volumes:", name, src)
			}
		}
		for _, sec := range s.Secrets {
			src, _ := sec.(string)
			if m, ok := sec.(map[string]any); ok {
				src, _ = m["source"].(string)
			}
			if _, ok := c.Secrets[src]; !ok {
				t.Errorf("%s uses secret %q, not declared under secrets:", name, src)
			}
		}
		for k, v := range s.Environment {
			secretish := strings.Contains(k, "PASSWORD") || strings.Contains(k, "TOKEN") || strings.Contains(k, "SECRET")
			if secretish && !strings.HasSuffix(k, "__FILE") && !strings.HasPrefix(v, "${") {
				t.Errorf("%s: %s is written in the compose file; take it from .env or a secret", name, k)
			}
		}
	}
	for _, svc := range []string{"prometheus", "alertmanager", "grafana"} {
		if c.Services[svc].Healthcheck == nil {
			t.Errorf("%s has no healthcheck", svc)
		}
	}
	// The compose Prometheus loads the rules the tests check and scrapes quantrac's port.
	prom := readFile(t, "deploy/prometheus/prometheus.yml")
	for _, want := range []string{"alerts.yml", "job_name: quantrac", "quantrac:9786", "alertmanager:9093"} {
		if !strings.Contains(prom, want) {
			t.Errorf("deploy/prometheus/prometheus.yml lacks %q", want)
		}
	}
}

func readFile(t *testing.T, rel string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot, rel))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func readYAML(t *testing.T, rel string, v any) {
	t.Helper()
	if err := yaml.Unmarshal([]byte(readFile(t, rel)), v); err != nil {
		t.Fatalf("%s: %v", rel, err)
	}
}

// TestDashboardsQueriesReturnData feeds 30 hours of readings with violation episodes and bad
// messages through quantrac, scrapes it with Prometheus running the alert rules, then runs
// every dashboard query — template variables resolved as Grafana does, for "All" and for
// each single choice — and wants data from each. The limit alert must fire with its evidence.
func TestDashboardsQueriesReturnData(t *testing.T) {
	s := newServices(t, testenv.MosquittoOptions{Persistence: true})
	// A close delay of 2 h: the wall clock does not close the hour in progress while the test runs.
	q := startQuantrac(t, s.writeConfig(t, dashboardStations, "limits: {close_delay: 2h}\n"))
	// From a clock hour: the newest readings (…:55) leave the hour in progress with data, so the
	// 1h limits have a provisional ratio (a start at …:05 would end on an hour's last reading,
	// and the panel's "in progress" query would have nothing to show for a wastewater station).
	start := time.Now().Add(-30 * time.Hour).UTC().Truncate(time.Hour)
	sum := stationsim(t, "-broker", s.broker.URL(), "-stations-file", s.dir+"/stations.yaml",
		"-start", start.Format(time.RFC3339), "-step", "5m", "-count", "720", "-params", "9",
		"-rate", "0", "-violate", "0.5", "-calibrate", "0.05", "-bad", "0.02", "-seed", "3")
	testenv.Eventually(t, 60*time.Second, func() (bool, string) {
		seen, pending := q.metric("quantrac_messages_total"), q.metric("quantrac_points_pending")
		return seen >= sum["sent"] && pending == 0 && q.metric("quantrac_points_written_total") > 0,
			fmt.Sprintf("messages %v of %v, points pending %v", seen, sum["sent"], pending)
	})

	prom := testenv.Prometheus(t, testenv.PrometheusOptions{
		ConfigYAML: fmt.Sprintf("global: {scrape_interval: 1s, evaluation_interval: 1s}\nrule_files: [alerts.yml]\n"+
			"scrape_configs:\n  - job_name: quantrac\n    static_configs: [{targets: [%q]}]\n", q.addr),
		RuleFiles: map[string]string{"alerts.yml": readFile(t, "deploy/prometheus/alerts.yml")},
	})
	g := &grafana{t: t, influx: s.influx.URL(), prom: prom.URL()}
	testenv.Eventually(t, 30*time.Second, func() (bool, string) {
		n, err := g.promQuery(`rate(quantrac_messages_total{job="quantrac"}[1m])`)
		return err == nil && n > 0, fmt.Sprintf("no rate over 2 scrapes yet: %v", err)
	})

	ran := 0
	for file, d := range loadDashboards(t) {
		for _, choice := range g.resolve(d) {
			for _, p := range d.Panels {
				if p.Datasource == nil {
					continue // TestDashboardsWellFormed reports it
				}
				for _, tg := range p.Targets {
					ran++
					where := fmt.Sprintf("%s %q %s %v", file, p.Title, tg.RefID, choice.label)
					if p.Datasource.UID == influxUID {
						g.expectInflux(where, choice.influx(tg.Query))
						continue
					}
					expr := choice.prom(tg.Expr)
					if n, err := g.promQuery(expr); err != nil || n == 0 {
						t.Errorf("%s: PromQL returned %d series, error %v:\n%s", where, n, err, expr)
					}
				}
			}
		}
	}
	t.Logf("ran %d dashboard queries", ran)
	checkAlertsInPrometheus(t, g)
}

// checkAlertsInPrometheus: the rules load and evaluate without error in a real Prometheus,
// and the violations stationsim provoked fire QuantracLimitBreached with its evidence.
func checkAlertsInPrometheus(t *testing.T, g *grafana) {
	var rules struct {
		Data struct {
			Groups []struct {
				Rules []struct {
					Name, Health, LastError string
				} `json:"rules"`
			} `json:"groups"`
		} `json:"data"`
	}
	testenv.Eventually(t, 30*time.Second, func() (bool, string) {
		g.getJSON("/api/v1/rules", &rules)
		var bad []string
		n := 0
		for _, gr := range rules.Data.Groups {
			for _, r := range gr.Rules {
				n++
				if r.Health != "ok" {
					bad = append(bad, r.Name+": "+r.Health+" "+r.LastError)
				}
			}
		}
		return n == len(alertNames(t)) && len(bad) == 0, fmt.Sprintf("%d rules loaded; not ok: %v", n, bad)
	})
	var alerts struct {
		Data struct {
			Alerts []struct {
				Labels      map[string]string `json:"labels"`
				Annotations map[string]string `json:"annotations"`
				State       string            `json:"state"`
			} `json:"alerts"`
		} `json:"data"`
	}
	ratio := regexp.MustCompile(`^\d+\.\d\d$|^n/a`)
	testenv.Eventually(t, 30*time.Second, func() (bool, string) {
		g.getJSON("/api/v1/alerts", &alerts)
		for _, a := range alerts.Data.Alerts {
			if a.Labels["alertname"] == "QuantracLimitBreached" && a.State == "firing" {
				ok := a.Labels["province"] == "Lai Châu" && a.Labels["regulation"] != "" &&
					ratio.MatchString(a.Annotations["limit_ratio"]) && strings.HasSuffix(a.Annotations["coverage"], "%")
				return ok, fmt.Sprintf("alert %v %v", a.Labels, a.Annotations)
			}
		}
		return false, fmt.Sprintf("QuantracLimitBreached not firing; alerts %+v", alerts.Data.Alerts)
	})
}

// grafana runs queries the way Grafana's datasources send them.
type grafana struct {
	t            *testing.T
	influx, prom string
}

// choice is one selection of a dashboard's template variables.
type choice struct {
	label        string
	influxValues map[string]string // variable → text substituted in InfluxQL
	promValues   map[string]string // variable → text substituted in PromQL
}

// Grafana macros, as for a 7-day time range.
var macros = map[string]string{"$timeFilter": "time > now() - 7d", "$__interval": "5m", "$__rate_interval": "1m"}

func (c choice) influx(q string) string { return substitute(q, c.influxValues) }
func (c choice) prom(q string) string   { return substitute(q, c.promValues) }

// substitute replaces macros and variables, longest names first so $station does not eat
// $stations.
func substitute(q string, values map[string]string) string {
	for k, v := range macros {
		q = strings.ReplaceAll(q, k, v)
	}
	names := make([]string, 0, len(values))
	for k := range values {
		names = append(names, k)
	}
	slices.SortFunc(names, func(a, b string) int { return len(b) - len(a) })
	for _, k := range names {
		q = strings.ReplaceAll(q, "$"+k, values[k])
	}
	return q
}

var (
	labelValues = regexp.MustCompile(`^label_values\((.*),\s*(\w+)\)$`)
	// The characters Grafana's InfluxDB datasource (escapeRegex) and Prometheus datasource
	// (prometheusSpecialRegexEscape) escape in a variable's values.
	influxRegexSpecial = regexp.MustCompile(`[\\^$*+?.()|\[\]{}/]`)
	promRegexSpecial   = regexp.MustCompile(`[$^*{}\[\]'+?.()|]`)
	unsubstituted      = regexp.MustCompile(`\$\w`)
)

// resolve evaluates the dashboard's variables in order, as Grafana does, and returns the
// choices to test: every variable at its default ("All" for multi-value ones), then each
// value of each single-value variable.
func (g *grafana) resolve(d grafanaDashboard) []choice {
	all := choice{label: "all", influxValues: map[string]string{}, promValues: map[string]string{}}
	var singles []choice
	for _, v := range d.Templating.List {
		m := labelValues.FindStringSubmatch(v.Query)
		if m == nil {
			g.t.Fatalf("%s: variable %s: query %q is not label_values(selector, label)", d.UID, v.Name, v.Query)
		}
		values := g.labelValues(substitute(m[1], all.promValues), m[2])
		if len(values) == 0 {
			g.t.Errorf("%s: variable %s has no values (%s)", d.UID, v.Name, v.Query)
			return nil
		}
		all.influxValues[v.Name], all.promValues[v.Name] = interpolate(v, values)
		if !v.Multi && !v.IncludeAll {
			for _, val := range values[1:] {
				c := choice{label: v.Name + "=" + val, influxValues: map[string]string{}, promValues: map[string]string{}}
				for k, x := range all.influxValues {
					c.influxValues[k], c.promValues[k] = x, all.promValues[k]
				}
				c.influxValues[v.Name], c.promValues[v.Name] = interpolate(v, []string{val})
				singles = append(singles, c)
			}
		}
	}
	return append([]choice{all}, singles...)
}

// interpolate formats the selected values of a variable as Grafana's InfluxDB and Prometheus
// datasources do in a regex context: a custom "All" value verbatim, else each value
// regex-escaped and several joined as (a|b).
func interpolate(v grafanaVar, values []string) (influx, prom string) {
	if v.IncludeAll && v.AllValue != "" {
		return v.AllValue, v.AllValue
	}
	if !v.Multi && !v.IncludeAll { // Prometheus: no regex escaping for a single-value variable
		x := values[0]
		return influxRegexSpecial.ReplaceAllString(x, `\$0`),
			strings.NewReplacer(`\`, `\\`, `'`, `\\'`).Replace(x)
	}
	inf, pr := make([]string, len(values)), make([]string, len(values))
	for i, x := range values {
		inf[i] = influxRegexSpecial.ReplaceAllString(x, `\$0`)
		pr[i] = promRegexSpecial.ReplaceAllString(strings.ReplaceAll(x, `\`, `\\\\`), `\\$0`)
	}
	if len(values) == 1 {
		return inf[0], pr[0]
	}
	return "(" + strings.Join(inf, "|") + ")", "(" + strings.Join(pr, "|") + ")"
}

// labelValues is Grafana's label_values(selector, label): the label's values among the
// series the selector matches now.
func (g *grafana) labelValues(selector, label string) []string {
	var r struct {
		Data []map[string]string `json:"data"`
	}
	g.getJSON("/api/v1/series?"+url.Values{"match[]": {selector}, "start": {fmt.Sprint(time.Now().Add(-time.Hour).Unix())}}.Encode(), &r)
	var out []string
	for _, s := range r.Data {
		if v := s[label]; v != "" && !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	slices.Sort(out)
	return out
}

func (g *grafana) getJSON(path string, v any) {
	g.t.Helper()
	resp, err := http.Get(g.prom + path)
	if err != nil {
		g.t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil || resp.StatusCode != http.StatusOK {
		g.t.Fatalf("GET %s: HTTP %d: %v", path, resp.StatusCode, err)
	}
}

// promQuery evaluates expr now and returns the number of samples.
func (g *grafana) promQuery(expr string) (int, error) {
	resp, err := http.PostForm(g.prom+"/api/v1/query", url.Values{"query": {expr}})
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	var r struct {
		Status string `json:"status"`
		Error  string `json:"error"`
		Data   struct {
			Result json.RawMessage `json:"result"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		return 0, err
	}
	if r.Status != "success" {
		return 0, fmt.Errorf("%s", r.Error)
	}
	var samples []any
	if err := json.Unmarshal(r.Data.Result, &samples); err != nil {
		return 1, nil // a scalar
	}
	return len(samples), nil
}

// expectInflux runs an InfluxQL query against database quantrac, as Grafana's datasource does
// (POST /query, epoch ms), and wants at least one row with a value.
func (g *grafana) expectInflux(where, q string) {
	if unsubstituted.MatchString(q) {
		g.t.Errorf("%s: unsubstituted variable in %s", where, q)
		return
	}
	resp, err := http.PostForm(g.influx+"/query", url.Values{"db": {"quantrac"}, "q": {q}, "epoch": {"ms"}})
	if err != nil {
		g.t.Errorf("%s: %v", where, err)
		return
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var r struct {
		Results []struct {
			Error  string           `json:"error"`
			Series []testenv.Series `json:"series"`
		} `json:"results"`
		Error string `json:"error"`
	}
	if err := json.Unmarshal(body, &r); err != nil || r.Error != "" || len(r.Results) != 1 || r.Results[0].Error != "" {
		g.t.Errorf("%s: InfluxQL error: %s\n%s", where, body, q)
		return
	}
	for _, s := range r.Results[0].Series {
		for _, row := range s.Values {
			for i, v := range row {
				if v != nil && s.Columns[i] != "time" {
					return
				}
			}
		}
	}
	g.t.Errorf("%s: InfluxQL returned no data:\n%s", where, q)
}

// TestDashboardsInterpolate: variables are formatted as Grafana's datasources format them, so
// the queries tested are the queries Grafana sends.
func TestDashboardsInterpolate(t *testing.T) {
	multi := grafanaVar{Name: "regulation", Multi: true, IncludeAll: true}
	for _, tc := range []struct {
		v                  grafanaVar
		values             []string
		wantInflux, wantPr string
	}{
		{multi, []string{"QCVN-40:2011/B", "EU-2008/50"}, `(QCVN-40:2011\/B|EU-2008\/50)`, `(QCVN-40:2011/B|EU-2008/50)`},
		{multi, []string{"127.0.0.1:9786"}, `127\.0\.0\.1:9786`, `127\\.0\\.0\\.1:9786`},
		{grafanaVar{Name: "province", Multi: true, IncludeAll: true, AllValue: ".*"}, []string{"Lai Châu", "Hà Nội"}, ".*", ".*"},
		{grafanaVar{Name: "station"}, []string{"LC-AQ-01", "LC-AQ-02"}, "LC-AQ-01", "LC-AQ-01"},
		{grafanaVar{Name: "station"}, []string{"a.b"}, `a\.b`, "a.b"},
	} {
		inf, pr := interpolate(tc.v, tc.values)
		if inf != tc.wantInflux || pr != tc.wantPr {
			t.Errorf("%s %v: InfluxQL %q PromQL %q, want %q and %q", tc.v.Name, tc.values, inf, pr, tc.wantInflux, tc.wantPr)
		}
	}
	if got := substitute(`x =~ /^$station$/ AND $timeFilter GROUP BY time($__interval)`, map[string]string{"station": "S"}); got != `x =~ /^S$/ AND time > now() - 7d GROUP BY time(5m)` {
		t.Errorf("substitute: %s", got)
	}
}
