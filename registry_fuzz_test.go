package quantrac

import (
	"testing"
)

// FuzzParseRegistry feeds arbitrary YAML to the registry parser: it never panics, and a
// registry it accepts holds only stations that pass validation.
func FuzzParseRegistry(f *testing.F) {
	f.Add([]byte("stations:\n  - id: LC-AQ-01\n    kind: air\n    location: {lat: 22.39, lon: 103.45}\n    tags: {province: \"Lai Châu\"}\n"))
	f.Add([]byte("stations:\n  - {id: X, kind: wastewater, interval: 1m, coefficients: {kq: 0.9}}\n"))
	f.Add([]byte("stations: [{id: \"\", kind: river}]"))
	f.Add([]byte("stations:\n  - {id: X, kind: air, tags: {site: 'ends\\', time: x, a: \"new\\nline\"}}\n"))
	f.Add([]byte("stations: []\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		reg, err := ParseRegistry(data, "fuzz.yaml", RegistryOptions{})
		if err != nil {
			return
		}
		if reg.Len() == 0 {
			t.Fatal("accepted an empty registry without AllowEmpty")
		}
		for _, s := range reg.Stations() {
			if !stationID.MatchString(s.ID) || !s.Kind.Valid() || s.Interval <= 0 || s.TimeLocation() == nil {
				t.Fatalf("accepted an invalid station: %+v", s)
			}
			for k, v := range s.Tags {
				if !tagKey.MatchString(k) || tagValueProblem(v) != "" {
					t.Fatalf("accepted tag %q=%q that line protocol cannot carry", k, v)
				}
			}
			if reg.Station(s.ID) != s {
				t.Fatalf("station %q not found by id", s.ID)
			}
		}
	})
}
