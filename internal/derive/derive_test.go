package derive

import (
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/quantrac/quantrac"
	"github.com/quantrac/quantrac/rules"
	"github.com/quantrac/quantrac/store"
)

func TestAQIEmittedPerCompletedHourAndDay(t *testing.T) {
	st := &quantrac.Station{ID: "A1", Kind: quantrac.Air, AQI: []string{"vn", "us"}, Timezone: "Asia/Ho_Chi_Minh"}
	reg, err := quantrac.NewRegistry(st)
	if err != nil {
		t.Fatal(err)
	}
	cat, err := rules.LoadCatalog()
	if err != nil {
		t.Fatal(err)
	}
	end := time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC) // 16:00 local
	d := New(rules.NewEngine(cat, reg, func() time.Time { return end }), reg, func() time.Time { return end })
	var lines []byte
	for i := 54 * 12; i >= 0; i-- {
		e := &quantrac.Envelope{Station: st, Readings: []quantrac.Reading{{Station: "A1", Kind: quantrac.Air, Param: "pm25", Value: 35.5, Time: end.Add(-time.Duration(i) * 5 * time.Minute), Status: "00"}}}
		d.Observe(e)
		e.Readings = nil // only what was derived
		lines, _ = store.AppendEnvelope(lines, e)
	}
	text := string(lines)
	if !strings.Contains(text, "aqi,period=1h,scheme=vn,station=A1 aqi=71i") || !strings.Contains(text, "aqi,period=24h,scheme=us,station=A1 aqi=101i") {
		t.Errorf("derived points lack the expected indices:\n%.2000s", text)
	}
	// 54 hours → 53 completed hourly indices per scheme and 1 complete local day.
	if hourly := strings.Count(text, "period=1h,scheme=vn"); hourly < 50 {
		t.Errorf("%d hourly vn points", hourly)
	}
	if daily := strings.Count(text, "period=24h,scheme=vn"); daily != 1 {
		t.Errorf("%d daily vn points, want 1 (the first day is partial)", daily)
	}
	want := `
# HELP quantrac_aqi Current air-quality index: period 1h is the hourly index (NowCast for PM), 24h the daily index of the last complete day.
# TYPE quantrac_aqi gauge
quantrac_aqi{period="1h",scheme="us",station="A1"} 101
quantrac_aqi{period="1h",scheme="vn",station="A1"} 71
quantrac_aqi{period="24h",scheme="us",station="A1"} 101
quantrac_aqi{period="24h",scheme="vn",station="A1"} 71
`
	if err := testutil.CollectAndCompare(d.Collector(), strings.NewReader(want), "quantrac_aqi"); err != nil {
		t.Error(err)
	}
}

// TestStaleMarkKeptBeforeAck: a message that makes its station stale (a reading for an hour
// already closed) is acknowledged only after the marks are kept; others do not wait for it.
func TestStaleMarkKeptBeforeAck(t *testing.T) {
	st := &quantrac.Station{ID: "A1", Kind: quantrac.Air, Interval: 5 * time.Minute, Regulations: []string{"QCVN-05:2023"}}
	reg, err := quantrac.NewRegistry(st)
	if err != nil {
		t.Fatal(err)
	}
	cat, err := rules.LoadCatalog()
	if err != nil {
		t.Fatal(err)
	}
	end := time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)
	engine := rules.NewEngine(cat, reg, func() time.Time { return end })
	if err := engine.Rebuild(t.Context(), nil, end); err != nil {
		t.Fatal(err)
	}
	d := New(engine, reg, func() time.Time { return end })
	var order []string
	d.KeepStale = func(m rules.StaleMark) { order = append(order, "kept "+m.Station) }
	send := func(at time.Time) {
		e := &quantrac.Envelope{Station: st, Readings: []quantrac.Reading{{Station: "A1", Kind: quantrac.Air, Param: "no2", Value: 50, Time: at, Status: "00"}},
			Ack: func() { order = append(order, "ack "+at.Format("15:04")) }}
		d.Observe(e)
		e.Ack()
	}
	send(end.Add(-2 * time.Hour))
	send(end)                        // closes the hours before
	send(end.Add(-90 * time.Minute)) // late: its hour is closed
	send(end.Add(-85 * time.Minute)) // the station is already stale from before it
	if got, want := strings.Join(order, ", "), "ack 07:00, ack 09:00, kept A1, ack 07:30, ack 07:35"; got != want {
		t.Errorf("order %q, want %q", got, want)
	}
}
