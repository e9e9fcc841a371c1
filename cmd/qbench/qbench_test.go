package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestParseSummary(t *testing.T) {
	lines := []string{
		"time=… level=INFO msg=starting stations=10",
		"stationsim: elapsed   2.066s, 9682.7 msg/s",
		"summary: sent=20000 acked=19990 resent=0 failed=10 readings=120000 elapsed_s=2.066 msg_per_s=9682.7 cpu_s=0.559 malformed=0",
	}
	m := parseSummary(lines)
	for k, want := range map[string]float64{"sent": 20000, "acked": 19990, "failed": 10, "msg_per_s": 9682.7, "cpu_s": 0.559} {
		if m[k] != want {
			t.Errorf("%s = %v, want %v", k, m[k], want)
		}
	}
	if parseSummary(lines[:2]) != nil {
		t.Error("a summary was found in output without one")
	}
}

func TestPercentile(t *testing.T) {
	xs := []float64{5, 1, 4, 2, 3, 10, 9, 8, 7, 6}
	for _, c := range []struct{ p, want float64 }{{50, 5}, {99, 10}, {100, 10}, {10, 1}, {0, 1}} {
		if got := percentile(xs, c.p); got != c.want {
			t.Errorf("p%v = %v, want %v", c.p, got, c.want)
		}
	}
	if xs[0] != 5 {
		t.Error("percentile sorted its input")
	}
}

func TestProcCPUAndRSS(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("no /proc")
	}
	c0, err := procCPU(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	// Spin until /proc counts 0.1 s of CPU: on a loaded machine 300 ms of wall time may get
	// far less than 300 ms of CPU, so the deadline is generous and only catches a counter that
	// does not move.
	deadline := time.Now().Add(20 * time.Second)
	c1 := c0
	for c1-c0 < 0.1 && time.Now().Before(deadline) {
		if burn(50*time.Millisecond) == 0 {
			t.Fatal("did not spin")
		}
		c1, _ = procCPU(os.Getpid())
	}
	if c1-c0 < 0.1 {
		t.Errorf("20 s of spinning counted as %.3f s of CPU", c1-c0)
	}
	rss, err := peakRSS(os.Getpid())
	if err != nil || rss < 1<<20 {
		t.Errorf("VmHWM of the test process: %d, %v", rss, err)
	}
}

// burn spins on the CPU for d.
func burn(d time.Duration) int {
	spins := 0
	for end := time.Now().Add(d); time.Now().Before(end); {
		spins++
	}
	return spins
}

func TestMosquittoConfig(t *testing.T) {
	c := mosquittoConfig(1883, "/d", 20000, 10000000)
	for _, want := range []string{"listener 1883 127.0.0.1", "persistence true", "persistence_location /d/",
		"max_inflight_messages 20000", "max_queued_messages 10000000", "max_queued_bytes 0"} {
		if !strings.Contains(c, want+"\n") {
			t.Errorf("mosquitto.conf lacks %q:\n%s", want, c)
		}
	}
}

func TestProbeStations(t *testing.T) {
	y := string(probeStations(2))
	for _, want := range []string{"id: QBENCH-LAT-0001", "id: QBENCH-LAT-0002", "interval: 1h",
		"{parameter: cod, max: 75, unit: mg/L}"} {
		if !strings.Contains(y, want) {
			t.Errorf("probe registry lacks %q:\n%s", want, y)
		}
	}
}

func TestCheckAccounting(t *testing.T) {
	ok := map[string]float64{`quantrac_messages_total{result="accepted"}`: 1000}
	if errs := checkAccounting(ok, 1000); len(errs) != 0 {
		t.Errorf("clean counters: %v", errs)
	}
	if errs := checkAccounting(ok, 900); len(errs) != 0 {
		t.Errorf("redelivered messages are not an error: %v", errs)
	}
	if errs := checkAccounting(ok, 1001); len(errs) != 1 {
		t.Errorf("a missing message: %v", errs)
	}
	bad := map[string]float64{`quantrac_messages_total{result="accepted"}`: 1000, "quantrac_readings_rejected_total": 3, "quantrac_write_errors_total": 1}
	if errs := checkAccounting(bad, 1000); len(errs) != 2 {
		t.Errorf("rejections and write errors: %v", errs)
	}
}

