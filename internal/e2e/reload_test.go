package e2e

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/quantrac/quantrac/internal/testenv"
)

const reloadStations = `stations:
  - id: R-WW-01
    kind: wastewater
    location: {lat: 22.39, lon: 103.47}
    limits:
      - {parameter: cod, max: 75, unit: mg/L, period: 1h}
`

// A SIGHUP with a registry that does not validate — a regulation id with a typo — is refused
// exactly as `quantrac check` refuses it: the old registry stays, with the station's limits and
// its violation in progress, and the reload is counted as an error.
func TestReloadRefusedKeepsRegistryAndViolations(t *testing.T) {
	s := newServices(t, testenv.MosquittoOptions{Persistence: true})
	cfg := s.writeConfig(t, reloadStations, "")
	q := startQuantrac(t, cfg)
	end := time.Now().UTC().Add(-5 * time.Minute).Truncate(5 * time.Minute)
	publishAll(t, s.broker.URL(), "stations/R-WW-01/wastewater", backlog("cod", 200, "00", 36, end))
	violation := `quantrac_violation{force="binding",parameter="cod",period="1h",regulation="permit",station="R-WW-01"}`
	testenv.Eventually(t, 60*time.Second, func() (bool, string) {
		return q.metric(violation) == 1, fmt.Sprintf("%s = %v", violation, q.metric(violation))
	})

	write(t, filepath.Join(s.dir, "stations.yaml"), reloadStations+"    regulations: [QCVN-40:2011/Z]\n")
	out, err := exec.Command(bin.quantrac, "check", "-config", cfg).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "QCVN-40:2011/Z") {
		t.Fatalf("quantrac check accepted the typo: %v\n%s", err, out)
	}

	q.send(syscall.SIGHUP)
	testenv.Eventually(t, 30*time.Second, func() (bool, string) {
		n := q.metric(`quantrac_registry_reloads_total{result="error"}`)
		return n == 1, fmt.Sprintf("reload errors %v", n)
	})
	if n := q.metric(`quantrac_registry_reloads_total{result="success"}`); n != 0 {
		t.Errorf("the refused reload counted as a success (%v)", n)
	}
	if firstLineWith(tail(q.logPath, 200), "unknown regulation", "QCVN-40:2011/Z", "keeping the old registry") == "" {
		t.Errorf("quantrac's log does not give check's reason (%s):\n%s", out, tail(q.logPath, 20))
	}
	if got := q.metric(violation); got != 1 {
		t.Errorf("%s = %v after the refused reload, want the violation kept", violation, got)
	}
	if body, _ := q.get("/api/v1/violations"); !strings.Contains(body, `"station": "R-WW-01"`) {
		t.Errorf("the violation left /api/v1/violations:\n%s", body)
	}
	// The same file with the typo fixed loads.
	write(t, filepath.Join(s.dir, "stations.yaml"), reloadStations+"    regulations: [QCVN-40:2011/B]\n    coefficients: {kq: 0.9, kf: 1.0}\n")
	q.send(syscall.SIGHUP)
	testenv.Eventually(t, 30*time.Second, func() (bool, string) {
		n := q.metric(`quantrac_registry_reloads_total{result="success"}`)
		return n == 1, fmt.Sprintf("reload successes %v", n)
	})
	if got := q.metric(violation); got != 1 {
		t.Errorf("%s = %v after a good reload, want the violation kept", violation, got)
	}
}
