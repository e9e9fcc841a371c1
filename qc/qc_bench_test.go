package qc

import (
	"math"
	"testing"
)

// A day of 5-minute readings of one station's PM2.5, PM10 and NO2 (288 each), with a flat
// run, a spike and a sentinel: what the daemon checks when a reading arrives, if it
// recomputes the station's day.
func BenchmarkStationDay(b *testing.B) {
	day := func(scale float64) []Reading {
		vals := make([]float64, 288)
		for i := range vals {
			vals[i] = math.Round(scale*(40+20*math.Sin(float64(i)/20))*10) / 10
		}
		for i := 100; i < 160; i++ {
			vals[i] = 55.5
		}
		vals[200], vals[250] = 900, 9999
		return series(vals...)
	}
	in := map[string][]Reading{"pm25": day(1), "pm10": day(1.6), "no2": day(2)}
	c := New(Defaults())
	if n := len(c.Station("S", step, in)); n == 0 {
		b.Fatal("no spans")
	}
	b.ReportAllocs()
	for b.Loop() {
		c.Station("S", step, in)
	}
}
