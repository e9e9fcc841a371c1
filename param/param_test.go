package param

import (
	"errors"
	"math"
	"strings"
	"testing"
)

func mustLookup(t testing.TB, name string) *Parameter {
	t.Helper()
	p, ok := Lookup(name)
	if !ok {
		t.Fatalf("Lookup(%q) not found", name)
	}
	return p
}

func TestLookup(t *testing.T) {
	cases := []struct{ name, want string }{
		{"pm25", "pm25"}, {"PM2.5", "pm25"}, {"PM2,5", "pm25"}, {"PM2_5", "pm25"}, {"PM25", "pm25"},
		{" pm2.5 ", "pm25"}, {"Bụi PM2,5", "pm25"}, {"BỤI PM2,5", "pm25"},
		{"NH4+", "nh4_n"}, {"NH4-N", "nh4_n"}, {"NH4", "nh4_n"}, {"nh4", "nh4_n"}, {"N-NH4", "nh4_n"}, {"Amoni", "nh4_n"},
		{"Nhiệt độ", "temp"}, {"NHIỆT ĐỘ", "temp"}, {"Temp", "temp"}, {"Lưu lượng", "flow"}, {"Flow", "flow"},
		{"pH", "ph"}, {"PH", "ph"}, {"TSS", "tss"}, {"COD", "cod"}, {"BOD5", "bod5"}, {"TN", "tn"}, {"TP", "tp"},
		{"Coliform", "coliform"}, {"SO2", "so2"}, {"SO₂", "so2"}, {"NOx", "nox"}, {"NO", "no"}, {"NO2", "no2"},
		{"CO", "co"}, {"O2", "o2"}, {"PM", "dust"}, {"PM10", "pm10"}, {"O3", "o3"}, {"H2S", "h2s"}, {"NH3", "nh3"},
		{"TOC", "toc"}, {"Cl", "cl"}, {"Color", "color"}, {"RH", "rh"}, {"P", "pressure"}, {"VHg", "hg"},
		{"TSP", "tsp"}, {"Pb", "pb"}, {"oil_grease", "oil_grease"}, {"DO", "do"},
	}
	for _, c := range cases {
		if got := mustLookup(t, c.name); got.ID != c.want {
			t.Errorf("Lookup(%q) = %s, want %s", c.name, got.ID, c.want)
		}
	}
	for _, bad := range []string{"", "pm2", "xyz", strings.Repeat("a", 200), "PM2.5x", "\xff"} {
		if p, ok := Lookup(bad); ok {
			t.Errorf("Lookup(%q) = %s, want not found", bad, p.ID)
		}
	}
}

// TestCircular10Symbols checks every parameter symbol of Circular 10/2021 (Bảng 34).
func TestCircular10Symbols(t *testing.T) {
	for _, s := range []string{"Flow", "Temp", "Color", "pH", "TSS", "COD", "NH4", "TP", "TN", "TOC", "Cl",
		"RH", "P", "NO", "NO2", "NOx", "CO", "SO2", "O2", "H2S", "NH3", "VHg", "PM", "O3", "PM10", "PM2,5"} {
		mustLookup(t, s)
	}
}

func TestEveryAliasResolves(t *testing.T) {
	seen := map[string]string{}
	for _, p := range All() {
		for _, name := range append([]string{p.ID}, p.Aliases()...) {
			key := lowerKey(name)
			if other, dup := seen[key]; dup && other != p.ID {
				t.Errorf("name %q used by %s and %s", name, other, p.ID)
			}
			seen[key] = p.ID
			if got := mustLookup(t, name); got != p {
				t.Errorf("Lookup(%q) = %s, want %s", name, got.ID, p.ID)
			}
			if got := mustLookup(t, strings.ToUpper(name)); got != p {
				t.Errorf("Lookup(%q) = %s, want %s", strings.ToUpper(name), got.ID, p.ID)
			}
		}
	}
}

func TestCatalogData(t *testing.T) {
	all := All()
	if len(all) < 30 {
		t.Fatalf("catalog has %d parameters", len(all))
	}
	gases := map[string]float64{"so2": 64.07, "no2": 46.01, "o3": 48.00, "co": 28.01, "nh3": 17.03, "h2s": 34.08, "no": 30.01}
	for i, p := range all {
		if p.Index() != i {
			t.Errorf("%s: Index %d, want %d", p.ID, p.Index(), i)
		}
		if p.canon == nil {
			t.Errorf("%s: canonical unit %q not in the unit table", p.ID, p.Unit)
		}
		if p.ID != strings.ToLower(p.ID) || p.Name == "" || p.Max <= p.Min {
			t.Errorf("%s: bad row %+v", p.ID, *p)
		}
		if p.ID != "temp" && p.ID != "pressure" && p.Min != 0 {
			t.Errorf("%s: Min %v, concentrations start at 0", p.ID, p.Min)
		}
		if m, ok := gases[p.ID]; ok && p.MolarMass != m {
			t.Errorf("%s: MolarMass %v, want %v", p.ID, p.MolarMass, m)
		}
		if p.MolarMass > 0 && p.Unit != "µg/m³" {
			t.Errorf("%s: gas in %s, want µg/m³", p.ID, p.Unit)
		}
	}
	if p := mustLookup(t, "ph"); p.Min != 0 || p.Max != 14 {
		t.Errorf("pH range %v..%v", p.Min, p.Max)
	}
	if p := mustLookup(t, "co"); p.Unit != "µg/m³" {
		t.Errorf("co unit %q", p.Unit)
	}
	all[0] = nil
	if All()[0] == nil {
		t.Error("All returns the catalog's own slice")
	}
}

