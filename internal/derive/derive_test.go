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
