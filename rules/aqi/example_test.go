package aqi_test

import (
	"fmt"
	"time"

	"github.com/quantrac/quantrac/rules/aqi"
)

// The NO2 value of Decision 1459's worked example: 59.35, index 59 (the Decision prints 60).
func ExampleSubIndex() {
	v, err := aqi.SubIndex(aqi.VN, "no2", "1h", 118.7)
	if err != nil {
		panic(err)
	}
	n := aqi.Round(v)
	c := aqi.CategoryOf(n)
	fmt.Printf("%.2f %d %s (%s) %s\n", v, n, c.NameVI, c.Name, c.Color)
	// Output: 59.35 59 Trung bình (Moderate) #FFFF00
}

// Hourly PM2.5 means, most recent first; NaN marks a missing hour.
func ExampleNowCast() {
	nc, ok := aqi.NowCast([]float64{20.6, 19.6, 22.4, 20.3, 16.5, 19.0, 16.5, 19.5, 23.5, 20.5, 24.7, 26.9})
	fmt.Printf("%.1f %v\n", nc, ok)
	// Output: 20.3 true
}

func ExampleTracker() {
	loc := time.FixedZone("ICT", 7*3600)
	t := aqi.NewTracker(loc)
	start := time.Date(2026, 11, 28, 0, 0, 0, 0, loc)
	for m := 0; m < 24*60; m += 5 { // a day of 5-minute readings
		at := start.Add(time.Duration(m) * time.Minute)
		t.Observe("pm25", at, 55.7)
		t.Observe("no2", at, 130.8)
	}
	h, _ := t.Hourly(aqi.VN, start.Add(24*time.Hour+3*time.Minute))
	d, _ := t.Daily(aqi.VN, start.Add(24*time.Hour+3*time.Minute))
	fmt.Println(h.Start.Format("15:04"), h.Value, h.Dominant, h.Sub)
	fmt.Println(d.Start.Format("2006-01-02"), d.Value, d.Category.NameVI, d.Sub)
	// Output:
	// 23:00 110 pm25 map[no2:65 pm25:110]
	// 2026-11-28 110 Kém map[no2:65 pm25:110]
}
