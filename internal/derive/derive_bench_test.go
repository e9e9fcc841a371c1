package derive

import (
	"testing"
	"time"

	"github.com/quantrac/quantrac"
	"github.com/quantrac/quantrac/rules"
)

// BenchmarkObserveLive is the AQI side of the hot path: one live message of six pollutant
// readings every five minutes for a station with aqi [vn, us], a day of data held first.
func BenchmarkObserveLive(b *testing.B) {
	st := &quantrac.Station{ID: "A1", Kind: quantrac.Air, AQI: []string{"vn", "us"}, Timezone: "Asia/Ho_Chi_Minh"}
	reg, err := quantrac.NewRegistry(st)
	if err != nil {
		b.Fatal(err)
	}
	t0 := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	d := New(rules.NewEngine(&rules.Catalog{}, reg, func() time.Time { return t0 }), reg, func() time.Time { return t0 })
	params := []string{"pm25", "pm10", "o3", "no2", "so2", "co"}
	msg := func(i int) *quantrac.Envelope {
		e := &quantrac.Envelope{Station: st, Readings: make([]quantrac.Reading, len(params))}
		for j, p := range params {
			e.Readings[j] = quantrac.Reading{Station: "A1", Kind: quantrac.Air, Param: p, Value: float64(20 + i%7 + j), Time: t0.Add(time.Duration(i) * 5 * time.Minute), Status: "00"}
		}
		return e
	}
	i := 0
	for ; i < 288; i++ {
		d.Observe(msg(i))
	}
	e := msg(i)
	b.ReportAllocs()
	for b.Loop() {
		for j := range e.Readings {
			e.Readings[j].Time = t0.Add(time.Duration(i) * 5 * time.Minute)
		}
		e.Indices = e.Indices[:0]
		d.Observe(e)
		i++
	}
}
