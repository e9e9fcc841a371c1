package daemon

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/quantrac/quantrac/config"
	"github.com/quantrac/quantrac/internal/testenv"
)

// stuckNO2 is a station's messages of NO2 at v every 5 minutes from t0 for n readings, an
// hour's backlog (a JSON array) per message.
func stuckNO2(t0 time.Time, n int, v float64) [][2]string {
	var msgs [][2]string
	var objs []string
	for i := range n {
		objs = append(objs, fmt.Sprintf(`{"time": %q, "readings": {"no2": %v}}`,
			t0.Add(time.Duration(i)*5*time.Minute).Format(time.RFC3339), v))
		if len(objs) == 12 || i == n-1 {
			msgs = append(msgs, [2]string{"stations/LC-AQ-01/air", "[" + strings.Join(objs, ",") + "]"})
			objs = nil
		}
	}
	return msgs
}

// qcSpans returns the rows of qc_spans.
func qcSpans(s *stack) []map[string]any {
	var rows []map[string]any
	for _, ser := range s.influx.Query("quantrac", `SELECT * FROM qc_spans`) {
		rows = append(rows, ser.Rows()...)
	}
	return rows
}

func describeSpans(rows []map[string]any) string {
	var b strings.Builder
	for _, r := range rows {
		fmt.Fprintf(&b, "%v %v %v–%v %q source=%v user=%v revoked_by=%v\n", r["station"], r["parameter"], r["from"], r["to"],
			r["reason"], r["source"], r["user"], r["revoked_by"])
	}
	return b.String()
}

// On real Mosquitto and InfluxDB with `qc: {flatline: 4h}`: a station whose NO2 is stuck at
// exactly 250 for 5 h gets an automatic flat-line span over the whole run in qc_spans
// (source auto, user auto, a reason naming the flat line); a late reading of another value
// 4 h 32 min into the run revokes it (revoked_by auto) and leaves the 4.5 h run before the
// late reading as a new span (the 25 minutes after it are too short).
func TestQCAutoFlatLineSpan(t *testing.T) {
	four := 4 * time.Hour
	judged := strings.Replace(testStations, "    interval: 5m\n", "    interval: 5m\n    regulations: [QCVN-05:2023]\n", 1)
	s := startStack(t, judged, func(c *configT) { c.QC = &config.QC{Flatline: &four} })
	t0 := time.Now().UTC().Truncate(time.Hour).Add(-8 * time.Hour)
	publishInOrder(t, s.broker.URL(), stuckNO2(t0, 61, 250))
	from, to := t0.Format(time.RFC3339), t0.Add(5*time.Hour).Format(time.RFC3339)
	var first map[string]any
	testenv.Eventually(t, 30*time.Second, func() (bool, string) {
		rows := qcSpans(s)
		if len(rows) != 1 || rows[0]["to"] != to {
			return false, "qc_spans:\n" + describeSpans(rows)
		}
		first = rows[0]
		return true, ""
	})
	if first["from"] != from || first["station"] != "LC-AQ-01" || first["parameter"] != "no2" || first["source"] != "auto" ||
		first["user"] != "auto" || first["action"] != "invalidate" || first["revoked_by"] != nil ||
		!strings.HasPrefix(first["reason"].(string), "flat line: 250 for 5h0m0s (61 readings)") {
		t.Fatalf("span %v, want LC-AQ-01 no2 %s–%s, auto, invalidate, a flat-line reason, active", first, from, to)
	}
	if n := s.influx.Count("quantrac", `SELECT count("no2") FROM air`); n != 61 {
		t.Errorf("%d readings in air, want all 61: a span invalidates, it removes nothing", n)
	}
	// The stuck hours at 250 (> 200) were exceedances while they came; the span found after 4 h
	// re-judges them: the record keeps none.
	testenv.Eventually(t, 30*time.Second, func() (bool, string) {
		all := s.influx.Count("quantrac", `SELECT count("value") FROM violations WHERE parameter = 'no2'`)
		started := s.influx.Count("quantrac", `SELECT count("value") FROM violations WHERE parameter = 'no2' AND state = 'started'`)
		return all > 0 && started == 0, fmt.Sprintf("%d no2 points in violations, %d of them started", all, started)
	})

	late := t0.Add(4*time.Hour + 32*time.Minute + 30*time.Second)
	publishInOrder(t, s.broker.URL(), [][2]string{{"stations/LC-AQ-01/air",
		fmt.Sprintf(`{"time": %q, "readings": {"no2": 41.5}}`, late.Format(time.RFC3339))}})
	shorter := t0.Add(4*time.Hour + 30*time.Minute).Format(time.RFC3339)
	testenv.Eventually(t, 30*time.Second, func() (bool, string) {
		rows := qcSpans(s)
		var revoked, active []map[string]any
		for _, r := range rows {
			if r["revoked_by"] != nil {
				revoked = append(revoked, r)
			} else {
				active = append(active, r)
			}
		}
		ok := len(revoked) == 1 && revoked[0]["id"] == first["id"] && revoked[0]["revoked_by"] == "auto" && revoked[0]["revoked_at"] != nil &&
			len(active) == 1 && active[0]["id"] != first["id"] && active[0]["from"] == from && active[0]["to"] == shorter &&
			strings.HasPrefix(active[0]["reason"].(string), "flat line: 250 for 4h30m0s")
		return ok, "qc_spans:\n" + describeSpans(rows)
	})
	metrics := s.get(t, "/metrics")
	for _, want := range []string{
		`quantrac_qc_auto_spans_total{change="created",check="flatline"} 2`,
		`quantrac_qc_auto_spans_total{change="revoked",check="flatline"} 1`,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}

// Without a qc section the checks do not run: the same stuck run is stored and no span is
// written.
func TestQCOffWithoutSection(t *testing.T) {
	s := startStack(t, testStations, nil)
	if s.d.qc != nil {
		t.Fatal("a runner without a qc section")
	}
	t0 := time.Now().UTC().Truncate(time.Hour).Add(-8 * time.Hour)
	publishInOrder(t, s.broker.URL(), stuckNO2(t0, 61, 250))
	testenv.Eventually(t, 30*time.Second, func() (bool, string) {
		n := s.influx.Count("quantrac", `SELECT count("no2") FROM air`)
		return n == 61, fmt.Sprintf("%d readings stored", n)
	})
	if rows := qcSpans(s); len(rows) != 0 {
		t.Errorf("spans written without a qc section:\n%s", describeSpans(rows))
	}
	if m := s.get(t, "/metrics"); strings.Contains(m, "quantrac_qc_auto") {
		t.Error("/metrics exports the automatic checks without a qc section")
	}
}
