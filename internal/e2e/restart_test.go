package e2e

import (
	"fmt"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/quantrac/quantrac/internal/testenv"
)

const restartStations = `stations:
  - id: RS-AQ-01
    kind: air
    location: {lat: 22.39, lon: 103.45}
    regulations: [QCVN-05:2023]
`

// quantrac restarted while InfluxDB is down, with a violation active: it consumes nothing and
// says why until InfluxDB is back (the broker keeps the messages), then reports the violation
// again, and new breaching data does not record a second "started".
func TestFaultRestartWhileInfluxDownKeepsViolations(t *testing.T) {
	s := newServices(t, testenv.MosquittoOptions{Persistence: true})
	q := startQuantrac(t, s.writeConfig(t, restartStations, ""))
	ict, err := time.LoadLocation("Asia/Ho_Chi_Minh") // the station's default zone
	if err != nil {
		t.Fatal(err)
	}
	l := time.Now().In(ict)
	end := time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, ict) // yesterday's last reading: 24:00
	publishAll(t, s.broker.URL(), "stations/RS-AQ-01/air", backlog("pm25", 60, "00", 288, end))
	violation := `quantrac_violation{force="binding",parameter="pm25",period="24h",regulation="QCVN-05:2023",station="RS-AQ-01"}`
	testenv.Eventually(t, 60*time.Second, func() (bool, string) {
		return q.metric(violation) == 1, fmt.Sprintf("%s = %v", violation, q.metric(violation))
	})
	starts := func() int {
		return s.influx.Count("quantrac", `SELECT count(ratio) FROM violations WHERE station = 'RS-AQ-01' AND "parameter" = 'pm25' AND "period" = '24h' AND "state" = 'started'`)
	}
	testenv.Eventually(t, 30*time.Second, func() (bool, string) { return starts() == 1, fmt.Sprintf("%d starts", starts()) })

	q.signal(syscall.SIGTERM)
	s.influx.Kill()
	q.startNotReady()
	// Live data keeps breaching while InfluxDB is down; the broker holds it for quantrac.
	// (Up to an hour of it, never in the future: the test may run just after midnight.)
	live := min(max(int(time.Since(end)/(5*time.Minute)), 1), 12)
	publishAll(t, s.broker.URL(), "stations/RS-AQ-01/air", backlog("pm25", 60, "00", live, end.Add(time.Duration(live)*5*time.Minute)))
	testenv.Eventually(t, 30*time.Second, func() (bool, string) {
		body, code := q.get("/readyz")
		return code == http.StatusServiceUnavailable && strings.Contains(body, "rebuilding rule state") &&
			strings.Contains(tail(q.logPath, 50), "cannot rebuild rule state from InfluxDB"), fmt.Sprintf("readyz %d %s", code, body)
	})
	if got := q.metric(violation); got == 0 && strings.Contains(mustGet(t, q, "/metrics"), violation) {
		t.Errorf("%s = 0 while its state is not known: a false 'resolved'", violation)
	}
	if n := q.metric("quantrac_messages_received_total"); n != 0 {
		t.Errorf("%v messages consumed before the rule state was rebuilt", n)
	}

	s.influx.Start()
	testenv.Eventually(t, 60*time.Second, func() (bool, string) {
		body, code := q.get("/readyz")
		return code == http.StatusOK && q.metric(violation) == 1, fmt.Sprintf("readyz %d %s; %s = %v", code, body, violation, q.metric(violation))
	})
	testenv.Eventually(t, 30*time.Second, func() (bool, string) {
		n := s.influx.Count("quantrac", `SELECT count(pm25) FROM air WHERE station = 'RS-AQ-01'`)
		return n == 288+live, fmt.Sprintf("%d readings stored, want %d", n, 288+live)
	})
	if n := starts(); n != 1 {
		t.Errorf("%d violation starts recorded, want still 1", n)
	}
}

// mustGet returns the body of a GET.
func mustGet(t *testing.T, q *quantrac, path string) string {
	t.Helper()
	body, code := q.get(path)
	if code != http.StatusOK {
		t.Fatalf("GET %s: %d %s", path, code, body)
	}
	return body
}
