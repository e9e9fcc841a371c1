package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/quantrac/quantrac/internal/testenv"
)

// cpuSeconds is the user+system CPU time of the processes, from /proc/<pid>/stat (Linux).
func cpuSeconds(pids ...int) float64 {
	total := 0.0
	for _, pid := range pids {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			continue
		}
		f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+2:]))
		ut, _ := strconv.ParseFloat(f[11], 64)
		st, _ := strconv.ParseFloat(f[12], 64)
		total += (ut + st) / 100 // USER_HZ
	}
	return total
}

func natsPids(s *natsServices) []int {
	var pids []int
	for _, n := range s.nats.Nodes {
		pids = append(pids, n.Pid())
	}
	return pids
}

func pid(q *quantrac) int { return q.cmd.Process.Pid }

// BenchmarkClusterCatchUp measures, in one run on one machine: the ingress of the cluster
// path (stationsim → Mosquitto → relay → R3 stream), the catch-up of a backlog of the same
// messages by consumer groups of 1, 2 and 3 members (each a fresh group sourcing the whole
// stream), and the single-box catch-up of the same backlog from a Mosquitto session. CPU
// seconds per 1,000 messages are read from /proc for each process group. BENCHMARKS.md holds
// the results and the command:
//
//	go test -run '^$' -bench BenchmarkClusterCatchUp -benchtime 1x -timeout 30m ./internal/e2e
func BenchmarkClusterCatchUp(b *testing.B) {
	const stations, messages = 1000, 40000
	s := newNATSServices(b, 1)
	reg := generatedStations(b, stations, 1)
	regFile := filepath.Join(s.dir, "stations.yaml")
	write(b, regFile, reg)
	extra := func(group string) string { return "  group: " + group + "\n" }
	relayCfg := s.writeInstance(b, "relay", "", 0, reg, "")
	relay := startCommand(b, "relay", relayCfg)
	rows := []string{"| phase | messages | seconds | msg/s | CPU s per 1,000 msg (process group) |", "| --- | ---: | ---: | ---: | --- |"}
	row := func(phase string, n int, secs float64, cpu string) {
		rows = append(rows, fmt.Sprintf("| %s | %d | %.1f | %.0f | %s |", phase, n, secs, float64(n)/secs, cpu))
		b.ReportMetric(float64(n)/secs, strings.ReplaceAll(phase, " ", "_")+"_msg/s")
	}

	// Ingress: stations publish; the relay stores every message in the stream.
	cpu0 := [3]float64{cpuSeconds(s.brokers[0].Pid()), cpuSeconds(pid(relay)), cpuSeconds(natsPids(s)...)}
	start := time.Now()
	st := streamTo(b, s.brokers[0], regFile, messages, 0, 0, "bench")
	st.finish(b)
	want := uint64(messages + 2*stations) // and each station's online/offline status
	testenv.Eventually(b, 10*time.Minute, func() (bool, string) {
		n := streamMsgs(b, s, "QUANTRAC")
		return n >= want, fmt.Sprintf("%d of %d messages in the stream", n, want)
	})
	secs := time.Since(start).Seconds()
	k := 1000 / float64(want)
	row("ingress: stationsim → Mosquitto → relay → stream R3", int(want), secs, fmt.Sprintf("mosquitto %.2f, relay %.2f, 3 nats-server %.2f",
		(cpuSeconds(s.brokers[0].Pid())-cpu0[0])*k, (cpuSeconds(pid(relay))-cpu0[1])*k, (cpuSeconds(natsPids(s)...)-cpu0[2])*k))
	relay.signal(syscall.SIGTERM)

	for members := 1; members <= 3; members++ {
		group := fmt.Sprintf("bench%d", members)
		var names []string
		for m := range members {
			names = append(names, fmt.Sprintf("m%d", m+1))
		}
		cfg0 := s.writeInstance(b, group+"-init", "m1", 0, reg, extra(group))
		src0, srcStart := cpuSeconds(natsPids(s)...), time.Now()
		runCLI(b, "cluster", "init", "-config", cfg0, "-members", strings.Join(names, ","))
		testenv.Eventually(b, 10*time.Minute, func() (bool, string) {
			n := streamMsgs(b, s, "QUANTRAC-"+group)
			return n >= want, fmt.Sprintf("%d of %d messages sourced into the group's work queue", n, want)
		})
		if members == 1 {
			row("sourcing: stream → group work queue R3 (partition transform)", int(want), time.Since(srcStart).Seconds(),
				fmt.Sprintf("3 nats-server %.2f", (cpuSeconds(natsPids(s)...)-src0)*k))
		}
		var qs []*quantrac
		nats0 := cpuSeconds(natsPids(s)...)
		start := time.Now()
		for i, m := range names {
			qs = append(qs, startCommand(b, "run", s.writeInstance(b, group+"-"+m, m, i, reg, extra(group))))
		}
		testenv.Eventually(b, 10*time.Minute, func() (bool, string) {
			n := streamMsgs(b, s, "QUANTRAC-"+group)
			pending := 0.0
			for _, q := range qs {
				pending += q.metric("quantrac_readings_pending")
			}
			return n == 0 && pending == 0, fmt.Sprintf("%d messages left, %v readings pending", n, pending)
		})
		secs := time.Since(start).Seconds()
		qcpu := 0.0
		for _, q := range qs {
			qcpu += cpuSeconds(pid(q))
		}
		row(fmt.Sprintf("catch-up, %d member(s)", members), int(want), secs, fmt.Sprintf("quantrac %.2f, 3 nats-server %.2f", qcpu*k, (cpuSeconds(natsPids(s)...)-nats0)*k))
		for _, q := range qs {
			q.signal(syscall.SIGTERM)
		}
	}

	// Single box: the same backlog from quantrac's persistent Mosquitto session.
	single := s.writeInstance(b, "single", "", 0, reg, "")
	q := startCommand(b, "run", single)
	q.signal(syscall.SIGTERM)
	streamTo(b, s.brokers[0], regFile, messages, 0, 0, "bench2").finish(b)
	mosq0 := cpuSeconds(s.brokers[0].Pid())
	start = time.Now()
	q.start()
	testenv.Eventually(b, 10*time.Minute, func() (bool, string) {
		got := q.metric("quantrac_messages_received_total")
		return got >= float64(want) && q.metric("quantrac_readings_pending") == 0, fmt.Sprintf("%v of %d messages", got, want)
	})
	secs = time.Since(start).Seconds()
	row("catch-up, single box (Mosquitto session)", int(want), secs, fmt.Sprintf("quantrac %.2f, mosquitto %.2f", cpuSeconds(pid(q))*k, (cpuSeconds(s.brokers[0].Pid())-mosq0)*k))
	b.Logf("\n%s", strings.Join(rows, "\n"))
}

// streamMsgs is the number of messages in a stream, read from a node's monitoring endpoint.
func streamMsgs(tb testing.TB, s *natsServices, stream string) uint64 {
	tb.Helper()
	for _, n := range s.nats.Nodes {
		var jsz struct {
			Accounts []struct {
				Streams []struct {
					Name  string `json:"name"`
					State struct {
						Msgs uint64 `json:"messages"`
					} `json:"state"`
				} `json:"stream_detail"`
			} `json:"account_details"`
		}
		if err := testenv.GetJSON(n.MonitorURL()+"/jsz?streams=true", &jsz); err != nil {
			continue
		}
		for _, a := range jsz.Accounts {
			for _, st := range a.Streams {
				if st.Name == stream {
					return st.State.Msgs
				}
			}
		}
	}
	return 0
}
