package e2e

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/quantrac/quantrac/internal/testenv"
)

// Cluster tests (README.md, "Scaling out"): real nats-server 2.15.3 nodes, InfluxDB, Mosquitto,
// `quantrac run` members, `quantrac relay` and stationsim processes.

// splitRegistry splits a registry YAML into two registries of alternate stations.
func splitRegistry(t *testing.T, yaml string) [2]string {
	t.Helper()
	head, body, ok := strings.Cut(yaml, "\n  - id:")
	if !ok {
		t.Fatalf("no stations in registry:\n%s", yaml)
	}
	out := [2]string{head, head}
	for i, st := range strings.Split(body, "\n  - id:") {
		out[i%2] += "\n  - id:" + st
	}
	return out
}

// partitionCounts returns quantrac_nats_partition_messages_total of each partition.
func partitionCounts(q *quantrac, partitions int) []float64 {
	body, _ := q.get("/metrics")
	out := make([]float64, partitions)
	for p := range out {
		out[p] = sumMetric(body, fmt.Sprintf(`quantrac_nats_partition_messages_total{partition="%d"}`, p))
	}
	return out
}

// pinWatch samples quantrac_nats_pinned of a member's instances and records any moment at
// which more than one was pinned for longer than an instance takes to notice that the pin
// moved: an instance refreshes the gauge from the consumer's state every 2 s, so when the
// server re-pins the member (its pinned instance died, or the consumer's leader moved) the
// old instance reports 1 for up to 2 s while the server already refuses its pulls. A double
// that outlasts pinLag is two instances consuming.
type pinWatch struct {
	mu     sync.Mutex
	both   []string
	stop   chan struct{}
	done   chan struct{}
	sample int
}

// pinLag is the longest an instance may report a pin it lost: the 2 s refresh of the gauge,
// its consumer-info request and a scrape, on a loaded machine.
const pinLag = 4 * time.Second

func watchPins(qs ...*quantrac) *pinWatch {
	w := &pinWatch{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(w.done)
		var since time.Time // the first sample of the current double, if any
		for {
			pinned := 0
			for _, q := range qs {
				pinned += int(q.metric("quantrac_nats_pinned"))
			}
			now := time.Now()
			w.mu.Lock()
			w.sample++
			switch {
			case pinned <= 1:
				since = time.Time{}
			case since.IsZero():
				since = now
			case now.Sub(since) > pinLag:
				w.both = append(w.both, fmt.Sprintf("%s (since %s)", now.Format(time.StampMilli), since.Format(time.StampMilli)))
			}
			w.mu.Unlock()
			select {
			case <-w.stop:
				return
			case <-time.After(300 * time.Millisecond):
			}
		}
	}()
	return w
}

func (w *pinWatch) end() (samples int, both []string) {
	close(w.stop)
	<-w.done
	return w.sample, w.both
}

func totalReadings(qs ...*quantrac) float64 {
	n := 0.0
	for _, q := range qs {
		n += q.metric("quantrac_readings_total")
	}
	return n
}

