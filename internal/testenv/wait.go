package testenv

import (
	"math/rand/v2"
	"net"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Polling intervals of Eventually and of the readiness checks: short first, so a fast
// service is seen at once, then longer, so a slow one is not hammered.
const (
	firstPoll = 10 * time.Millisecond
	maxPoll   = 250 * time.Millisecond
)

// Eventually calls cond until it reports true, and fails the test when timeout passes first,
// with the message cond returned last (say what was seen: "3 of 5 points"). It is the only
// way the integration tests wait: no bare sleeps.
func Eventually(tb testing.TB, timeout time.Duration, cond func() (ok bool, msg string)) {
	tb.Helper()
	deadline := time.Now().Add(timeout)
	wait := firstPoll
	for {
		ok, msg := cond()
		if ok {
			return
		}
		if !time.Now().Before(deadline) {
			tb.Fatalf("testenv: condition not met within %v: %s", timeout, msg)
		}
		time.Sleep(min(wait, time.Until(deadline)))
		wait = min(2*wait, maxPoll)
	}
}

// FreePort returns a TCP port on 127.0.0.1 that nothing listened on a moment ago.
func FreePort(tb testing.TB) int {
	tb.Helper()
	return freePorts(tb, 1)[0]
}

// freePorts returns n distinct free ports: all listeners stay open until every port is known,
// so the same port cannot be handed out twice.
//
// The ports are drawn below the kernel's ephemeral range (ip_local_port_range), not from it:
// a port the kernel hands out for ":0" can be taken, before the service the test starts binds
// it, as the local port of any outgoing connection (a NATS client, a scrape) — influxd, which
// takes seconds to listen, failed with "address already in use" that way.
func freePorts(tb testing.TB, n int) []int {
	tb.Helper()
	lo, hi := servicePortRange()
	ports := make([]int, 0, n)
	for tries := 0; len(ports) < n; tries++ {
		addr := "127.0.0.1:0"
		if hi > lo && tries < 1000 {
			addr = loopback(lo + rand.IntN(hi-lo))
		}
		l, err := net.Listen("tcp", addr)
		if err != nil {
			if tries < 1000 {
				continue // taken: draw another
			}
			tb.Fatalf("testenv: free port: %v", err)
		}
		defer l.Close()
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports
}

// servicePortRange is where freePorts draws ports: [10000, the first ephemeral port), or an
// empty range (then ":0") when the ephemeral range is unknown or starts too low.
func servicePortRange() (lo, hi int) {
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err != nil {
		return 0, 0
	}
	f := strings.Fields(string(b))
	if len(f) != 2 {
		return 0, 0
	}
	first, err := strconv.Atoi(f[0])
	if err != nil || first < 12000 {
		return 0, 0
	}
	return 10000, first
}

// dialable is a readiness check: nil once addr accepts TCP connections.
func dialable(addr string) error {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return err
	}
	return c.Close()
}
