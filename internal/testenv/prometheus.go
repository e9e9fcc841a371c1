package testenv

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// PrometheusOptions configure a Prometheus started by [Prometheus].
type PrometheusOptions struct {
	// ConfigYAML is prometheus.yml. Empty: a 1 s scrape and evaluation interval, Prometheus
	// scraping itself (job "prometheus"), and every file of RuleFiles loaded.
	ConfigYAML string
	// RuleFiles maps file names (no directories) to contents. They are written next to
	// prometheus.yml, so ConfigYAML names them by their bare name under rule_files.
	RuleFiles map[string]string
	// Flags are more command-line flags, such as "--enable-feature=...".
	Flags []string
}

// Prom is a Prometheus server run by a test.
type Prom struct {
	tb     testing.TB
	proc   *process
	url    string
	client *http.Client
}

// Sample is one element of an instant vector.
type Sample struct {
	Metric map[string]string // labels, __name__ included when the result has one
	Value  float64
	Time   time.Time
}

// Prometheus starts Prometheus on a free loopback port with its own storage directory and
// returns once /-/ready answers. It is stopped when the test ends.
func Prometheus(tb testing.TB, opts PrometheusOptions) *Prom {
	tb.Helper()
	bin := mustFind(tb, prometheusBinary())
	dir := tb.TempDir()
	addr := loopback(FreePort(tb))
	p := &Prom{tb: tb, url: "http://" + addr, client: &http.Client{Timeout: 30 * time.Second}}
	conf := filepath.Join(dir, "prometheus.yml")
	if err := opts.write(dir, conf, addr); err != nil {
		tb.Fatalf("testenv: prometheus config: %v", err)
	}
	args := append([]string{
		"--config.file=" + conf,
		"--storage.tsdb.path=" + filepath.Join(dir, "data"),
		"--web.listen-address=" + addr,
		"--web.enable-lifecycle",
	}, opts.Flags...)
	p.proc = newProcess(tb, "prometheus", bin, args, dir, p.ready)
	p.proc.start()
	return p
}

// write writes the rule files and the configuration into dir.
func (o PrometheusOptions) write(dir, conf, addr string) error {
	names := make([]string, 0, len(o.RuleFiles))
	for name, content := range o.RuleFiles {
		if name == "" || filepath.Base(name) != name || name == "prometheus.yml" {
			return fmt.Errorf("rule file name %q: want a bare file name", name)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			return err
		}
		names = append(names, name)
	}
	slices.Sort(names)
	cfg := o.ConfigYAML
	if cfg == "" {
		cfg = defaultPromConfig(addr, names)
	}
	return os.WriteFile(conf, []byte(cfg), 0o644)
}

func defaultPromConfig(addr string, ruleFiles []string) string {
	var c strings.Builder
	c.WriteString("# written by quantrac internal/testenv\nglobal:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n")
	if len(ruleFiles) > 0 {
		c.WriteString("rule_files:\n")
		for _, f := range ruleFiles {
			fmt.Fprintf(&c, "  - %q\n", f)
		}
	}
	fmt.Fprintf(&c, "scrape_configs:\n  - job_name: prometheus\n    static_configs:\n      - targets: [%q]\n", addr)
	return c.String()
}

func (p *Prom) ready() error {
	resp, err := p.client.Get(p.url + "/-/ready")
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("/-/ready: %s", resp.Status)
	}
	return nil
}

// URL is the server's base URL: "http://127.0.0.1:port".
func (p *Prom) URL() string { return p.url }

// Stop stops Prometheus gracefully (SIGTERM) and waits for it.
func (p *Prom) Stop() { p.tb.Helper(); p.proc.stop() }

// Start starts the stopped Prometheus again with the same port, configuration and storage.
func (p *Prom) Start() { p.tb.Helper(); p.proc.start() }

// Kill kills Prometheus (SIGKILL), as a crash would.
func (p *Prom) Kill() { p.proc.kill() }

// Restart is Stop then Start.
func (p *Prom) Restart() { p.tb.Helper(); p.proc.restart() }

// promResponse is the envelope of the HTTP API.
type promResponse struct {
	Status string `json:"status"`
	Data   struct {
		ResultType string          `json:"resultType"`
		Result     json.RawMessage `json:"result"`
	} `json:"data"`
	Error string `json:"error"`
}

// Query evaluates promql at the server's current time (GET /api/v1/query) and returns the
// instant vector; a scalar result is one sample without labels. An error fails the test.
func (p *Prom) Query(promql string) []Sample {
	p.tb.Helper()
	resp, err := p.client.Get(p.url + "/api/v1/query?" + url.Values{"query": {promql}}.Encode())
	if err != nil {
		p.tb.Fatalf("testenv: prometheus query %q: %v", promql, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		p.tb.Fatalf("testenv: prometheus query %q: %v", promql, err)
	}
	var r promResponse
	if err := json.Unmarshal(body, &r); err != nil || r.Status != "success" {
		p.tb.Fatalf("testenv: prometheus query %q: HTTP %d: %s", promql, resp.StatusCode, body)
	}
	samples, err := parseResult(r.Data.ResultType, r.Data.Result)
	if err != nil {
		p.tb.Fatalf("testenv: prometheus query %q: %v", promql, err)
	}
	return samples
}

// parseResult decodes a vector or a scalar result.
func parseResult(resultType string, raw json.RawMessage) ([]Sample, error) {
	switch resultType {
	case "vector":
		var v []struct {
			Metric map[string]string `json:"metric"`
			Value  []any             `json:"value"`
		}
		if err := json.Unmarshal(raw, &v); err != nil {
			return nil, err
		}
		out := make([]Sample, len(v))
		for i, s := range v {
			t, val, err := parsePoint(s.Value)
			if err != nil {
				return nil, err
			}
			out[i] = Sample{Metric: s.Metric, Value: val, Time: t}
		}
		return out, nil
	case "scalar":
		var v []any
		if err := json.Unmarshal(raw, &v); err != nil {
			return nil, err
		}
		t, val, err := parsePoint(v)
		if err != nil {
			return nil, err
		}
		return []Sample{{Metric: map[string]string{}, Value: val, Time: t}}, nil
	default:
		return nil, fmt.Errorf("result type %q: want vector or scalar", resultType)
	}
}

// parsePoint decodes [unix seconds, "value"].
func parsePoint(p []any) (time.Time, float64, error) {
	if len(p) != 2 {
		return time.Time{}, 0, fmt.Errorf("point %v: want [time, value]", p)
	}
	ts, ok1 := p[0].(float64)
	s, ok2 := p[1].(string)
	if !ok1 || !ok2 {
		return time.Time{}, 0, fmt.Errorf("point %v: want [number, string]", p)
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return time.Time{}, 0, fmt.Errorf("point %v: %w", p, err)
	}
	return time.UnixMilli(int64(math.Round(ts * 1000))).UTC(), v, nil
}
