package store

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/quantrac/quantrac"
	"github.com/quantrac/quantrac/internal/testenv"
)

// TestRegistryTagsRoundTrip writes, with this package's encoder, a reading of a station for
// each of a set of awkward tag values and names to a real InfluxDB: every one the registry
// file accepts comes back exactly, and every one it refuses is refused by InfluxDB or comes
// back changed. That is the registry's rule (quantrac.ParseRegistry), checked against the
// database rather than assumed.
func TestRegistryTagsRoundTrip(t *testing.T) {
	in := testenv.InfluxDB(t, testenv.InfluxOptions{DisableFlux: true})
	in.CreateDatabase("q")
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	cases := []struct{ key, value string }{
		{"site", `ends\`}, {"site", `\`}, {"site", "new\nline"}, {"site", "cr\rx"},
		{"site", `a\b`}, {"site", `a\ b`}, {"site", `a\,b`}, {"site", `a\=b`}, {"site", `a\\b`},
		{"site", "Lai Châu, VN = x"}, {"site", `q"d`}, {"site", " lead"}, {"site", "trail "},
		{"time", "x"},
	}
	for i, tc := range cases {
		id := fmt.Sprintf("S-%d", i)
		yml := fmt.Sprintf("stations:\n  - id: %s\n    kind: air\n    tags: {%s: %q, zz: after}\n", id, tc.key, tc.value)
		_, regErr := quantrac.ParseRegistry([]byte(yml), "stations.yaml", quantrac.RegistryOptions{})
		// The station as it would be without the registry's check: NewRegistry does not make it.
		st := &quantrac.Station{ID: id, Kind: quantrac.Air, Tags: map[string]string{tc.key: tc.value, "zz": "after"}}
		if reg, err := quantrac.NewRegistry(st); err == nil {
			st = reg.Station(id)
		} else {
			st.Tags = map[string]string{tc.key: tc.value, "zz": "after"} // a reserved key: encode it anyway
		}
		line, _ := AppendReadings(nil, st, []quantrac.Reading{{Station: id, Kind: quantrac.Air, Param: "pm25", Value: 1, Time: t0, Status: quantrac.StatusMeasuring}})
		code, body := writeRaw(t, in, string(line))
		stored := code == http.StatusNoContent && tagValue(in, id, tc.key) == tc.value
		switch {
		case regErr == nil && !stored:
			t.Errorf("tag %s=%q accepted by the registry but not carried: HTTP %d %s, stored %q", tc.key, tc.value, code, body, tagValue(in, id, tc.key))
		case regErr != nil && stored:
			t.Errorf("tag %s=%q refused by the registry (%v) but InfluxDB stores it exactly", tc.key, tc.value, regErr)
		}
	}
}

// writeRaw posts line protocol to InfluxDB's 2.x write API and returns the status and body.
func writeRaw(t *testing.T, in *testenv.Influx, lines string) (int, string) {
	t.Helper()
	q := url.Values{"bucket": {"q"}, "precision": {"ns"}}
	resp, err := http.Post(in.URL()+"/api/v2/write?"+q.Encode(), "text/plain; charset=utf-8", strings.NewReader(lines))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, strings.TrimSpace(string(b))
}

// tagValue returns the value of tag key for the station's points in measurement air.
func tagValue(in *testenv.Influx, station, key string) string {
	for _, s := range in.Query("q", fmt.Sprintf(`SHOW TAG VALUES FROM air WITH KEY = %q WHERE station = '%s'`, key, station)) {
		for _, r := range s.Rows() {
			return fmt.Sprint(r["value"])
		}
	}
	return ""
}
