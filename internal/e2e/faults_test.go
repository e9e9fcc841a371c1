package e2e

import (
	"bytes"
	"fmt"
	"math"
	"os/exec"
	"syscall"
	"testing"
	"time"

	"github.com/quantrac/quantrac/internal/testenv"
)

// Fault-injection tests (docs/decisions/0001-puback-when-durable.md): each streams at least
// 10,000 QoS 1 readings with distinct timestamps through real Mosquitto, quantrac and InfluxDB
// processes, injects a fault mid-stream, and asserts that exactly that many points are in
// InfluxDB afterwards: nothing lost, nothing extra.

// faultStations are two stations whose 8-parameter messages give 16 readings per round.
const faultStations = `stations:
  - id: F-WW-01
    kind: wastewater
    location: {lat: 22.39, lon: 103.47}
  - id: F-WW-02
    kind: wastewater
    location: {lat: 22.40, lon: 103.48}
`

// stream is a stationsim run in the background.
type stream struct {
	cmd *exec.Cmd
	out bytes.Buffer
	err chan error
}

// startStream publishes count messages at rate msg/s with measurement times 1 minute apart,
// starting far enough in the past that every timestamp is distinct and valid; extra are more
// stationsim flags.
func startStream(t *testing.T, s *services, count, rate int, extra ...string) *stream {
	t.Helper()
	return startStreamN(t, s, count, rate, time.Now().Add(-time.Duration(count)*time.Minute).UTC().Truncate(time.Minute), extra...)
}

// startStreamN publishes count messages per station at rate msg/s (0: as fast as the broker
// takes them) with measurement times 1 minute apart from start; extra are more stationsim flags.
func startStreamN(t *testing.T, s *services, count, rate int, start time.Time, extra ...string) *stream {
	t.Helper()
	st := &stream{err: make(chan error, 1)}
	st.cmd = exec.Command(bin.stationsim, "-broker", s.broker.URL(), "-stations-file", s.dir+"/stations.yaml",
		"-start", start.Format(time.RFC3339), "-step", "1m", "-count", fmt.Sprint(count), "-rate", fmt.Sprint(rate),
		"-params", "8", "-seed", "7", "-qos", "1", "-client-id-prefix", "faultsim")
	st.cmd.Args = append(st.cmd.Args, extra...)
	st.cmd.Stdout, st.cmd.Stderr = &st.out, &st.out
	if err := st.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { st.err <- st.cmd.Wait() }()
	t.Cleanup(func() { _ = st.cmd.Process.Kill() })
	return st
}

// wait waits for the stream to finish and returns the readings it sent, at least 10,000.
func (st *stream) wait(t *testing.T) float64 {
	t.Helper()
	sum := st.waitSent(t)
	if sum["readings"] < 10000 {
		t.Fatalf("stream sent %v readings; the fault tests need at least 10,000", sum["readings"])
	}
	return sum["readings"]
}

// waitSent waits for the stream to finish and returns its summary.
func (st *stream) waitSent(t testing.TB) map[string]float64 {
	t.Helper()
	select {
	case err := <-st.err:
		if err != nil {
			t.Fatalf("stationsim: %v\n%s", err, st.out.String())
		}
	case <-time.After(4 * time.Minute):
		t.Fatalf("stationsim did not finish:\n%s", st.out.String())
	}
	sum := parseSummary(t, st.out.String())
	if sum["failed"] != 0 {
		t.Fatalf("stationsim failed to publish: %v", sum)
	}
	return sum
}

// expectExactly waits until InfluxDB holds exactly want readings and stays there.
func expectExactly(t *testing.T, s *services, q *quantrac, want float64) {
	t.Helper()
	testenv.Eventually(t, 2*time.Minute, func() (bool, string) {
		got := float64(countPoints(t, s.influx))
		return got == want, fmt.Sprintf("InfluxDB holds %v readings, want %v (pending %v, spooled %v)", got, want,
			q.metric("quantrac_points_pending"), q.metric("quantrac_spool_bytes"))
	})
	time.Sleep(time.Second) // a late duplicate would show now
	if got := float64(countPoints(t, s.influx)); got != want {
		t.Fatalf("InfluxDB holds %v readings after settling, want %v", got, want)
	}
	checkAccounting(t, q, 0)
	if p := q.metric("quantrac_readings_pending"); p != 0 {
		t.Errorf("%v readings still pending after everything landed", p)
	}
}

