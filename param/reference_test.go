package param

import (
	"math"
	"testing"
)

// TestReferenceConditions checks the example: 105 ppb of NO2 is 197.6 µg/m³ at 25 °C
// (QCVN, US) and 200.8 µg/m³ at 20 °C (EU, 293 K).
func TestReferenceConditions(t *testing.T) {
	no2 := mustLookup(t, "no2")
	c25, err := no2.ToCanonical(105, "ppb")
	if err != nil {
		t.Fatal(err)
	}
	eu, err := ParseReference("20C")
	if err != nil {
		t.Fatal(err)
	}
	if k, _ := ParseReference("293K"); k != eu {
		t.Errorf("293K = %v, want 20 °C", k)
	}
	for _, tc := range []struct {
		name string
		got  float64
		want float64
	}{
		{"25 °C", c25, 197.6},
		{"20 °C", c25 * no2.AtReference(eu), 200.8},
		{"molar volume 20 °C", eu.MolarVolume(), 24.055},
		{"molar volume 25 °C", Standard.MolarVolume(), 24.45},
	} {
		if math.Abs(tc.got-tc.want) > 0.05 {
			t.Errorf("%s: %v, want %v", tc.name, tc.got, tc.want)
		}
	}
	limit, err := no2.ToCanonicalAt(100, "ppb", eu)
	if err != nil || math.Abs(limit-100*46.01/eu.MolarVolume()) > 1e-9 {
		t.Errorf("100 ppb at 20 °C = %v µg/m³ (%v)", limit, err)
	}
	if v, _ := no2.ToCanonicalAt(200, "µg/m³", eu); v != 200 {
		t.Errorf("a mass concentration is taken as stated at the reference: %v", v)
	}
	if f := mustLookup(t, "pm25").AtReference(eu); f != 1 {
		t.Errorf("particles do not depend on the reference: %v", f)
	}
	if f := mustLookup(t, "no2").AtReference(Standard); f != 1 {
		t.Errorf("factor at the standard reference %v", f)
	}
	if _, err := ParseReference("warm"); err == nil {
		t.Error("ParseReference(warm) succeeded")
	}
}
