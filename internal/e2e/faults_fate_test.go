package e2e

import (
	"bytes"
	"fmt"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/quantrac/quantrac/internal/testenv"
)

// Fault tests of a message's fate (store.decide): refused data whose quarantine cannot be
// written is held, not acknowledged; a spool replay cut short by SIGTERM confirms nothing it
// did not write. Each asserts the exact count stored and the accounting identity.

const refusedStations = `stations:
  - id: F-AQ-01
    kind: air
    location: {lat: 22.39, lon: 103.47}
  - id: F-WW-01
    kind: wastewater
    location: {lat: 22.40, lon: 103.48}
`

// InfluxDB refuses every point of one station's messages (HTTP 400: its cod field is a string
// in every shard the stream touches) while rejected_messages is unwritable (its payload field
// an integer): nothing of that station is acknowledged — its readings stay pending — and the
// other station's data flows. Once rejected_messages is writable again, every message of the
// refused station is quarantined and acknowledged, and the accounting holds.
func TestFaultRefusedWhileQuarantineUnwritable(t *testing.T) {
	s := newServices(t, testenv.MosquittoOptions{Persistence: true, MaxInflight: 20000, MaxQueued: 1000000})
	const msgs = 1400
	start := time.Now().Add(-msgs * time.Minute).UTC().Truncate(time.Minute)
	var conflicts strings.Builder
	for ts := start.Add(-time.Hour); ts.Before(time.Now().Add(time.Hour)); ts = ts.Add(6 * time.Hour) {
		fmt.Fprintf(&conflicts, "wastewater,station=conflict cod=\"text\" %d\n", ts.UnixNano())
	}
	fmt.Fprintf(&conflicts, "rejected_messages,reason=conflict payload=1i %d\n", time.Now().UnixNano())
	s.influx.Write("quantrac/autogen", conflicts.String())

	q := startQuantrac(t, s.writeConfig(t, refusedStations, ""))
	// msgs messages in all, half of each station. No calibration flags: a flagged reading goes
	// to {kind}_flagged, so a flagged cod would escape the conflict (and that message be
	// durable), and a flagged pm25 would be missing from the air count below — which messages
	// stationsim flags depends on the hour the test runs.
	st := startStreamN(t, s, msgs, 0, start, "-calibrate", "0")
	sent := st.waitSent(t)["readings"]
	var held float64
	testenv.Eventually(t, time.Minute, func() (bool, string) {
		accepted, durable, pending := q.metric("quantrac_readings_total{"), q.metric("quantrac_readings_durable_total"), q.metric("quantrac_readings_pending")
		air := s.influx.Count("quantrac", `SELECT count(pm25) FROM air WHERE station = 'F-AQ-01'`)
		held = pending
		return accepted == sent && air == msgs/2 && pending > 0 && durable+pending == sent,
			fmt.Sprintf("%v of %v readings accepted, %v durable, %v pending, %d air messages stored", accepted, sent, durable, pending, air)
	})
	// InfluxDB keeps the good points of a refused batch (a partial write) before quantrac has
	// written them again alone and acknowledged them: wait until the pending count settles.
	testenv.Eventually(t, 30*time.Second, func() (bool, string) {
		before := q.metric("quantrac_readings_pending")
		time.Sleep(2 * time.Second) // several retries of the held messages
		held = q.metric("quantrac_readings_pending")
		return held == before && held > 0, fmt.Sprintf("pending readings %v then %v", before, held)
	})
	if n := s.influx.Count("quantrac", `SELECT count(cod) FROM wastewater WHERE station = 'F-WW-01'`); n != 0 {
		t.Errorf("%d refused points of F-WW-01 stored", n)
	}
	if got := q.metric("quantrac_readings_quarantined_total"); got != 0 {
		t.Errorf("%v readings counted quarantined while the quarantine is unwritable", got)
	}
	checkAccounting(t, q, 0)
	if got := q.metric("quantrac_readings_pending"); got != held {
		t.Errorf("pending readings %v, want still %v: held messages were acknowledged", got, held)
	}

	s.influx.Query("quantrac", "DROP MEASUREMENT rejected_messages")
	testenv.Eventually(t, time.Minute, func() (bool, string) {
		p := q.metric("quantrac_readings_pending")
		return p == 0, fmt.Sprintf("pending readings %v", p)
	})
	if got := q.metric("quantrac_readings_quarantined_total"); got != held {
		t.Errorf("quarantined readings %v, want the %v held", got, held)
	}
	// One quarantine entry per held message, each holding its message.
	entries := s.influx.Count("quantrac", `SELECT count(payload) FROM rejected_messages WHERE reason = 'write_rejected' AND station = 'F-WW-01'`)
	if float64(entries) < held/8 || entries > msgs/2 {
		t.Errorf("%d quarantine entries for %v held readings (8 per message)", entries, held)
	}
	if n := s.influx.Count("quantrac", `SELECT count(cod) FROM wastewater WHERE station = 'F-WW-01'`); n != 0 {
		t.Errorf("%d refused points of F-WW-01 stored", n)
	}
	checkAccounting(t, q, 0)
}

