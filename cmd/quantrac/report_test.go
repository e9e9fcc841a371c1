package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Bad flags of quantrac report are refused with exit 2 and a message naming the flag, before
// anything is queried; a bad configuration exits 1 naming file and key.
func TestReportFlags(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "stations.yaml"), []byte(validStations), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "quantrac.yaml")
	if err := os.WriteFile(cfg, []byte("stations_file: stations.yaml\nweb: {map_tiles: \"nope\"}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"-month", "2026-13"}, 2, "-month: month \"2026-13\": want YYYY-MM"},
		{[]string{}, 2, "-month: month \"\": want YYYY-MM"},
		{[]string{"-month", "1442-05"}, 2, "-month: month \"1442-05\": want a month between 1970 and 2200"},
		{[]string{"-month", "2026-11", "-format", "pdf"}, 2, `-format: "pdf" is not html or csv`},
		{[]string{"-month", "2026-11", "-lang", "fr"}, 2, `-lang: "fr" is not vi or en`},
		{[]string{"-month", "2026-11", "-config", cfg}, 1, "quantrac.yaml:2: web.map_tiles"},
	} {
		var stdout, stderr bytes.Buffer
		code := dispatch(append([]string{"report"}, tc.args...), &stdout, &stderr)
		if code != tc.code || !strings.Contains(stderr.String(), tc.want) || stdout.Len() != 0 {
			t.Errorf("report %v: exit %d, stderr %q; want %d with %q", tc.args, code, stderr.String(), tc.code, tc.want)
		}
	}
}