func TestToCanonical(t *testing.T) {
	cases := []struct {
		param, unit string
		in, want    float64
		tol         float64
	}{
		{"so2", "ppb", 12, 31.4, 0.05},
		{"so2", "ppm", 0.012, 31.4, 0.05},
		{"co", "ppm", 1, 1145.6, 0.05},
		{"co", "mg/m3", 1.5, 1500, 0},
		{"co", "mg/Nm³", 1.5, 1500, 0},
		{"o3", "ppb", 24.45, 48, 1e-9},
		{"no2", "µg/Nm3", 40, 40, 0},
		{"no2", "ug/m3", 40, 40, 0},
		{"no2", "μg/m³", 40, 40, 0}, // Greek mu
		{"pm25", "", 38.2, 38.2, 0},
		{"pm25", "µg/m³", 38.2, 38.2, 0},
		{"pm25", "mg/m3", 0.0382, 38.2, 1e-9},
		{"cod", "mg/l", 75, 75, 0},
		{"cod", "mg/L", 75, 75, 0},
		{"cod", "µg/L", 75000, 75, 1e-9},
		{"cod", "ppm", 75, 75, 1e-9},
		{"cod", "g/m3", 75, 75, 1e-9},
		{"temp", "°C", 25, 25, 0},
		{"temp", "oC", 25, 25, 0},
		{"temp", "ºC", 25, 25, 0},
		{"temp", "C", 25, 25, 0},
		{"temp", "℃", 25, 25, 0},
		{"temp", "°F", 212, 100, 1e-9},
		{"temp", "K", 298.15, 25, 1e-9},
		{"flow", "m3/s", 1, 3600, 0},
		{"flow", "L/s", 10, 36, 1e-9},
		{"flow", "m3/d", 240, 10, 1e-9},
		{"flow", "m³/ngày", 240, 10, 1e-9},
		{"flow", "m3/h", 7, 7, 0},
		{"ph", "-", 7.1, 7.1, 0},
		{"coliform", "MPN/100ml", 3000, 3000, 0},
		{"color", "Pt-Co", 20, 20, 0},
		{"pressure", "hPa", 1013.25, 101.325, 1e-9},
		{"o2", "%V", 7, 7, 0},
	}
	for _, c := range cases {
		p := mustLookup(t, c.param)
		got, err := p.ToCanonical(c.in, c.unit)
		if err != nil {
			t.Errorf("%s %v %q: %v", c.param, c.in, c.unit, err)
			continue
		}
		if math.Abs(got-c.want) > c.tol {
			t.Errorf("%s %v %q = %v, want %v", c.param, c.in, c.unit, got, c.want)
		}
		back, err := p.FromCanonical(got, c.unit)
		if err != nil || back != c.in {
			t.Errorf("%s FromCanonical(%v, %q) = %v, %v; want %v", c.param, got, c.unit, back, err, c.in)
		}
	}
	if got, _ := mustLookup(t, "so2").ToCanonical(12, "ppb"); math.Round(got*10)/10 != 31.4 {
		t.Errorf("SO2 12 ppb = %v µg/m³, want 31.4 after rounding", got)
	}
	for _, c := range []struct {
		param, unit string
		in, want    float64
	}{{"pm10", "mg/m3", 0.0617, 61.7}, {"pressure", "hPa", 1009.2, 100.92}, {"so2", "ppb", 12, 31.4453987730061}} {
		if got, _ := mustLookup(t, c.param).ToCanonical(c.in, c.unit); got != c.want {
			t.Errorf("%s %v %s = %v, want exactly %v", c.param, c.in, c.unit, got, c.want)
		}
	}
	if got, _ := mustLookup(t, "co").ToCanonical(1, "ppm"); math.Floor(got) != 1145 {
		t.Errorf("CO 1 ppm = %v µg/m³, want 1145.x", got)
	}
}

func TestUnknownUnit(t *testing.T) {
	cases := []struct{ param, unit string }{
		{"so2", "furlongs"}, {"so2", "mg/L"}, {"pm25", "ppb"}, {"temp", "mg/L"}, {"ph", "°C"},
		{"cod", "%"}, {"flow", "ppm"}, {"so2", strings.Repeat("x", 100)},
	}
	for _, c := range cases {
		p := mustLookup(t, c.param)
		if _, err := p.ToCanonical(1, c.unit); !errors.Is(err, ErrUnknownUnit) {
			t.Errorf("ToCanonical(%s, %q) error = %v, want ErrUnknownUnit", c.param, c.unit, err)
		}
		if _, err := p.FromCanonical(1, c.unit); !errors.Is(err, ErrUnknownUnit) {
			t.Errorf("FromCanonical(%s, %q) error = %v, want ErrUnknownUnit", c.param, c.unit, err)
		}
	}
}

func TestInRange(t *testing.T) {
	ph := mustLookup(t, "ph")
	for v, want := range map[float64]bool{-0.1: false, 0: true, 7: true, 14: true, 14.1: false, math.NaN(): false} {
		if ph.InRange(v) != want {
			t.Errorf("pH InRange(%v) = %v", v, !want)
		}
	}
}
