package aqi

import (
	"math"
	"testing"
)

// decisionPM25 are the PM2.5 hourly means of Decision 1459 mục 2.3.a, most recent (20:00)
// first, back to 09:00. The Decision computes NowCast = 20.3 µg/m³ with w = 0.61.
var decisionPM25 = []float64{20.6, 19.6, 22.4, 20.3, 16.5, 19.0, 16.5, 19.5, 23.5, 20.5, 24.7, 26.9}

func TestNowCast(t *testing.T) {
	nan := math.NaN()
	for _, c := range []struct {
		name   string
		hourly []float64
		want   float64 // NaN: no NowCast
	}{
		// w* = 16.5/26.9 = 0.6134 > 1/2: w = w*. The Decision prints 20.3 (with w rounded to
		// 0.61 it gets 20.27); the exact weight gives 20.2658.
		{"Decision 1459 example", decisionPM25, 20.265765007236800},
		{"constant twelve hours", []float64{35.4, 35.4, 35.4, 35.4, 35.4, 35.4, 35.4, 35.4, 35.4, 35.4, 35.4, 35.4}, 35.4},
		// w* = 10/20 = 1/2: (10 + 20/2) / (1 + 1/2).
		{"two hours", []float64{10, 20}, 20 / 1.5},
		// w* = 10/40 < 1/2, so w = 1/2; c3 missing gets weight 0 and the rest is normalised:
		// (10 + 40/2 + 40/8) / (1 + 1/2 + 1/8) = 35/1.625. The Decision's literal w = 1/2 formula
		// (no division) would give 10/2 + 40/4 + 40/16 = 17.5.
		{"gap, w = 1/2, normalised", []float64{10, 40, nan, 40}, 35 / 1.625},
		// c1 missing: 2 of the 3 most recent present. w* = 0.8: (20·0.8 + 25·0.64)/(0.8 + 0.64).
		{"c1 missing", []float64{nan, 20, 25}, (20*0.8 + 25*0.64) / (0.8 + 0.64)},
		{"c2 missing", []float64{20, nan, 25}, (20 + 25*0.64) / (1 + 0.64)},
		{"c3 missing", []float64{20, 25, nan, 25}, (20 + 25*0.8 + 25*0.8*0.8*0.8) / (1 + 0.8 + 0.512)},
		{"c1 and c2 missing", []float64{nan, nan, 25, 25, 25}, nan},
		{"c1 and c3 missing", []float64{nan, 20, nan, 25}, nan},
		{"c2 and c3 missing", []float64{20, nan, nan, 25}, nan},
		{"one hour only", []float64{20}, nan},
		{"nothing", nil, nan},
		{"infinite counts as missing", []float64{20, math.Inf(1), nan, 20}, nan},
		// A thirteenth hour is ignored: constant 12 hours stay constant.
		{"thirteen hours", []float64{8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 500}, 8},
		// Only old hours differ: c12 = 4 sets w* = 0.5, weight 2^-11.
		{"c12 sets the weight", []float64{8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 4}, (8*(2-math.Pow(0.5, 10)) + 4*math.Pow(0.5, 11)) / (2 - math.Pow(0.5, 11))},
		{"zeros", []float64{0, 0, 0}, 0},
		{"zero and positive", []float64{0, 10}, 10 * 0.5 / 1.5},
	} {
		got, ok := NowCast(c.hourly)
		switch {
		case math.IsNaN(c.want):
			if ok {
				t.Errorf("%s: NowCast = %v, want none", c.name, got)
			}
		case !ok:
			t.Errorf("%s: no NowCast, want %v", c.name, c.want)
		case math.Abs(got-c.want) > 1e-12*max(1, c.want):
			t.Errorf("%s: NowCast = %.15g, want %.15g", c.name, got, c.want)
		}
	}
}

// TestNowCastDecisionExample: the printed NowCast (20.3) and AQI(PM2.5) = 41 of Decision 1459.
func TestNowCastDecisionExample(t *testing.T) {
	nc, ok := NowCast(decisionPM25)
	if !ok || math.Round(nc*10)/10 != 20.3 {
		t.Fatalf("NowCast = %v, %v; the Decision prints 20.3", nc, ok)
	}
	if v, err := SubIndex(VN, "pm25", "24h", nc); err != nil || Round(v) != 41 {
		t.Errorf("AQI(PM2.5) = %v, %v; the Decision prints 41", v, err)
	}
}

// TestConstantNowCastMatchesTable: twelve hours of constant PM give the same index as the table
// lookup of that concentration, in both schemes (an acceptance check).
func TestConstantNowCastMatchesTable(t *testing.T) {
	for _, s := range []Scheme{VN, US} {
		for _, p := range []string{"pm25", "pm10"} {
			for _, c := range []float64{0, 0.1, 9, 9.05, 9.1, 12.3, 25, 35.4, 35.45, 35.5, 50, 55.4, 55.5, 80,
				125.4, 125.5, 150, 225.4, 225.5, 250, 325.4, 325.5, 350, 420, 500, 604, 605, 700} {
				hours := make([]float64, 12)
				for i := range hours {
					hours[i] = c
				}
				nc, ok := NowCast(hours)
				want, err := SubIndex(s, p, "24h", c)
				if err != nil {
					t.Fatal(err)
				}
				got, err := SubIndex(s, p, "24h", nc)
				if !ok || err != nil || got != want {
					t.Errorf("%s %s %g: NowCast %v (%v) -> %v, %v; table %v", s, p, c, nc, ok, got, err, want)
				}
			}
		}
	}
}
