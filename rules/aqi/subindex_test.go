package aqi

import (
	"bufio"
	"errors"
	"math"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/quantrac/quantrac/param"
)

// edgeCase is one row of testdata/{vn,us}_edges.tsv, written by testdata/gen_edges.py, an
// independent implementation with exact rational arithmetic.
type edgeCase struct {
	line                int
	param, period, unit string
	conc                float64
	text, note          string
	want                float64 // NaN: no index
	wantInt             int
}

func readEdges(t *testing.T, file string) []edgeCase {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []edgeCase
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		if strings.HasPrefix(sc.Text(), "#") || sc.Text() == "" {
			continue
		}
		col := strings.Split(sc.Text(), "\t")
		if len(col) != 7 {
			t.Fatalf("%s:%d: %d columns", file, n, len(col))
		}
		c := edgeCase{line: n, param: col[0], period: col[1], unit: col[2], text: col[3], note: col[6],
			want: math.NaN(), wantInt: -1}
		if c.conc, err = strconv.ParseFloat(col[3], 64); err != nil {
			t.Fatalf("%s:%d: %v", file, n, err)
		}
		if col[4] != "none" {
			if c.want, err = strconv.ParseFloat(col[4], 64); err != nil {
				t.Fatalf("%s:%d: %v", file, n, err)
			}
			if c.wantInt, err = strconv.Atoi(col[5]); err != nil {
				t.Fatalf("%s:%d: %v", file, n, err)
			}
		}
		out = append(out, c)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// ugm3 converts a concentration in a table's unit to µg/m³ at 25 °C: µg/m³ = ppb × M / 24.45
// (the EPA's conversion at 25 °C), with this test's own molar masses.
func toUgm3(t *testing.T, p, unit string, c float64) float64 {
	t.Helper()
	molar := map[string]float64{"no2": 46.01, "so2": 64.07, "o3": 48.00, "co": 28.01}
	switch unit {
	case "ug/m3":
		return c
	case "ppb":
		return c * molar[p] / 24.45
	case "ppm":
		return c * 1000 * molar[p] / 24.45
	}
	t.Fatalf("unit %q", unit)
	return 0
}

// TestSubIndexEdges checks every breakpoint of both tables at, just below and just above the
// edge, the truncation of US concentrations, and values beyond the ends of each column.
func TestSubIndexEdges(t *testing.T) {
	for _, tc := range []struct {
		scheme Scheme
		file   string
		rows   int // guards against a truncated data file
	}{
		{VN, "testdata/vn_edges.tsv", 150},
		{US, "testdata/us_edges.tsv", 200},
	} {
		cases := readEdges(t, tc.file)
		if len(cases) < tc.rows {
			t.Fatalf("%s: %d cases, want at least %d", tc.file, len(cases), tc.rows)
		}
		for _, c := range cases {
			conc := toUgm3(t, c.param, c.unit, c.conc)
			got, err := SubIndex(tc.scheme, c.param, c.period, conc)
			where := tc.file + ":" + strconv.Itoa(c.line) + ": " + c.param + " " + c.period + " " + c.text + " " + c.unit + " (" + c.note + ")"
			if math.IsNaN(c.want) {
				if !errors.Is(err, ErrNoIndex) {
					t.Errorf("%s: got %v, %v; want ErrNoIndex", where, got, err)
				}
				continue
			}
			if err != nil {
				t.Errorf("%s: %v", where, err)
				continue
			}
			if math.Abs(got-c.want) > 1e-9*max(1, c.want) {
				t.Errorf("%s: sub-index %.12g, want %.12g", where, got, c.want)
			}
			if Round(got) != c.wantInt {
				t.Errorf("%s: AQI %d, want %d", where, Round(got), c.wantInt)
			}
		}
	}
}

// TestDecisionExample reproduces the worked example of Decision 1459/QĐ-TCMT mục 2.3 b and c.
// The Decision prints AQI(NO2) = 60 for 118.7 µg/m³; (118.7 − 100) × 50/100 + 50 = 59.35, which
// rounds to 59 (an arithmetic slip in the Decision), so AQIʰ is 59.
func TestDecisionExample(t *testing.T) {
	for _, c := range []struct {
		name          string
		param, period string
		conc          float64
		want          int
	}{
		{"hourly O3", "o3", "1h", 136.1, 43},
		{"hourly NO2 (printed 60)", "no2", "1h", 118.7, 59},
		{"hourly PM2.5 NowCast", "pm25", "24h", 20.3, 41},
		{"daily O3 8h", "o3", "8h", 89.3, 45},
		{"daily O3 1h", "o3", "1h", 114.6, 36},
		{"daily NO2", "no2", "1h", 130.8, 65},
		{"daily PM2.5", "pm25", "24h", 55.7, 110}, // 109.5 rounds half-up
	} {
		v, err := SubIndex(VN, c.param, c.period, c.conc)
		if err != nil || Round(v) != c.want {
			t.Errorf("%s: %s %s %g -> %v (%d), %v; want %d", c.name, c.param, c.period, c.conc, v, Round(v), err, c.want)
		}
	}
	no2, _ := SubIndex(VN, "no2", "1h", 118.7)
	if math.Abs(no2-59.35) > 1e-9 {
		t.Errorf("NO2 118.7 µg/m³: %v, want 59.35", no2)
	}
}

// TestGasConversion checks that gases in µg/m³ are converted to ppb or ppm at 25 °C before the
// US lookup (µg/m³ = ppb × M / 24.45; M: NO2 46.01, SO2 64.07, O3 48.00, CO 28.01), and that
// VN_AQI uses µg/m³ as given.
func TestGasConversion(t *testing.T) {
	for _, c := range []struct {
		scheme        Scheme
		param, period string
		ugm3          float64
		want          int
		why           string
	}{
		{US, "no2", "1h", 188.18, 100, "100.00 ppb"},
		{US, "no2", "1h", 188.17, 99, "99.995 ppb truncates to 99"},
		{US, "so2", "1h", 196.54, 100, "75.00 ppb"},
		{US, "so2", "1h", 196.52, 99, "74.99 ppb truncates to 74"},
		{US, "o3", "8h", 137.43, 100, "0.07000 ppm"},
		{US, "o3", "8h", 137.40, 97, "0.06999 ppm truncates to 0.069"},
		{US, "o3", "1h", 245.40, 101, "0.1250 ppm"},
		{US, "co", "8h", 10768.7, 100, "9.4000 ppm"},
		{US, "co", "8h", 10768.6, 99, "9.39999 ppm truncates to 9.3"},
		{VN, "co", "1h", 10000, 50, "VN CO in µg/m³"},
		{VN, "no2", "1h", 188.18, 94, "VN is not converted: 188.18 µg/m³"},
	} {
		v, err := SubIndex(c.scheme, c.param, c.period, c.ugm3)
		if err != nil || Round(v) != c.want {
			t.Errorf("%s %s %s %g µg/m³ (%s): %v (%d), %v; want %d", c.scheme, c.param, c.period, c.ugm3, c.why, v, Round(v), err, c.want)
		}
	}
	// Round trip through package param: a value in ppb converted to µg/m³ indexes as the ppb value.
	for _, c := range []struct {
		param, period, unit string
		v                   float64
		want                int
	}{
		{"so2", "1h", "ppb", 75, 100}, {"so2", "1h", "ppb", 76, 101}, {"no2", "1h", "ppb", 100, 100},
		{"no2", "1h", "ppb", 101, 101}, {"o3", "8h", "ppm", 0.070, 100}, {"o3", "8h", "ppm", 0.071, 101},
		{"co", "8h", "ppm", 9.4, 100}, {"co", "8h", "ppm", 9.5, 101}, {"so2", "24h", "ppb", 305, 201},
	} {
		p, _ := param.Lookup(c.param)
		ug, err := p.ToCanonical(c.v, c.unit)
		if err != nil {
			t.Fatal(err)
		}
		v, err := SubIndex(US, c.param, c.period, ug)
		if err != nil || Round(v) != c.want {
			t.Errorf("US %s %s %g %s: %v, %v; want %d", c.param, c.period, c.v, c.unit, Round(v), err, c.want)
		}
	}
}

// TestSubIndexErrors: combinations without an index report ErrNoIndex.
func TestSubIndexErrors(t *testing.T) {
	for _, c := range []struct {
		scheme        Scheme
		param, period string
		conc          float64
	}{
		{"eu", "pm25", "24h", 10},
		{VN, "tsp", "24h", 10},
		{VN, "pm25", "1h", 10}, // PM is indexed on 24 h means or the NowCast (passed as 24h)
		{VN, "so2", "24h", 10},
		{VN, "o3", "24h", 10},
		{US, "co", "1h", 10},
		{US, "pm10", "8h", 10},
		{US, "no2", "24h", 10},
		{VN, "pm25", "24h", math.NaN()},
		{US, "pm25", "24h", math.Inf(1)},
		{VN, "o3", "8h", 400.001},        // mục 2.2.2.b: no 8 h index above 400 µg/m³
		{US, "o3", "8h", 0.201 * 1963.2}, // 8 h O3 defines no AQI above 300
		{US, "o3", "1h", 0.124 * 1963.2}, // 1 h O3 starts at 0.125 ppm
		{US, "so2", "1h", 305 * 2.6205},  // 1 h SO2 defines no AQI of 200 or more
		{US, "so2", "24h", 304 * 2.6204}, // 24 h SO2 starts at 305 ppb
	} {
		v, err := SubIndex(c.scheme, c.param, c.period, c.conc)
		if !errors.Is(err, ErrNoIndex) {
			t.Errorf("%s %s %s %g: %v, %v; want ErrNoIndex", c.scheme, c.param, c.period, c.conc, v, err)
		}
	}
}

// TestAboveScale documents the choices beyond the top breakpoint: VN caps at 500 (Table 2's
// last row is "≥"), US extrapolates the Hazardous segment (TAD).
func TestAboveScale(t *testing.T) {
	cases := []struct {
		scheme Scheme
		param  string
		conc   float64
		want   int
	}{
		{VN, "pm25", 500, 500},
		{VN, "pm25", 900, 500},
		{VN, "pm10", 5000, 500},
		{US, "pm25", 325.4, 500},
		{US, "pm25", 425.4, 699}, // 301 + 199 × (425.4 − 225.5)/99.9 = 699.2
		{US, "pm10", 783, 699},   // 301 + 199 × (783 − 425)/179 = 699
	}
	for _, c := range cases {
		v, err := SubIndex(c.scheme, c.param, "24h", c.conc)
		if err != nil || Round(v) != c.want {
			t.Errorf("%s %s %g: %v, %v; want %d", c.scheme, c.param, c.conc, Round(v), err, c.want)
		}
		if got := CategoryOf(Round(v)).Index; got != 6 {
			t.Errorf("%s %s %g: category %d, want 6 (Hazardous)", c.scheme, c.param, c.conc, got)
		}
	}
}

// TestNegativeIsZero: small negative concentrations (analyser noise) index as 0.
func TestNegativeIsZero(t *testing.T) {
	for _, s := range []Scheme{VN, US} {
		if v, err := SubIndex(s, "pm25", "24h", -0.4); err != nil || v != 0 {
			t.Errorf("%s: %v, %v; want 0", s, v, err)
		}
	}
}

func TestRound(t *testing.T) {
	for _, c := range []struct {
		x    float64
		want int
	}{
		{0, 0}, {0.49, 0}, {0.5, 1}, {59.35, 59}, {109.5, 110}, {109.49999999999999, 110},
		{100 + 50.0/30*(55.7-50), 110}, {150.4999, 150}, {499.5, 500}, {699.2, 699},
	} {
		if got := Round(c.x); got != c.want {
			t.Errorf("Round(%v) = %d, want %d", c.x, got, c.want)
		}
	}
}

// TestCategories checks the bands of Decision 1459 Table 1 and 40 CFR 58 App. G Table 2.
func TestCategories(t *testing.T) {
	for _, c := range []struct {
		aqi          int
		index        int
		name, nameVI string
		hex          string
	}{
		{0, 1, "Good", "Tốt", "#00E400"}, {50, 1, "Good", "Tốt", "#00E400"},
		{51, 2, "Moderate", "Trung bình", "#FFFF00"}, {100, 2, "Moderate", "Trung bình", "#FFFF00"},
		{101, 3, "Unhealthy for Sensitive Groups", "Kém", "#FF7E00"}, {150, 3, "Unhealthy for Sensitive Groups", "Kém", "#FF7E00"},
		{151, 4, "Unhealthy", "Xấu", "#FF0000"}, {200, 4, "Unhealthy", "Xấu", "#FF0000"},
		{201, 5, "Very Unhealthy", "Rất xấu", "#8F3F97"}, {300, 5, "Very Unhealthy", "Rất xấu", "#8F3F97"},
		{301, 6, "Hazardous", "Nguy hại", "#7E0023"}, {500, 6, "Hazardous", "Nguy hại", "#7E0023"},
		{699, 6, "Hazardous", "Nguy hại", "#7E0023"},
	} {
		got := CategoryOf(c.aqi)
		if got.Index != c.index || got.Name != c.name || got.NameVI != c.nameVI || got.Color != c.hex {
			t.Errorf("CategoryOf(%d) = %+v, want %d %s %s %s", c.aqi, got, c.index, c.name, c.nameVI, c.hex)
		}
	}
	for _, c := range Categories() {
		r, _ := strconv.ParseUint(c.Color[1:3], 16, 8)
		g, _ := strconv.ParseUint(c.Color[3:5], 16, 8)
		b, _ := strconv.ParseUint(c.Color[5:7], 16, 8)
		if [3]uint8{uint8(r), uint8(g), uint8(b)} != c.RGB {
			t.Errorf("%s: %s does not match RGB %v", c.Name, c.Color, c.RGB)
		}
		if CategoryOf(c.Min) != c || CategoryOf(c.Max) != c {
			t.Errorf("%s: range %d–%d does not map back to it", c.Name, c.Min, c.Max)
		}
	}
}