// SIGTERM in the middle of a spool replay that goes line by line (InfluxDB refused the
// records as a whole), then a restart: every spooled point reaches InfluxDB. The refusal and
// the slow lines come from a fault proxy in front of the real InfluxDB.
func TestFaultSIGTERMDuringSpoolReplay(t *testing.T) {
	s := newServices(t, testenv.MosquittoOptions{Persistence: true, MaxInflight: 1000, MaxQueued: 1000000})
	proxy := testenv.NewFaultProxy(t, s.influx.URL())
	proxy.Intercept(func(w http.ResponseWriter, r *http.Request, _ []byte) bool {
		if r.URL.Path != "/api/v2/write" {
			return false
		}
		http.Error(w, `{"code":"unavailable","message":"down"}`, http.StatusServiceUnavailable)
		return true
	})
	cfg := s.writeConfig(t, faultStations, "influx: {url: "+proxy.URL()+", batch_size: 100, flush_interval: 200ms}\n")
	q := startQuantrac(t, cfg)
	st := startStream(t, s, 1300, 0)
	want := st.wait(t)
	testenv.Eventually(t, time.Minute, func() (bool, string) {
		d := q.metric("quantrac_readings_durable_total")
		return d == want, fmt.Sprintf("%v of %v readings durable (spooled)", d, want)
	})
	// InfluxDB "back", but refusing every record as a whole, and slow: line by line it goes.
	proxy.Intercept(func(w http.ResponseWriter, r *http.Request, body []byte) bool {
		if r.URL.Path != "/api/v2/write" {
			return false
		}
		if bytes.Count(body, []byte("\n")) > 1 {
			http.Error(w, `{"code":"invalid","message":"partial write: field type conflict"}`, http.StatusBadRequest)
			return true
		}
		time.Sleep(5 * time.Millisecond)
		return false
	})
	testenv.Eventually(t, time.Minute, func() (bool, string) {
		n := countPoints(t, s.influx)
		return n > 800, fmt.Sprintf("%d readings replayed", n)
	})
	q.signal(syscall.SIGTERM)
	if code := q.cmd.ProcessState.ExitCode(); code != 0 {
		t.Errorf("exit code after SIGTERM = %d, want 0", code)
	}
	if n := float64(countPoints(t, s.influx)); n >= want {
		t.Fatalf("the replay finished before SIGTERM (%v readings): the test proves nothing", n)
	}
	proxy.Intercept(nil)
	q.start()
	expectExactly(t, s, q, want)
	testenv.Eventually(t, 30*time.Second, func() (bool, string) {
		v := q.metric("quantrac_spool_bytes")
		return v == 0, fmt.Sprintf("spool bytes %v", v)
	})
	if n := s.influx.Count("quantrac", `SELECT count(payload) FROM rejected_messages`); n != 0 {
		t.Errorf("%d quarantine entries: nothing was refused for real", n)
	}
}
