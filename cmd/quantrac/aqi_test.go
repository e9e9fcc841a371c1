package main

import (
	"bytes"
	"strings"
	"testing"
)

// TestAQICommand runs `quantrac aqi` as a script would: index on the first line, category on
// the second, exit 0; exit 1 when no index is defined; exit 2 for wrong flags, with one line on
// stderr.
func TestAQICommand(t *testing.T) {
	for _, c := range []struct {
		name   string
		args   string
		code   int
		stdout string // exact, for code 0
		stderr string // substring, for code != 0
	}{
		// Decision 1459 mục 2.3: NO2 118.7 µg/m³ -> 59.35 -> 59 (the Decision prints 60).
		{"vn no2", "-scheme vn -param no2 -value 118.7 -period 1h", 0, "59\nTrung bình (Moderate)\n", ""},
		{"vn pm25 daily", "-scheme vn -param PM2.5 -value 55.7 -period 24h", 0, "110\nKém (Unhealthy for Sensitive Groups)\n", ""},
		{"vn o3 8h", "-scheme vn -param o3 -value 89.3 -period 8h", 0, "45\nTốt (Good)\n", ""},
		{"vn above the scale", "-scheme vn -param pm25 -value 900 -period 24h", 0, "500\nNguy hại (Hazardous)\n", ""},
		{"us pm25", "-scheme us -param pm25 -value 55.5 -period 24h", 0, "151\nUnhealthy\n", ""},
		{"us pm25 truncated", "-scheme us -param pm25 -value 35.49 -period 24h", 0, "100\nModerate\n", ""},
		{"us above the scale", "-scheme us -param pm25 -value 425.4 -period 24h", 0, "699\nHazardous\n", ""},
		// Units: ppb -> µg/m³ -> ppb for the US table; ppb -> µg/m³ for VN_AQI.
		{"us so2 ppb", "-scheme us -param so2 -unit ppb -value 75 -period 1h", 0, "100\nModerate\n", ""},
		{"us o3 ppm", "-scheme us -param o3 -unit ppm -value 0.071 -period 8h", 0, "101\nUnhealthy for Sensitive Groups\n", ""},
		{"us co ppm", "-scheme us -param co -unit ppm -value 9.4 -period 8h", 0, "100\nModerate\n", ""},
		{"us co mg/m3", "-scheme us -param co -unit mg/m3 -value 10.77 -period 8h", 0, "100\nModerate\n", ""},
		// 53.15 ppb NO2 = 100.02 µg/m³ -> 50.01 -> 50; 200 ppb = 376.4 µg/m³ -> 100 + 50 × 176.4/500 = 117.6.
		{"vn no2 ppb", "-scheme vn -param no2 -unit ppb -value 200 -period 1h", 0, "118\nKém (Unhealthy for Sensitive Groups)\n", ""},
		{"vn co mg/m3", "-scheme vn -param co -unit mg/m³ -value 30 -period 1h", 0, "100\nTrung bình (Moderate)\n", ""},
		// NowCast: the Decision's example gives 20.27 -> 41 (VN); US truncates to 20.2 -> 72.
		{"vn nowcast", "-scheme vn -param pm25 -hourly 20.6,19.6,22.4,20.3,16.5,19.0,16.5,19.5,23.5,20.5,24.7,26.9", 0, "41\nTốt (Good)\n", ""},
		{"us nowcast", "-scheme us -param pm25 -hourly 20.6,19.6,22.4,20.3,16.5,19.0,16.5,19.5,23.5,20.5,24.7,26.9", 0, "72\nModerate\n", ""},
		{"nowcast c1 missing", "-scheme us -param pm10 -hourly -,60,60", 0, "53\nModerate\n", ""},
		{"nowcast constant", "-scheme us -param pm25 -hourly 35.5,35.5,35.5,35.5,35.5,35.5,35.5,35.5,35.5,35.5,35.5,35.5", 0, "101\nUnhealthy for Sensitive Groups\n", ""},

		// No index defined: exit 1.
		{"nowcast 1 of 3", "-scheme vn -param pm25 -hourly 20,-,-,20,20", 1, "", "fewer than 2 of the 3 most recent hours"},
		{"us o3 8h above 0.200", "-scheme us -param o3 -unit ppm -value 0.25 -period 8h", 1, "", "no index defined"},
		{"us o3 1h below 0.125", "-scheme us -param o3 -unit ppm -value 0.1 -period 1h", 1, "", "no index defined"},
		{"us so2 1h from 305 ppb", "-scheme us -param so2 -unit ppb -value 305 -period 1h", 1, "", "no index defined"},
		{"vn o3 8h above 400", "-scheme vn -param o3 -value 401 -period 8h", 1, "", "no index defined"},
		{"no period for the param", "-scheme vn -param pm25 -value 20 -period 1h", 1, "", "periods: 24h"},
		{"not an AQI pollutant", "-scheme vn -param tsp -value 20 -period 24h", 1, "", "no index for"},

		// Wrong flags: exit 2.
		{"no scheme", "-param pm25 -value 20 -period 24h", 2, "", "-scheme"},
		{"bad scheme", "-scheme eu -param pm25 -value 20 -period 24h", 2, "", "want vn or us"},
		{"unknown param", "-scheme vn -param xyz -value 20 -period 24h", 2, "", "unknown parameter"},
		{"value and hourly", "-scheme vn -param pm25 -value 20 -period 24h -hourly 1,2", 2, "", "either"},
		{"neither", "-scheme vn -param pm25", 2, "", "either"},
		{"value without period", "-scheme vn -param pm25 -value 20", 2, "", "needs -period"},
		{"hourly with period", "-scheme vn -param pm25 -hourly 1,2 -period 1h", 2, "", "does not apply"},
		{"hourly for a gas", "-scheme vn -param no2 -hourly 1,2", 2, "", "pm25 and pm10"},
		{"thirteen hours", "-scheme vn -param pm25 -hourly 1,1,1,1,1,1,1,1,1,1,1,1,1", 2, "", "at most 12"},
		{"bad hourly value", "-scheme vn -param pm25 -hourly 1,x,1", 2, "", "c2"},
		{"bad value", "-scheme vn -param pm25 -value abc -period 24h", 2, "", "not a number"},
		{"NaN value", "-scheme vn -param pm25 -value NaN -period 24h", 2, "", "not a number"},
		{"unknown unit", "-scheme vn -param so2 -unit furlongs -value 20 -period 1h", 2, "", "unknown unit"},
		{"ppb for PM", "-scheme vn -param pm25 -unit ppb -value 20 -period 24h", 2, "", "unknown unit"},
		{"unknown flag", "-scheme vn -bogus", 2, "", "bogus"},
		{"extra argument", "-scheme vn -param pm25 -value 20 -period 24h extra", 2, "", "unexpected argument"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := aqiCommand(strings.Fields(c.args), &stdout, &stderr)
			if code != c.code {
				t.Fatalf("exit %d, want %d; stdout %q stderr %q", code, c.code, stdout.String(), stderr.String())
			}
			if c.code == 0 {
				if stdout.String() != c.stdout || stderr.Len() != 0 {
					t.Errorf("stdout %q stderr %q; want stdout %q", stdout.String(), stderr.String(), c.stdout)
				}
				return
			}
			if stdout.Len() != 0 {
				t.Errorf("stdout %q on failure", stdout.String())
			}
			msg := stderr.String()
			if strings.Count(msg, "\n") != 1 || !strings.HasSuffix(msg, "\n") || !strings.Contains(msg, c.stderr) {
				t.Errorf("stderr %q: want one line containing %q", msg, c.stderr)
			}
		})
	}
}

func TestAQICommandHelp(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := aqiCommand([]string{"-h"}, &stdout, &stderr); code != 0 {
		t.Fatalf("-h: exit %d", code)
	}
	for _, flag := range []string{"-scheme", "-param", "-unit", "-value", "-period", "-hourly"} {
		if !strings.Contains(stdout.String(), flag) {
			t.Errorf("usage does not mention %s:\n%s", flag, stdout.String())
		}
	}
}
