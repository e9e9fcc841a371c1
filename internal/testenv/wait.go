package testenv

import (
	"net"
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
// so the kernel cannot hand out the same port twice.
func freePorts(tb testing.TB, n int) []int {
	tb.Helper()
	ports := make([]int, 0, n)
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			tb.Fatalf("testenv: free port: %v", err)
		}
		defer l.Close()
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports
}

// dialable is a readiness check: nil once addr accepts TCP connections.
func dialable(addr string) error {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return err
	}
	return c.Close()
}
