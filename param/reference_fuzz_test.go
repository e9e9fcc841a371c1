package param

import (
	"math"
	"testing"
)

// FuzzParseReference: any text parses into a reference whose molar volume is finite and
// positive and whose String parses back to it, or fails with an error; it never panics.
// Seeds: testdata/fuzz/FuzzParseReference.
func FuzzParseReference(f *testing.F) {
	for _, s := range []string{"25C", "20C", "0C", "293K", "298.15K", "25 °C", "-40C", "c", "1e309C", "NaNK"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseReference(s)
		if err != nil {
			return
		}
		if v := r.MolarVolume(); math.IsNaN(v) || math.IsInf(v, 0) || v <= 0 {
			t.Fatalf("%q: molar volume %v", s, v)
		}
		back, err := ParseReference(r.String())
		if err != nil || back != r {
			t.Fatalf("%q: %v does not parse back (%v, %v)", s, r, back, err)
		}
	})
}
