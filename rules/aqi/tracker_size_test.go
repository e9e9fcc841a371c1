package aqi

import (
	"testing"
	"time"
	"unsafe"
)

// A registered station that has not reported costs a few bytes of AQI state, and one that
// measures a pollutant costs that pollutant's ring only (a 200,000-station registry must not
// hold 1.2 GB of empty rings).
func TestTrackerRingsAllocatedWithTheirFirstReading(t *testing.T) {
	if size := unsafe.Sizeof(Tracker{}); size > 256 {
		t.Fatalf("an empty Tracker is %d bytes, want ≤ 256", size)
	}
	tr := NewTracker(time.UTC)
	for p := range tr.series {
		if tr.series[p] != nil {
			t.Fatalf("pollutant %d has a ring before any reading", p)
		}
	}
	tr.Observe("pm25", time.Date(2026, 11, 1, 10, 30, 0, 0, time.UTC), 30)
	rings := 0
	for p := range tr.series {
		if tr.series[p] != nil {
			rings++
		}
	}
	if rings != 1 {
		t.Fatalf("%d rings after one PM2.5 reading, want 1", rings)
	}
	if m, ok := tr.mean(pm25, tr.hourOf(time.Date(2026, 11, 1, 10, 30, 0, 0, time.UTC))); !ok || m != 30 {
		t.Fatalf("PM2.5 mean of the hour: %v, %v; want 30", m, ok)
	}
}