// checkAccounting asserts the identities of README.md, "Metrics", on quantrac's counters (since
// its start): every message received has a result, and every accepted reading is durable,
// quarantined (refused by InfluxDB, kept in rejected_messages) or pending. A scrape reads the
// counters one after the other, so while messages flow they may differ by the messages handled
// during the scrape: slack readings (and slack/8 messages).
func checkAccounting(t *testing.T, q *quantrac, slack float64) {
	t.Helper()
	// One scrape gives the numbers of one moment, but a message a broker redelivers may be
	// between two counters of it while the scrape runs: the books must balance in a scrape
	// within a few seconds (a lost or double-counted reading never balances).
	testenv.Eventually(t, 10*time.Second, func() (bool, string) {
		body, _ := q.get("/metrics")
		m := func(prefix string) float64 { return sumMetric(body, prefix) }
		received, results := m("quantrac_messages_received_total"), m("quantrac_messages_total{")
		readings, durable, pending := m("quantrac_readings_total{"), m("quantrac_readings_durable_total"), m("quantrac_readings_pending")
		quarantined := m("quantrac_readings_quarantined_total")
		return math.Abs(received-results) <= slack/8 && math.Abs(readings-durable-quarantined-pending) <= slack,
			fmt.Sprintf("messages received %v, sum of results %v; accepted readings %v, durable %v + quarantined %v + pending %v",
				received, results, readings, durable, quarantined, pending)
	})
}

// afterReadings waits until quantrac has accepted at least n readings.
func afterReadings(t *testing.T, q *quantrac, n float64) {
	t.Helper()
	testenv.Eventually(t, time.Minute, func() (bool, string) {
		got := q.metric("quantrac_readings_total")
		return got >= n, fmt.Sprintf("%v readings accepted", got)
	})
}

func TestFaultKill9Quantrac(t *testing.T) {
	s := newServices(t, testenv.MosquittoOptions{Persistence: true, MaxInflight: 1000, MaxQueued: 1000000})
	q := startQuantrac(t, s.writeConfig(t, faultStations, ""))
	st := startStream(t, s, 1300, 250)
	afterReadings(t, q, 3000)
	q.signal(syscall.SIGKILL)
	time.Sleep(2 * time.Second) // the stream goes on; the broker queues for quantrac's session
	q.start()
	expectExactly(t, s, q, st.wait(t))
}

func TestFaultSIGTERMQuantrac(t *testing.T) {
	s := newServices(t, testenv.MosquittoOptions{Persistence: true, MaxInflight: 1000, MaxQueued: 1000000})
	q := startQuantrac(t, s.writeConfig(t, faultStations, ""))
	st := startStream(t, s, 1300, 250)
	afterReadings(t, q, 3000)
	began := time.Now()
	q.signal(syscall.SIGTERM)
	if took := time.Since(began); took > 20*time.Second {
		t.Errorf("SIGTERM took %v to exit", took)
	}
	if code := q.cmd.ProcessState.ExitCode(); code != 0 {
		t.Errorf("exit code after SIGTERM = %d, want 0", code)
	}
	q.start()
	expectExactly(t, s, q, st.wait(t))
}

func TestFaultMosquittoRestart(t *testing.T) {
	s := newServices(t, testenv.MosquittoOptions{Persistence: true, MaxInflight: 1000, MaxQueued: 1000000})
	q := startQuantrac(t, s.writeConfig(t, faultStations, ""))
	st := startStream(t, s, 1300, 250)
	afterReadings(t, q, 3000)
	s.broker.Restart()
	expectExactly(t, s, q, st.wait(t))
}

