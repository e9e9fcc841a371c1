package testenv

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// upIs1 is an Eventually condition: Prometheus scraped itself successfully.
func upIs1(p *Prom) func() (bool, string) {
	return func() (bool, string) {
		v := p.Query(`up{job="prometheus"}`)
		return len(v) == 1 && v[0].Value == 1, fmt.Sprintf("up = %+v", v)
	}
}

// TestPrometheusUpAndRestart waits about 5 s per start: Prometheus's discovery manager sends
// the first targets to the scrape manager after 5 s, even for static_configs.
func TestPrometheusUpAndRestart(t *testing.T) {
	t.Parallel()
	p := Prometheus(t, PrometheusOptions{})
	Eventually(t, 20*time.Second, upIs1(p))
	if v := p.Query("1 + 1"); len(v) != 1 || v[0].Value != 2 || len(v[0].Metric) != 0 {
		t.Fatalf("scalar 1 + 1 = %+v", v)
	}
	if d := time.Since(p.Query("vector(1)")[0].Time); d < -time.Minute || d > time.Minute {
		t.Errorf("evaluation time is %v from now", d)
	}
	last := p.Query(`timestamp(up{job="prometheus"})`)[0].Value

	p.Restart() // same port and storage: the samples scraped before are still there
	Eventually(t, 20*time.Second, func() (bool, string) {
		v := p.Query(`timestamp(up{job="prometheus"})`)
		return len(v) == 1 && v[0].Value > last, fmt.Sprintf("no scrape after the restart yet: %+v", v)
	})
	// A lost storage would hold the new sample only.
	const count = `count_over_time(up{job="prometheus"}[1h])`
	if v := p.Query(count); len(v) != 1 || v[0].Value < 2 {
		t.Fatalf("%s after the restart = %+v, want the samples from before and a new one", count, v)
	}
}

const testRules = `groups:
  - name: testenv
    rules:
      - record: testenv:up:sum
        expr: sum(up)
`

func TestPrometheusRuleFiles(t *testing.T) {
	t.Parallel()
	p := Prometheus(t, PrometheusOptions{RuleFiles: map[string]string{"rules.yml": testRules}})
	Eventually(t, 20*time.Second, func() (bool, string) {
		v := p.Query("testenv:up:sum")
		return len(v) == 1 && v[0].Value == 1 && v[0].Metric["__name__"] == "testenv:up:sum",
			fmt.Sprintf("testenv:up:sum = %+v", v)
	})
}

func TestPromtool(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	good, bad := filepath.Join(dir, "good.yml"), filepath.Join(dir, "bad.yml")
	if err := os.WriteFile(good, []byte(testRules), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bad, []byte(strings.Replace(testRules, "sum(up)", "sum(up", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(Promtool(t), "check", "rules", good).CombinedOutput(); err != nil {
		t.Errorf("promtool check rules on valid rules: %v\n%s", err, out)
	}
	if out, err := exec.Command(Promtool(t), "check", "rules", bad).CombinedOutput(); err == nil {
		t.Errorf("promtool check rules accepted a syntax error:\n%s", out)
	}
}

func TestPrometheusConfig(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	o := PrometheusOptions{RuleFiles: map[string]string{"b.yml": "groups: []\n", "a.yml": "groups: []\n"}}
	if err := o.write(dir, filepath.Join(dir, "prometheus.yml"), "127.0.0.1:9"); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(dir, "prometheus.yml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"scrape_interval: 1s", "rule_files:\n  - \"a.yml\"\n  - \"b.yml\"\n", `targets: ["127.0.0.1:9"]`} {
		if !strings.Contains(string(got), w) {
			t.Errorf("default config lacks %q:\n%s", w, got)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "b.yml")); err != nil {
		t.Errorf("rule file not written: %v", err)
	}
	bad := PrometheusOptions{RuleFiles: map[string]string{"../x.yml": ""}}
	if err := bad.write(dir, filepath.Join(dir, "p.yml"), "a"); err == nil {
		t.Error("rule file name with a directory accepted")
	}
	custom := PrometheusOptions{ConfigYAML: "global: {}\n"}
	if err := custom.write(dir, filepath.Join(dir, "c.yml"), "a"); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(filepath.Join(dir, "c.yml")); string(got) != "global: {}\n" {
		t.Errorf("ConfigYAML written as %q", got)
	}
}
