package e2e

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/quantrac/quantrac/internal/testenv"
)

// bin holds the binaries built once for the package's tests.
var bin struct{ quantrac, stationsim string }

func TestMain(m *testing.M) {
	flag.Parse()
	if testing.Short() { // every test here runs the binaries against real services
		fmt.Fprintln(os.Stderr, "e2e: skipped by -short (the fast tier; make test runs it)")
		os.Exit(0)
	}
	dir, err := os.MkdirTemp("", "quantrac-e2e-bin")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	bin.quantrac = filepath.Join(dir, "quantrac")
	bin.stationsim = filepath.Join(dir, "stationsim")
	for out, pkg := range map[string]string{bin.quantrac: "../../cmd/quantrac", bin.stationsim: "../../cmd/stationsim"} {
		// Plain builds: the race detector runs on the in-process tests of each package; here
		// the binaries must be fast enough to stream tens of thousands of messages.
		cmd := exec.Command("go", "build", "-o", out, pkg)
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Run(); err != nil {
			fmt.Fprintln(os.Stderr, "building", pkg, err)
			os.Exit(1)
		}
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// services is a broker and a database for one test.
type services struct {
	broker *testenv.Broker
	influx *testenv.Influx
	dir    string
}

func newServices(t *testing.T, mo testenv.MosquittoOptions) *services {
	t.Helper()
	s := &services{broker: testenv.Mosquitto(t, mo), influx: testenv.InfluxDB(t, testenv.InfluxOptions{}), dir: t.TempDir()}
	s.influx.CreateDatabase("quantrac")
	return s
}

// quantrac is a running quantrac process.
type quantrac struct {
	t       testing.TB
	cmd     *exec.Cmd
	args    []string
	addr    string
	logPath string
	exited  chan struct{}
}

// writeConfig writes quantrac.yaml and stations.yaml into s.dir and returns the config path.
func (s *services) writeConfig(t *testing.T, stations string, extra string) string {
	t.Helper()
	write(t, filepath.Join(s.dir, "stations.yaml"), stations)
	spool := "spool: {dir: spool, max_bytes: 64MiB}\n"
	if strings.Contains(extra, "spool:") {
		spool = "" // the test sets its own
	}
	influx := fmt.Sprintf("influx:\n  url: %s\n  flush_interval: 200ms\n", s.influx.URL())
	if strings.Contains(extra, "influx:") {
		influx = "" // the test sets its own
	}
	cfg := fmt.Sprintf(`mqtt:
  broker: %s
  client_id: quantrac-e2e
%sstations_file: stations.yaml
%s%s`, s.broker.URL(), influx, spool, extra)
	path := filepath.Join(s.dir, "quantrac.yaml")
	write(t, path, cfg)
	return path
}

func write(t testing.TB, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// startQuantrac starts the binary and waits until it is ready.
func startQuantrac(t *testing.T, cfgPath string) *quantrac {
	t.Helper()
	port := testenv.FreePort(t)
	q := &quantrac{t: t, addr: fmt.Sprintf("127.0.0.1:%d", port), logPath: filepath.Join(filepath.Dir(cfgPath), "quantrac.log"),
		args: []string{"run", "-config", cfgPath, "-web.listen-address", fmt.Sprintf("127.0.0.1:%d", port), "-log.level", "debug"}}
	q.start()
	t.Cleanup(func() {
		q.signal(syscall.SIGKILL)
		if t.Failed() {
			t.Logf("quantrac log (tail):\n%s", tail(q.logPath, 40))
		}
	})
	return q
}

func (q *quantrac) start() {
	q.t.Helper()
	q.startNotReady()
	testenv.Eventually(q.t, 60*time.Second, func() (bool, string) {
		select {
		case <-q.exited:
			q.t.Fatalf("quantrac exited at start:\n%s", tail(q.logPath, 30))
		default:
		}
		body, code := q.get("/readyz")
		return code == http.StatusOK, fmt.Sprintf("readyz %d %s", code, body)
	})
}

// startNotReady starts the binary and waits only for its HTTP server to answer.
func (q *quantrac) startNotReady() {
	q.t.Helper()
	logf, err := os.OpenFile(q.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		q.t.Fatal(err)
	}
	q.cmd = exec.Command(bin.quantrac, q.args...)
	q.cmd.Stdout, q.cmd.Stderr = logf, logf
	if err := q.cmd.Start(); err != nil {
		q.t.Fatal(err)
	}
	q.exited = make(chan struct{})
	go func() { _ = q.cmd.Wait(); logf.Close(); close(q.exited) }()
	testenv.Eventually(q.t, 60*time.Second, func() (bool, string) {
		select {
		case <-q.exited:
			q.t.Fatalf("quantrac exited at start:\n%s", tail(q.logPath, 30))
		default:
		}
		body, code := q.get("/healthz")
		return code == http.StatusOK, fmt.Sprintf("healthz %d %s", code, body)
	})
}

// send sends sig without waiting for anything.
func (q *quantrac) send(sig syscall.Signal) {
	q.t.Helper()
	if err := q.cmd.Process.Signal(sig); err != nil {
		q.t.Fatal(err)
	}
}

// signal sends sig and waits for the process to exit.
func (q *quantrac) signal(sig syscall.Signal) {
	if q.cmd != nil && q.cmd.Process != nil {
		_ = q.cmd.Process.Signal(sig)
		<-q.exited
	}
}

// get returns the body and status of an HTTP GET, or code 0 when the server does not answer.
func (q *quantrac) get(path string) (string, int) {
	c := http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get("http://" + q.addr + path)
	if err != nil {
		return err.Error(), 0
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b), resp.StatusCode
}

// metric returns the value of the sample whose name and labels start with prefix, summed
// over all matching samples.
func (q *quantrac) metric(prefix string) float64 {
	body, _ := q.get("/metrics")
	return sumMetric(body, prefix)
}

// sumMetric sums the samples of an exposition whose line starts with prefix.
func sumMetric(body, prefix string) float64 {
	sum := 0.0
	sc := bufio.NewScanner(strings.NewReader(body))
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, prefix) {
			f := strings.Fields(line)
			v, _ := strconv.ParseFloat(f[len(f)-1], 64)
			sum += v
		}
	}
	return sum
}

// stationsim runs the simulator to completion and returns its summary counters.
func stationsim(t *testing.T, args ...string) map[string]float64 {
	t.Helper()
	out, err := exec.Command(bin.stationsim, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("stationsim %v: %v\n%s", args, err, out)
	}
	return parseSummary(t, string(out))
}

var summaryField = regexp.MustCompile(`(\w+)=([0-9.]+)`)

func parseSummary(t testing.TB, out string) map[string]float64 {
	t.Helper()
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "summary:") {
			m := map[string]float64{}
			for _, f := range summaryField.FindAllStringSubmatch(line, -1) {
				m[f[1]], _ = strconv.ParseFloat(f[2], 64)
			}
			return m
		}
	}
	t.Fatalf("no summary line in stationsim output:\n%s", out)
	return nil
}

func tail(path string, n int) string {
	b, _ := os.ReadFile(path)
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
