package daemon

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/quantrac/quantrac/internal/testenv"
)

// qcSpanLine is a span as the store of spans writes it in qc_spans (point time created_at).
func qcSpanLine(station, id, param string, from, to, created time.Time, revoked bool) string {
	rfc := func(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }
	line := fmt.Sprintf(`qc_spans,parameter=%s,source=user,station=%s id=%q,from=%q,to=%q,action="invalidate",reason="analyser fault",user="inspector",created_at=%q`,
		param, station, id, rfc(from), rfc(to), rfc(created))
	if revoked {
		line += fmt.Sprintf(`,revoked_by="inspector",revoked_at=%q`, rfc(time.Now()))
	}
	return fmt.Sprintf("%s %d\n", line, created.UnixNano())
}

// A span written to qc_spans by another instance takes its readings out of every verdict
// within a tick or two: three hours of NO2 at 300 (1-h limit 200) raise an exceedance; an
// invalidate span over them withdraws it and the latest closed hour has no valid reading; a
// reading arriving live inside the span is stored but counts in nothing; revoking the span
// brings the exceedance back with the same value, and the live reading with it. Every reading
// stays in InfluxDB throughout.
func TestSpansRejudgeTheStation(t *testing.T) {
	s := startStackTuned(t, "stations:\n  - {id: QN, kind: air, regulations: [QCVN-05:2023]}\n", nil, func(d *Daemon) {
		d.engine.SetCloseDelay(3 * time.Second) // the latest closed hour is the last whole hour
	})
	ict, err := time.LoadLocation("Asia/Ho_Chi_Minh")
	if err != nil {
		t.Fatal(err)
	}
	if now := time.Now(); now.Truncate(time.Hour).Add(time.Hour).Sub(now) < 90*time.Second {
		time.Sleep(time.Hour - now.Sub(now.Truncate(time.Hour)) + time.Second) // not across an hour
	}
	h := time.Now().In(ict).Truncate(time.Hour) // the latest closed hour ends at h
	rs := series(h.Add(-4*time.Hour+5*time.Minute), 5*time.Minute, 48, func(i int) map[string]float64 {
		if i < 12 {
			return map[string]float64{"no2": 50}
		}
		return map[string]float64{"no2": 300}
	})
	sendEach(t, s.broker.URL(), "stations/QN/air", rs)
	quiet(t, s, 48)
	exceedance := []evRecord{{"no2", "1h", "started", h.Add(-2 * time.Hour), 300, 1, 12}}
	expectRecord(t, "before the span", storedRecord(t, s.influx, "QN"), exceedance)
	expectLatest(t, "before the span", s, "QN", "no2", "1h", latestPeriod{State: "exceeded", Value: 300, Coverage: 1, Count: 12, WindowEnd: h})

	created := time.Now()
	span := func(revoked bool) string {
		return qcSpanLine("QN", "qn-1", "no2", h.Add(-3*time.Hour+time.Second), h, created, revoked)
	}
	s.influx.Write("quantrac/autogen", span(false))
	start := time.Now()
	testenv.Eventually(t, 10*time.Second, func() (bool, string) {
		got := storedRecord(t, s.influx, "QN")
		return len(got) == 0, fmt.Sprintf("record %v, want the exceedance withdrawn", got)
	})
	t.Logf("exceedance withdrawn %v after the span was stored", time.Since(start).Round(time.Millisecond))
	if n := s.influx.Count("quantrac", `SELECT count("value") FROM "violations" WHERE "station" = 'QN' AND "state" = 'withdrawn'`); n != 1 {
		t.Errorf("%d withdrawn points, want the start overwritten as withdrawn", n)
	}
	testenv.Eventually(t, 10*time.Second, func() (bool, string) {
		got, _ := limitOf(t, s, "QN", "no2", "1h")
		return got.State == "no_data" && got.Count == 0, fmt.Sprintf("latest closed hour %+v, want no valid reading", got)
	})

	// A reading arriving live inside the span is stored and counts in nothing.
	sendEach(t, s.broker.URL(), "stations/QN/air", []reading{{h.Add(-150 * time.Second), map[string]float64{"no2": 400}}})
	quiet(t, s, 49)
	expectRecord(t, "a live reading inside the span", storedRecord(t, s.influx, "QN"), nil)
	if got, _ := limitOf(t, s, "QN", "no2", "1h"); got.Count != 0 || got.State == "exceeded" {
		t.Errorf("latest closed hour %+v after a reading inside the span, want no valid reading", got)
	}

	expectSeriesHour(t, s, h, 0, 13)
	qn := oracleStation{id: "QN", kind: "air", limits: []oracleLimit{{"no2", "QCVN-05:2023", "1h", 200}}}
	if diff, _ := s.compareStation(t, qn, &oracle{loc: ict, interval: 5 * time.Minute, closeAt: h}); len(diff) > 0 {
		t.Errorf("with the span, the engine and the evaluator differ:\n%s", strings.Join(diff, "\n"))
	}

	s.influx.Write("quantrac/autogen", span(true))
	testenv.Eventually(t, 10*time.Second, func() (bool, string) {
		got := storedRecord(t, s.influx, "QN")
		ok := len(got) == 1 && got[0].State == "started" && got[0].End.Equal(exceedance[0].End) && got[0].Value == 300
		return ok, fmt.Sprintf("record %v after the revocation, want %v", got, exceedance)
	})
	testenv.Eventually(t, 10*time.Second, func() (bool, string) {
		got, _ := limitOf(t, s, "QN", "no2", "1h")
		return got.Count == 13 && near(got.Value, (12*300+400)/13.0), fmt.Sprintf("latest closed hour %+v, want 13 readings with the live one", got)
	})
	if n := s.influx.Count("quantrac", `SELECT count("no2") FROM "air" WHERE "station" = 'QN'`); n != 49 {
		t.Errorf("%d NO2 readings stored, want all 49", n)
	}
	expectSeriesHour(t, s, h, 13, 0)
}

// expectSeriesHour checks the valid and invalid readings the series document of QN's NO2
// gives the hour ending at end (the spans here are an inspector's: every invalid reading is
// the user's).
func expectSeriesHour(t *testing.T, s *stack, end time.Time, valid, invalid int) {
	t.Helper()
	var doc struct {
		Hours []struct {
			Time    time.Time `json:"time"`
			Valid   int       `json:"valid_readings"`
			Invalid int       `json:"invalid_readings"`
			ByUser  int       `json:"invalid_by_user"`
			Mean    *float64  `json:"mean"`
		} `json:"hours"`
	}
	path := "/api/v1/stations/QN/series?parameter=no2&to=" + url.QueryEscape(end.Format(time.RFC3339))
	if err := json.Unmarshal([]byte(s.get(t, path)), &doc); err != nil {
		t.Fatal(err)
	}
	for _, h := range doc.Hours {
		if h.Time.Equal(end) {
			if h.Valid != valid || h.Invalid != invalid || h.ByUser != invalid || (valid == 0) != (h.Mean == nil) {
				t.Errorf("series hour ending %s: %d valid, %d invalid (%d by the inspector), mean %v; want %d valid, %d invalid",
					end, h.Valid, h.Invalid, h.ByUser, h.Mean, valid, invalid)
			}
			return
		}
	}
	t.Errorf("series without the hour ending %s", end)
}
