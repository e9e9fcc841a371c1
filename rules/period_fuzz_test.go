package rules

import "testing"

// FuzzParsePeriod: a period label parses into a kind whose label it round-trips, or fails with
// an error; it never panics. Seeds: testdata/fuzz/FuzzParsePeriod.
func FuzzParsePeriod(f *testing.F) {
	for _, s := range []string{"sample", "1h", "8h", "24h", "1y", "10m", "15m", "3h", "25h", "7m", "0h", "08h", "1d", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		kind, d, err := parsePeriod(s)
		if err != nil {
			return
		}
		if kind == 0 || (kind != perSample && d <= 0) {
			t.Fatalf("%q: kind %d, length %v", s, kind, d)
		}
		if k2, d2, err := parsePeriod(s); err != nil || k2 != kind || d2 != d {
			t.Fatalf("%q parses differently the second time", s)
		}
	})
}
