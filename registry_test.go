package quantrac

import (
	"strings"
	"testing"
	"time"
)

func TestParseRegistry(t *testing.T) {
	reg, err := ParseRegistry([]byte(`stations:
  - id: LC-AQ-01
    kind: air
    location: {lat: 22.39, lon: 103.45}
    tags: {province: "Lai Châu", district: x}
    aliases: [LAICHAU_AQ1]
    maintenance:
      - {from: 2026-12-01T08:00:00+07:00, until: 2026-12-01T12:00:00+07:00, reason: calibration}
  - id: LC-WW-01
    kind: wastewater
    interval: 1m
    timezone: UTC
    coefficients: {kq: 0.9, kf: 1.0}
`), "stations.yaml", RegistryOptions{})
	if err != nil {
		t.Fatal(err)
	}
	aq, ww := reg.Station("LC-AQ-01"), reg.Station("LC-WW-01")
	if reg.Len() != 2 || aq == nil || ww == nil || reg.Station("LAICHAU_AQ1") != aq {
		t.Fatalf("stations: %v", reg.Stations())
	}
	if aq.Interval != DefaultInterval || aq.TimeLocation().String() != DefaultTimezone {
		t.Errorf("defaults: interval %v, zone %v", aq.Interval, aq.TimeLocation())
	}
	if got := strings.Join(aq.TagKeys(), ","); got != "district,province" {
		t.Errorf("tag keys %q, want sorted", got)
	}
	in := time.Date(2026, 12, 1, 2, 0, 0, 0, time.UTC) // 09:00 +07:00
	if !aq.InMaintenance(in) || aq.InMaintenance(in.Add(4*time.Hour)) {
		t.Error("maintenance window not applied as [from, until)")
	}
	if ww.Coefficient("kq") != 0.9 || ww.Coefficient("k") != 1 {
		t.Errorf("coefficients: kq %v, k %v", ww.Coefficient("kq"), ww.Coefficient("k"))
	}
}

func TestParseRegistryErrorsNameLineAndKey(t *testing.T) {
	_, err := ParseRegistry([]byte(`stations:
  - id: OK-1
    kind: air
  - id: "bad id"
    kind: river
    location: {lat: 95, lon: 0}
    timezone: Mars/Olympus
  - id: OK-1
    kind: air
    tags: {station: x}
`), "stations.yaml", RegistryOptions{})
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{
		`stations.yaml:4: stations[1].id: "bad id" must match`,
		`stations.yaml:4: stations[1].kind: unknown kind "river"`,
		`stations.yaml:4: stations[1].location.lat: 95 is not a latitude`,
		`stations.yaml:4: stations[1].timezone: unknown time zone "Mars/Olympus"`,
		`stations.yaml:8: stations[2].id: duplicate station id "OK-1"`,
		`stations.yaml:8: stations[2].tags.station`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	if _, err := ParseRegistry([]byte("stations:\n  - id: A\n    kind: air\n    colour: red\n"), "s.yaml", RegistryOptions{}); err == nil || !strings.Contains(err.Error(), "colour") {
		t.Errorf("unknown key: %v", err)
	}
}

// TestParseRegistryRefusesWhatLineProtocolCannotCarry: tag values and names that would make
// every InfluxDB write of the station fail, or come back changed, are refused with
// file:line: key: reason (store's TestRegistryTagsRoundTrip shows why against InfluxDB).
func TestParseRegistryRefusesWhatLineProtocolCannotCarry(t *testing.T) {
	for _, tc := range []struct {
		tags string // YAML flow mapping
		want string
	}{
		{`{site: 'ends\'}`, `stations.yaml:2: stations[0].tags.site: value "ends\\" ends in a backslash`},
		{`{site: '\'}`, `stations.yaml:2: stations[0].tags.site: value "\\" ends in a backslash`},
		{`{site: "new\nline"}`, `stations.yaml:2: stations[0].tags.site: value "new\nline" contains the control character U+000A`},
		{`{site: "cr\rx"}`, `stations.yaml:2: stations[0].tags.site: value "cr\rx" contains the control character U+000D`},
		{`{site: "tab\tx"}`, `stations.yaml:2: stations[0].tags.site: value "tab\tx" contains the control character U+0009`},
		{`{site: "nul\0x"}`, `contains the control character U+0000`},
		{`{time: x}`, `stations.yaml:2: stations[0].tags.time: tag name must match`},
		{`{_field: x}`, `stations.yaml:2: stations[0].tags._field: tag name must match`},
		{`{__name__: x}`, `stations.yaml:2: stations[0].tags.__name__: tag name must match`},
	} {
		yml := "stations:\n  - id: X-1\n    kind: air\n    tags: " + tc.tags + "\n"
		_, err := ParseRegistry([]byte(yml), "stations.yaml", RegistryOptions{})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("tags %s: error %v, want %q", tc.tags, err, tc.want)
		}
	}
	// What line protocol carries, escaped, stays accepted.
	yml := "stations:\n  - id: X-1\n    kind: air\n    tags: {a: 'Lai Châu, VN = x', b: 'a\\b', c: ' lead', d: 'q\"d', e: ''}\n"
	if _, err := ParseRegistry([]byte(yml), "stations.yaml", RegistryOptions{}); err != nil {
		t.Errorf("carriable tag values refused: %v", err)
	}
}

func TestParseRegistryEmpty(t *testing.T) {
	for _, yml := range []string{"", "stations: []\n", "# nothing yet\n", "stations:\n"} {
		_, err := ParseRegistry([]byte(yml), "stations.yaml", RegistryOptions{})
		if err == nil || !strings.Contains(err.Error(), "stations.yaml: stations: no station registered") ||
			!strings.Contains(err.Error(), "stations_allow_empty") {
			t.Errorf("%q: error %v, want no station registered, naming stations_allow_empty", yml, err)
		}
		reg, err := ParseRegistry([]byte(yml), "stations.yaml", RegistryOptions{AllowEmpty: true})
		if err != nil || reg.Len() != 0 {
			t.Errorf("%q with AllowEmpty: %v, %d stations", yml, err, reg.Len())
		}
	}
}

// A station's country is its own, else the registry's, else VN; a bad code names file and key.
func TestRegistryCountry(t *testing.T) {
	reg, err := ParseRegistry([]byte("country: TH\nstations:\n  - {id: A, kind: air}\n  - {id: B, kind: air, country: VN}\n"),
		"stations.yaml", RegistryOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if a, b := reg.Station("A").Country, reg.Station("B").Country; a != "TH" || b != "VN" {
		t.Errorf("countries %q, %q; want TH (the registry's) and VN (its own)", a, b)
	}
	plain, err := NewRegistry(&Station{ID: "C", Kind: Air})
	if err != nil || plain.Station("C").Country != DefaultCountry {
		t.Errorf("default country: %v, %v", plain.Station("C"), err)
	}
	for _, c := range []struct{ yaml, want string }{
		{"country: Vietnam\nstations:\n  - {id: A, kind: air}\n", `stations.yaml: country: "Vietnam" is not an ISO 3166`},
		{"stations:\n  - {id: A, kind: air, country: vn}\n", `stations.yaml:2: stations[0].country: "vn" is not an ISO 3166`},
	} {
		_, err := ParseRegistry([]byte(c.yaml), "stations.yaml", RegistryOptions{})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: error %v, want %q", c.yaml, err, c.want)
		}
	}
}
