package rules

import (
	"io/fs"
	"testing"
)

// FuzzParseRegulation: any input either parses into a regulation whose rules group its certain
// limits or fails with an error; it never panics.
func FuzzParseRegulation(f *testing.F) {
	names, _ := fs.Glob(builtin, "catalog/*.yaml")
	for _, n := range names {
		data, _ := builtin.ReadFile(n)
		f.Add(data)
	}
	f.Add([]byte("id: X\ntitle: t\nkind: air\nsource: {document: d}\nlimits:\n  - {parameter: ph, period: 1h, range: [9, 6], unit: pH}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := ParseRegulation(data, "fuzz.yaml")
		if err != nil {
			return
		}
		n := 0
		for _, ru := range r.rules {
			n += len(ru.versions)
			for _, v := range ru.versions {
				if v.Max != nil && *v.Max <= 0 {
					t.Fatalf("non-positive max accepted: %v", *v.Max)
				}
			}
		}
		certain := 0
		for i := range r.Limits {
			if !r.Limits[i].Uncertain() {
				certain++
			}
		}
		if n != certain {
			t.Fatalf("%d certain limits grouped into rules with %d versions", certain, n)
		}
	})
}
