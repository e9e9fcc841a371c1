package e2e

import (
	"fmt"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/quantrac/quantrac/internal/testenv"
)

// The fault tests of faults_test.go against the cluster: one member, one instance, stations
// publishing to a Mosquitto whose relay forwards to the cluster; each streams 10,400 QoS 1
// readings, injects a fault mid-stream and expects exactly that many points in InfluxDB.
func TestClusterFaults(t *testing.T) {
	for _, tc := range []struct {
		name  string
		rate  int
		spool string
		fault func(t *testing.T, s *natsServices, q *quantrac)
	}{
		{"kill9-quantrac", 250, "", func(t *testing.T, _ *natsServices, q *quantrac) {
			afterReadings(t, q, 3000)
			q.signal(syscall.SIGKILL)
			time.Sleep(2 * time.Second) // the stream goes on; the cluster keeps the member's messages
			q.start()
		}},
		{"sigterm-quantrac", 250, "", func(t *testing.T, _ *natsServices, q *quantrac) {
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
		}},
		{"nats-rolling-kill9", 250, "", func(t *testing.T, s *natsServices, q *quantrac) {
			afterReadings(t, q, 2000)
			for _, n := range s.nats.Nodes { // every node dies and comes back, one at a time
				n.Kill()
				time.Sleep(time.Second)
				n.Start()
			}
		}},
		{"influx-down-20s", 80, "", func(t *testing.T, s *natsServices, q *quantrac) {
			afterReadings(t, q, 1000)
			s.influx.Kill()
			testenv.Eventually(t, 20*time.Second, func() (bool, string) {
				v := q.metric("quantrac_spool_bytes")
				return v > 0, fmt.Sprintf("spool bytes %v", v)
			})
			checkAccounting(t, q, 16*8)
			time.Sleep(15 * time.Second)
			s.influx.Start()
		}},
		{"spool-full-backpressure", 0, "spool: {dir: spool, max_bytes: 1MiB}\n", func(t *testing.T, s *natsServices, q *quantrac) {
			s.influx.Kill()
			testenv.Eventually(t, time.Minute, func() (bool, string) {
				v := q.metric("quantrac_spool_bytes")
				return v >= 512<<10, fmt.Sprintf("spool bytes %v", v)
			})
			// quantrac stops taking messages once max_inflight (20,000) are unacknowledged:
			// its count stops, and the cluster holds the rest (consumer lag).
			prev := -1.0
			testenv.Eventually(t, time.Minute, func() (bool, string) {
				got := q.metric("quantrac_readings_total")
				stable := got == prev
				prev = got
				time.Sleep(2 * time.Second)
				return stable, fmt.Sprintf("%v readings accepted and counting", got)
			})
			if ack := q.metric("quantrac_nats_consumer_ack_pending_messages"); ack > 20000 {
				t.Errorf("%v messages unacknowledged, above max_inflight", ack)
			}
			testenv.Eventually(t, 10*time.Second, func() (bool, string) {
				lag := q.metric("quantrac_nats_consumer_pending_messages")
				return lag > 0, "no consumer lag while quantrac holds back: the cluster is not keeping the rest"
			})
			s.influx.Start()
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newNATSServices(t, 1)
			cfg := s.writeInstance(t, "m1", "m1", 0, faultStations, tc.spool)
			startCommand(t, "relay", s.writeInstance(t, "relay", "", 0, faultStations, ""))
			q := startCommand(t, "run", cfg)
			file := filepath.Join(s.dir, "stations.yaml")
			write(t, file, faultStations)
			count := 1300
			if tc.rate == 0 {
				count = 30000 // enough to fill a 1 MiB spool
			}
			st := streamTo(t, s.brokers[0], file, count, tc.rate, 8, "faultsim")
			tc.fault(t, s, q)
			want := st.finish(t)
			testenv.Eventually(t, 3*time.Minute, func() (bool, string) {
				got := float64(countPoints(t, s.influx))
				return got == want, fmt.Sprintf("InfluxDB holds %v readings, want %v (spooled %v)", got, want, q.metric("quantrac_spool_bytes"))
			})
			time.Sleep(time.Second)
			if got := float64(countPoints(t, s.influx)); got != want {
				t.Fatalf("InfluxDB holds %v readings after settling, want %v", got, want)
			}
			checkAccounting(t, q, 0)
		})
	}
}
