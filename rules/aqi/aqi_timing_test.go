package aqi

import (
	"testing"
	"time"
)

func BenchmarkSubIndex(b *testing.B) {
	b.Run("vn/pm25", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			if _, err := SubIndex(VN, "pm25", "24h", float64(i%600)); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("us/so2 (ppb conversion)", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			if _, err := SubIndex(US, "so2", "1h", float64(i%700)); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkNowCast(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := NowCast(decisionPM25); !ok {
			b.Fatal("no NowCast")
		}
	}
}

func BenchmarkTrackerObserve(b *testing.B) {
	tr := NewTracker(ict)
	start := time.Date(2026, 11, 28, 0, 0, 0, 0, ict)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		tr.Observe("pm25", start.Add(time.Duration(i)*5*time.Second), 35)
	}
}

func BenchmarkTrackerHourlyDaily(b *testing.B) {
	tr := NewTracker(ict)
	for h := -7; h < 48; h++ {
		for _, p := range []string{"pm25", "pm10", "o3", "no2", "so2", "co"} {
			feedHour(tr, p, at(h, 0), 40)
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := tr.Hourly(VN, at(47, 5)); !ok {
			b.Fatal("no hourly index")
		}
		if _, ok := tr.Daily(US, at(47, 5)); !ok {
			b.Fatal("no daily index")
		}
	}
}