// The cluster's acceptance test: 20,000 QoS 1 readings from 200 stations, published over MQTT
// to two station-facing brokers whose relays forward to different nodes of a 3-node cluster,
// consumed by two members (m1 with a standby), while (a) a NATS node is SIGKILLed and restarted
// and (b) the pinned instance of m1 is SIGKILLed: InfluxDB holds exactly 20,000 points, the
// accounting identity holds on every instance, and each partition's messages are received by
// one instance at a time.
func TestClusterAcceptance(t *testing.T) {
	s := newNATSServices(t, 2)
	all := generatedStations(t, 200, 1)
	halves := splitRegistry(t, all)
	cfg := map[string]string{}
	for i, name := range []string{"m1a", "m1b", "m2a"} {
		cfg[name] = s.writeInstance(t, name, name[:2], i, all, "")
	}
	out := runCLI(t, "cluster", "init", "-config", cfg["m1a"], "-members", "m1,m2")
	if !strings.Contains(out, "members of quantrac: m1, m2") {
		t.Fatalf("cluster init: %s", out)
	}
	q := map[string]*quantrac{}
	for _, name := range []string{"m1a", "m1b", "m2a"} {
		q[name] = startCommand(t, "run", cfg[name])
	}
	for b := range 2 {
		startCommand(t, "relay", s.writeInstance(t, fmt.Sprintf("relay%d", b), "", b, all, ""))
	}
	pins := watchPins(q["m1a"], q["m1b"])
	var streams []*stream
	for b, half := range halves {
		file := filepath.Join(s.dir, fmt.Sprintf("half%d.yaml", b))
		write(t, file, half)
		streams = append(streams, streamTo(t, s.brokers[b], file, 10000, 200, 1, fmt.Sprintf("sim%d-", b)))
	}
	testenv.Eventually(t, 2*time.Minute, func() (bool, string) {
		n := totalReadings(q["m1a"], q["m1b"], q["m2a"])
		return n >= 3000, fmt.Sprintf("%v readings accepted", n)
	})
	// Steady state: every partition is received by exactly one instance, and the members'
	// partitions are disjoint.
	counts := map[string][]float64{}
	for name, qq := range q {
		counts[name] = partitionCounts(qq, 8)
	}
	for p := range 8 {
		var by []string
		for _, name := range []string{"m1a", "m1b", "m2a"} {
			if counts[name][p] > 0 {
				by = append(by, name)
			}
		}
		if len(by) != 1 {
			t.Errorf("partition %d received by %v before any fault, want exactly one instance", p, by)
		}
	}

	// (a) A NATS node dies and comes back.
	s.nats.Nodes[1].Kill()
	time.Sleep(3 * time.Second)
	s.nats.Nodes[1].Start()

	// (b) The pinned instance of m1 dies; its standby takes over.
	var pinned, standby string
	testenv.Eventually(t, time.Minute, func() (bool, string) {
		a, b := q["m1a"].metric("quantrac_nats_pinned"), q["m1b"].metric("quantrac_nats_pinned")
		switch {
		case a == 1 && b == 0:
			pinned, standby = "m1a", "m1b"
		case b == 1 && a == 0:
			pinned, standby = "m1b", "m1a"
		default:
			return false, fmt.Sprintf("m1 pinned: m1a=%v m1b=%v", a, b)
		}
		return true, ""
	})
	before := totalReadings(q["m1a"], q["m1b"], q["m2a"])
	q[pinned].signal(syscall.SIGKILL)
	t.Logf("killed %s, the pinned instance of m1, after %v readings; %s takes over", pinned, before, standby)

	want := 0.0
	for _, st := range streams {
		want += st.finish(t)
	}
	if want != 20000 {
		t.Fatalf("stationsim sent %v readings, want 20000", want)
	}
	testenv.Eventually(t, 3*time.Minute, func() (bool, string) {
		got := float64(countPoints(t, s.influx))
		return got == want, fmt.Sprintf("InfluxDB holds %v readings, want %v", got, want)
	})
	time.Sleep(2 * time.Second) // a late duplicate would show now
	if got := float64(countPoints(t, s.influx)); got != want {
		t.Fatalf("InfluxDB holds %v readings after settling, want %v", got, want)
	}
	samples, both := pins.end()
	if len(both) > 0 {
		t.Errorf("both instances of m1 were pinned at %v (of %d samples)", both, samples)
	}
	if v := q[standby].metric("quantrac_nats_partition_acquisitions_total"); v < 4 {
		t.Errorf("the standby acquired %v partitions, want m1's 4", v)
	}
	q[pinned].start() // back as the standby: its counters start from zero
	for _, name := range []string{standby, "m2a", pinned} {
		checkAccounting(t, q[name], 0)
		if p := q[name].metric("quantrac_readings_pending"); p != 0 {
			t.Errorf("%s: %v readings still pending", name, p)
		}
	}
	// m2's instance never received m1's partitions, nor m1's instances m2's.
	m2 := partitionCounts(q["m2a"], 8)
	m1 := partitionCounts(q[standby], 8)
	for p := range 8 {
		if m1[p] > 0 && m2[p] > 0 {
			t.Errorf("partition %d received by both members", p)
		}
	}
	t.Logf("readings per instance: %s %v (since restart), %s %v, m2a %v; redelivered to %s: %v",
		pinned, q[pinned].metric("quantrac_readings_total"), standby, q[standby].metric("quantrac_readings_total"),
		q["m2a"].metric("quantrac_readings_total"), standby, q[standby].metric("quantrac_nats_redeliveries_total"))
	out = runCLI(t, "cluster", "status", "-config", cfg["m1a"])
	t.Logf("quantrac cluster status:\n%s", out)
	if !strings.Contains(out, "m1") || !strings.Contains(out, "m2") || !slices.ContainsFunc(strings.Split(out, "\n"), func(l string) bool {
		return strings.HasPrefix(l, "stream QUANTRAC:")
	}) {
		t.Errorf("cluster status lacks the stream or the members:\n%s", out)
	}
}