func TestMetrics(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte(`# HELP quantrac_messages_total x
quantrac_messages_total{result="accepted"} 120
quantrac_messages_total{result="malformed"} 3
quantrac_messages_total_other 99
quantrac_write_errors_total 0
`))
	}))
	defer srv.Close()
	q := &quantracProc{addr: strings.TrimPrefix(srv.URL, "http://")}
	m, size, _, err := q.metrics("quantrac_messages_total", "quantrac_write_errors_total")
	if err != nil {
		t.Fatal(err)
	}
	if m["quantrac_messages_total"] != 123 || m[`quantrac_messages_total{result="accepted"}`] != 120 || size == 0 {
		t.Errorf("metrics = %v (size %d)", m, size)
	}
	if _, ok := m["quantrac_write_errors_total"]; !ok {
		t.Error("a zero counter is missing")
	}
}

func TestParseGoBench(t *testing.T) {
	path := filepath.Join(t.TempDir(), "go.txt")
	out := "goos: linux\npkg: github.com/quantrac/quantrac/rules\n" +
		"BenchmarkObserve-2   	 1000	      296.7 ns/op	      1720 bytes/window	       0 B/op	       0 allocs/op\n" +
		"PASS\npkg: github.com/quantrac/quantrac/store\nBenchmarkAppendReadings-2 	 5000	 323.9 ns/op	 53.99 ns/reading\n"
	if err := os.WriteFile(path, []byte(out), 0o644); err != nil {
		t.Fatal(err)
	}
	bs, err := parseGoBench(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(bs) != 2 || bs[0].Pkg != "github.com/quantrac/quantrac/rules" || bs[0].Metrics["ns/op"] != 296.7 ||
		bs[0].Metrics["bytes/window"] != 1720 || bs[1].Pkg != "github.com/quantrac/quantrac/store" || bs[1].N != 5000 {
		t.Errorf("parsed %+v", bs)
	}
}

func TestMarkdownTargets(t *testing.T) {
	row := func(n int, e2e, ceil float64) Row {
		return Row{Stations: n, RatioEndToEnd: e2e / ceil, RatioCatchUp: 0.9, CPUPer100kMsgs: 1.0, CPUPerMessageUS: 10, PeakRSSMB: 250,
			Broker: Phase{Messages: 10, MsgPerS: ceil}, EndToEnd: Phase{Messages: 10, Queried: 10, MsgPerS: e2e},
			CatchUp: Phase{Messages: 5, Queried: 5}}
	}
	var b strings.Builder
	writeMarkdown(&b, &Results{Rows: []Row{row(100, 90, 100), row(1000, 80, 100), row(10000, 90, 100)}})
	md := b.String()
	for _, want := range []string{
		"| end to end ≥ 85 % of broker-only, 1000 stations | 80 % | **not met** |",
		"| catch-up ≥ 85 % of drain ceiling, 1000 stations | 90 % | met |",
		"| peak RSS ≤ 300 MB, 10000 stations | 250 MB | met |",
		"| nothing lost: every published message queryable in InfluxDB, every station count | none | met |",
		"| CPU per message flat from 100 to 10,000 stations | ×1.00 | met |",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q:\n%s", want, md)
		}
	}
}

func TestLastSent(t *testing.T) {
	for _, c := range []struct {
		count    int64
		n, conns int
		want     []int
	}{
		{200000, 1000, 4, []int{996, 997, 998, 999}}, // full rounds: the last station of each connection
		{200003, 1000, 4, []int{0, 1, 2}},            // round 200 holds stations 0, 1, 2
		{200006, 1000, 4, []int{4, 5, 2, 3}},         // stations 0–5 in the last round
		{35, 10, 4, []int{4, 1, 2, 3}},               // stations 0–4
		{20, 3, 4, []int{0, 1}},                      // fewer stations than connections; round 6 holds 0, 1
		{2, 1000, 4, []int{0, 1}},                    // fewer messages than stations
	} {
		got := lastSent(c.count, c.n, c.conns)
		if fmt.Sprint(got) != fmt.Sprint(c.want) {
			t.Errorf("lastSent(%d, %d, %d) = %v, want %v", c.count, c.n, c.conns, got, c.want)
		}
	}
}
