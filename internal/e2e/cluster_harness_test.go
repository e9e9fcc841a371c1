package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/quantrac/quantrac/internal/testenv"
)

// natsServices are the services of a cluster test (README.md, "Scaling out"): a 3-node NATS
// JetStream cluster, InfluxDB, and station-facing Mosquitto brokers whose relays forward to the
// cluster.
type natsServices struct {
	nats    *testenv.NATS
	influx  *testenv.Influx
	brokers []*testenv.Broker
	dir     string
}

func newNATSServices(t testing.TB, brokers int) *natsServices {
	t.Helper()
	s := &natsServices{nats: testenv.NATSCluster(t, testenv.NATSOptions{}), influx: testenv.InfluxDB(t, testenv.InfluxOptions{}), dir: t.TempDir()}
	for range brokers {
		s.brokers = append(s.brokers, testenv.Mosquitto(t, testenv.MosquittoOptions{Persistence: true, MaxInflight: 1000, MaxQueued: 1000000}))
	}
	s.influx.CreateDatabase("quantrac")
	return s
}

// urlsFrom lists the cluster's URLs starting at node i, so that processes spread over nodes.
func (s *natsServices) urlsFrom(i int) string {
	urls := s.nats.URLList()
	i %= len(urls)
	return `["` + strings.Join(append(urls[i:], urls[:i]...), `", "`) + `"]`
}

// writeInstance writes the configuration of one process in its own directory (its log,
// spool and stations.yaml live there) and returns the config path. member "" writes a
// relay's configuration for broker b.
func (s *natsServices) writeInstance(t testing.TB, name, member string, b int, stations, extra string) string {
	t.Helper()
	dir := filepath.Join(s.dir, name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(dir, "stations.yaml"), stations)
	source := "source: nats\n"
	if member == "" {
		source = ""
	}
	spool := "spool: {dir: spool, max_bytes: 64MiB}\n"
	if strings.Contains(extra, "spool:") {
		spool = "" // the test sets its own
	}
	cfg := fmt.Sprintf(`%smqtt:
  broker: %s
  client_id: %s
influx:
  url: %s
  flush_interval: 200ms
%sstations_file: stations.yaml
nats:
  urls: %s
  member: %q
  partitions: 8
%s`, source, s.brokers[b%len(s.brokers)].URL(), name, s.influx.URL(), spool, s.urlsFrom(b), member, extra)
	path := filepath.Join(dir, "quantrac.yaml")
	write(t, path, cfg)
	return path
}

// startCommand starts `quantrac <cmd> -config cfg` and waits until its /readyz answers 200.
func startCommand(t testing.TB, cmd, cfgPath string) *quantrac {
	t.Helper()
	port := testenv.FreePort(t)
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	q := &quantrac{t: t, addr: addr, logPath: filepath.Join(filepath.Dir(cfgPath), cmd+".log"),
		args: []string{cmd, "-config", cfgPath, "-web.listen-address", addr, "-log.level", "info"}}
	q.start()
	t.Cleanup(func() {
		q.signal(syscall.SIGKILL)
		if t.Failed() {
			t.Logf("%s log (tail):\n%s", cfgPath, tail(q.logPath, 30))
		}
	})
	return q
}

// runCLI runs a quantrac subcommand to completion and returns its output.
func runCLI(t testing.TB, args ...string) string {
	t.Helper()
	out, err := exec.Command(bin.quantrac, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("quantrac %v: %v\n%s", args, err, out)
	}
	return string(out)
}

// generatedStations returns the registry YAML of n stationsim stations (seeded).
func generatedStations(t testing.TB, n int, seed int) string {
	t.Helper()
	out, err := exec.Command(bin.stationsim, "-stations", fmt.Sprint(n), "-seed", fmt.Sprint(seed), "-print-registry").Output()
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

// streamTo publishes count messages of params readings of the stations in stationsFile to broker
// with distinct measurement times (1 minute apart per station).
func streamTo(t testing.TB, broker *testenv.Broker, stationsFile string, count, rate, params int, id string) *stream {
	t.Helper()
	// Within limits.max_age (30 days) for every station count of these tests.
	start := time.Now().Add(-time.Duration(min(count, 40000)) * time.Minute).UTC().Truncate(time.Minute)
	st := &stream{err: make(chan error, 1)}
	st.cmd = exec.Command(bin.stationsim, "-broker", broker.URL(), "-stations-file", stationsFile,
		"-start", start.Format(time.RFC3339), "-step", "1m", "-count", fmt.Sprint(count), "-rate", fmt.Sprint(rate),
		"-params", fmt.Sprint(params), "-seed", "7", "-qos", "1", "-calibrate", "0", "-client-id-prefix", id)
	st.cmd.Stdout, st.cmd.Stderr = &st.out, &st.out
	if err := st.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { st.err <- st.cmd.Wait() }()
	t.Cleanup(func() { _ = st.cmd.Process.Kill() })
	return st
}

// finish waits for the stream and returns the readings it sent.
func (st *stream) finish(t testing.TB) float64 {
	t.Helper()
	return st.waitSent(t)["readings"]
}