func TestFaultInfluxDown20s(t *testing.T) {
	s := newServices(t, testenv.MosquittoOptions{Persistence: true, MaxInflight: 1000, MaxQueued: 1000000})
	q := startQuantrac(t, s.writeConfig(t, faultStations, ""))
	st := startStream(t, s, 1300, 80)
	afterReadings(t, q, 1000)
	s.influx.Kill()
	testenv.Eventually(t, 20*time.Second, func() (bool, string) {
		v := q.metric("quantrac_spool_bytes")
		return v > 0, fmt.Sprintf("spool bytes %v", v)
	})
	// Rules and metrics keep working during the outage, and the accounting holds.
	before := q.metric("quantrac_readings_total")
	testenv.Eventually(t, 20*time.Second, func() (bool, string) {
		return q.metric("quantrac_readings_total") > before, "no readings accepted during the outage"
	})
	checkAccounting(t, q, 16*8)
	if v := q.metric(`quantrac_station_last_reading_timestamp_seconds{station="F-WW-01"}`); v == 0 {
		t.Error("rules stopped during the outage: no last reading time")
	}
	time.Sleep(15 * time.Second)
	s.influx.Start()
	want := st.wait(t)
	expectExactly(t, s, q, want)
	testenv.Eventually(t, time.Minute, func() (bool, string) {
		v := q.metric("quantrac_spool_bytes")
		return v == 0, fmt.Sprintf("spool bytes %v after the outage", v)
	})
}

// With InfluxDB down and a small spool, quantrac fills the spool and then stops
// acknowledging (the broker holds the rest); when InfluxDB is back everything lands.
func TestFaultSpoolFullBackpressure(t *testing.T) {
	s := newServices(t, testenv.MosquittoOptions{Persistence: true, MaxInflight: 1000, MaxQueued: 1000000})
	q := startQuantrac(t, s.writeConfig(t, faultStations, "spool: {dir: spool, max_bytes: 1MiB}\n"))
	s.influx.Kill()
	st := startStream(t, s, 30000, 0)
	want := st.wait(t)
	// The spool fills up to its limit, and quantrac stops taking messages: the broker holds
	// the rest in quantrac's persistent session.
	testenv.Eventually(t, time.Minute, func() (bool, string) {
		v := q.metric("quantrac_spool_bytes")
		return v >= 512<<10, fmt.Sprintf("spool bytes %v", v)
	})
	held := q.metric("quantrac_readings_total")
	time.Sleep(3 * time.Second)
	if got := q.metric("quantrac_readings_total"); got >= want || got > held+1000 {
		t.Fatalf("quantrac accepted %v readings (was %v) of %v with a full spool: no backpressure", got, held, want)
	}
	if v := q.metric("quantrac_spool_bytes"); v > 1<<20 {
		t.Errorf("spool bytes %v exceed spool.max_bytes", v)
	}
	s.influx.Start()
	expectExactly(t, s, q, want)
}

// Mosquitto's default in-flight window is 20 unacknowledged QoS 1 messages per client:
// batches must be written when nothing more is waiting, not wait for a batch_size the broker
// will never send. (The queue is large here: Mosquitto's default max_queued_messages of 1000
// drops messages for a consumer that falls behind a fast publisher — deploy/mosquitto.conf.)
func TestDefaultInflightWindow(t *testing.T) {
	s := newServices(t, testenv.MosquittoOptions{Persistence: true, MaxQueued: 1000000})
	q := startQuantrac(t, s.writeConfig(t, faultStations, ""))
	st := startStream(t, s, 1300, 0)
	expectExactly(t, s, q, st.wait(t))
}

// A clean stop (SIGTERM) once every message is durable leaves nothing for the broker to
// redeliver: quantrac restarted at once with the same persistent session receives nothing (the
// MQTT client waits for the broker to have its acknowledgements).
func TestFaultSIGTERMNoRedelivery(t *testing.T) {
	s := newServices(t, testenv.MosquittoOptions{Persistence: true, MaxInflight: 1000, MaxQueued: 1000000})
	q := startQuantrac(t, s.writeConfig(t, faultStations, ""))
	// No retained status messages: the broker sends those again on every SUBSCRIBE.
	want := startStream(t, s, 1300, 0, "-status=false").wait(t)
	testenv.Eventually(t, time.Minute, func() (bool, string) {
		durable := q.metric("quantrac_readings_durable_total")
		return durable == want, fmt.Sprintf("%v of %v readings durable", durable, want)
	})
	q.signal(syscall.SIGTERM)
	q.start()
	time.Sleep(3 * time.Second) // a redelivery arrives right after the session resumes
	if n := q.metric("quantrac_messages_received_total"); n != 0 {
		t.Errorf("restarted quantrac received %v messages after a clean stop with all %v readings durable", n, want)
	}
}
