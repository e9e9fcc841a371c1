package e2e

import (
	"encoding/json"
	"fmt"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/quantrac/quantrac/internal/testenv"
)

const replayStations = `stations:
  - id: RP-WW-DIRECT
    kind: wastewater
    location: {lat: 22.39, lon: 103.47}
`

// the stations added after their messages were quarantined as unknown_station.
const replayAdded = `  - id: RP-WW-LATE
    kind: wastewater
    location: {lat: 22.39, lon: 103.47}
    limits:
      - {parameter: cod, max: 75, unit: mg/L, period: 1h}
  - id: RP-WW-1258
    kind: wastewater
    location: {lat: 22.39, lon: 103.47}
`

// Messages of stations that were not registered when they arrived are quarantined; once the
// stations are added (SIGHUP) `quantrac replay` republishes them and the running quantrac
// ingests them like live data: the violation hidden in them is raised, and a Windows-1258
// data line gives exactly the readings of the same bytes sent directly. A second replay adds
// nothing.
func TestReplayRaisesHiddenViolationWithExactBytes(t *testing.T) {
	s := newServices(t, testenv.MosquittoOptions{Persistence: true})
	cfg := s.writeConfig(t, replayStations, "")
	q := startQuantrac(t, cfg)
	end := time.Now().UTC().Add(-5 * time.Minute).Truncate(5 * time.Minute)
	late := backlog("cod", 200, "00", 36, end)
	publishAll(t, s.broker.URL(), "stations/RP-WW-LATE/wastewater", late)
	local := end.In(time.FixedZone("ICT", 7*3600)).Format("20060102150405")
	line1258 := []byte("Nhi\xea\xf2t \xf0\xf4\xf2\t25,6\t\xb0C\t" + local + "\t00\r\nCOD\t80,5\tmg/L\t" + local + "\t00\r\n")
	publishAll(t, s.broker.URL(), "stations/RP-WW-1258/wastewater", []string{string(line1258)})
	publishAll(t, s.broker.URL(), "stations/RP-WW-DIRECT/wastewater", []string{string(line1258)})
	quarantined := len(late) + 1
	testenv.Eventually(t, 30*time.Second, func() (bool, string) {
		n := s.influx.Count("quantrac", `SELECT count(payload) FROM rejected_messages WHERE reason = 'unknown_station'`)
		return n == quarantined, fmt.Sprintf("%d of %d quarantined", n, quarantined)
	})

	write(t, filepath.Join(s.dir, "stations.yaml"), replayStations+replayAdded)
	q.send(syscall.SIGHUP)
	testenv.Eventually(t, 30*time.Second, func() (bool, string) {
		n := q.metric(`quantrac_registry_reloads_total{result="success"}`)
		return n == 1, fmt.Sprintf("reloads %v", n)
	})
	violation := `quantrac_violation{force="binding",parameter="cod",period="1h",regulation="permit",station="RP-WW-LATE"}`
	for round := 1; round <= 2; round++ {
		out, err := exec.Command(bin.quantrac, "replay", "-config", cfg, "-since", "1h", "-reason", "unknown_station").Output()
		if err != nil {
			t.Fatalf("replay: %v %s", err, out)
		}
		var rep struct{ Quarantined, Republished int }
		if err := json.Unmarshal(out, &rep); err != nil {
			t.Fatalf("replay output %q: %v", out, err)
		}
		if rep.Quarantined != quarantined || rep.Republished != quarantined {
			t.Errorf("round %d: replay report %+v, want %d quarantined and republished", round, rep, quarantined)
		}
		testenv.Eventually(t, 30*time.Second, func() (bool, string) {
			n := s.influx.Count("quantrac", `SELECT count(cod) FROM wastewater WHERE station = 'RP-WW-LATE'`)
			return n == 36 && q.metric(violation) == 1, fmt.Sprintf("round %d: %d cod points, %s = %v", round, n, violation, q.metric(violation))
		})
	}
	if n := s.influx.Count("quantrac", `SELECT count(value) FROM violations WHERE station = 'RP-WW-LATE' AND "state" = 'started'`); n != 1 {
		t.Errorf("%d violation starts stored for the replayed station, want 1", n)
	}
	if n := s.influx.Count("quantrac", `SELECT count(payload) FROM rejected_messages`); n != quarantined {
		t.Errorf("%d quarantine entries after replaying, want the original %d", n, quarantined)
	}
	direct, replayed := readingsOf(t, s, "RP-WW-DIRECT"), readingsOf(t, s, "RP-WW-1258")
	if direct == "" || direct != replayed || !strings.Contains(direct, "temp=25.6") {
		t.Errorf("the replayed Windows-1258 line gives %q, the same line sent directly %q", replayed, direct)
	}
}

// readingsOf lists a station's stored readings as sorted "param=value@time" text.
func readingsOf(t *testing.T, s *services, station string) string {
	t.Helper()
	var out []string
	for _, sr := range s.influx.Query("quantrac", fmt.Sprintf(`SELECT * FROM wastewater WHERE station = '%s'`, station)) {
		for _, row := range sr.Rows() {
			for k, v := range row {
				if k != "time" && k != "station" && v != nil {
					out = append(out, fmt.Sprintf("%s=%v@%v", k, v, row["time"]))
				}
			}
		}
	}
	sort.Strings(out)
	return strings.Join(out, " ")
}
