package daemon

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/quantrac/quantrac/internal/testenv"
)

const backfillStation = `stations:
  - id: BF-AQ-01
    kind: air
    location: {lat: 22.39, lon: 103.45}
    regulations: [EU-2008/50]
`

// A backfill — a day of readings older than the hours the engine holds — is judged from
// InfluxDB once stored: the station is rebuilt, and the day counts among the year's
// exceedances of EU 2008/50's PM10 daily limit (50 µg/m³, 35 days allowed).
func TestBackfillRecomputedFromInfluxDB(t *testing.T) {
	s := startStackTuned(t, backfillStation, nil, func(d *Daemon) { d.staleEvery = 300 * time.Millisecond })
	ict, err := time.LoadLocation("Asia/Ho_Chi_Minh")
	if err != nil {
		t.Fatal(err)
	}
	l := time.Now().In(ict)
	today := time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, ict)
	day := func(end time.Time, pm10 float64) map[string]string {
		msgs := map[string]string{}
		var b strings.Builder
		b.WriteString("[")
		for i := 287; i >= 0; i-- {
			if i < 287 {
				b.WriteString(",")
			}
			fmt.Fprintf(&b, `{"time": %q, "readings": {"pm10": %v}}`, end.Add(-time.Duration(i)*5*time.Minute).Format(time.RFC3339), pm10)
		}
		b.WriteString("]")
		msgs["stations/BF-AQ-01/air"] = b.String()
		return msgs
	}
	exceedances := `quantrac_exceedances{force="reference",parameter="pm10",period="24h",regulation="EU-2008/50",station="BF-AQ-01"}`
	publish(t, s.broker.URL(), day(today, 20)) // yesterday: within the limit
	testenv.Eventually(t, 30*time.Second, func() (bool, string) {
		v, ok := metricValue(s.get(t, "/metrics"), exceedances)
		return ok && v == 0, fmt.Sprintf("%s = %v (exported %v)", exceedances, v, ok)
	})
	backfilled := today.AddDate(0, 0, -3) // the end of the day four days ago
	publish(t, s.broker.URL(), day(backfilled, 80))
	testenv.Eventually(t, 30*time.Second, func() (bool, string) {
		return len(s.d.engine.Pending()) == 0 && s.influx.Count("quantrac", `SELECT count(pm10) FROM air`) == 2*288,
			fmt.Sprintf("stale stations %v", s.d.engine.Pending())
	})
	if backfilled.Add(-time.Hour).Year() != today.Year() {
		return // early January: the backfilled day belongs to last year's count, not exported
	}
	testenv.Eventually(t, 30*time.Second, func() (bool, string) {
		v, _ := metricValue(s.get(t, "/metrics"), exceedances)
		return v == 1, fmt.Sprintf("%s = %v, want the backfilled day counted", exceedances, v)
	})
}

// metricValue returns the value of the sample whose name and labels are exactly series.
func metricValue(body, series string) (float64, bool) {
	for _, line := range strings.Split(body, "\n") {
		if rest, ok := strings.CutPrefix(line, series+" "); ok {
			var v float64
			_, err := fmt.Sscan(rest, &v)
			return v, err == nil
		}
	}
	return 0, false
}

// A stale mark journaled before its message's acknowledgement survives a crash (no final
// saveStale): the next process marks the station stale again; its next saveStale takes the
// journal into the file and empties it.
func TestStaleJournalSurvivesACrash(t *testing.T) {
	s := startStack(t, testStations, nil)
	s.stop()
	open := func() *Daemon {
		d, err := New(s.cfg, Options{WebListenAddress: "127.0.0.1:0", Version: "test"})
		if err != nil {
			t.Fatal(err)
		}
		if err := d.engine.Rebuild(t.Context(), nil, time.Now()); err != nil {
			t.Fatal(err)
		}
		return d
	}
	since := time.Now().Add(-30 * time.Hour).UTC().Truncate(time.Second)
	d := open()
	d.engine.MarkStale("LC-AQ-01", since)
	m, ok := d.engine.StaleMark("LC-AQ-01")
	if !ok {
		t.Fatal("not marked")
	}
	d.journalStale(m)
	d.close() // a crash: no saveStale

	d = open()
	defer d.close()
	d.loadStale()
	if m, ok := d.engine.StaleMark("LC-AQ-01"); !ok || !m.Since.Equal(since) {
		t.Fatalf("after the crash: %+v %v, want stale since %v", m, ok, since)
	}
	d.staleJournaled = true // as the journal holds marks
	d.saveStale()
	journal, _ := os.ReadFile(filepath.Join(s.cfg.Spool.Dir, staleJournal))
	file, _ := os.ReadFile(filepath.Join(s.cfg.Spool.Dir, staleFile))
	if len(journal) != 0 || !strings.HasPrefix(string(file), "LC-AQ-01 "+since.Format(time.RFC3339Nano)) {
		t.Errorf("after saveStale: journal %q, file %q", journal, file)
	}
}
