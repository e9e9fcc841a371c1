package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRulesCommand(t *testing.T) {
	var out, errb bytes.Buffer
	if code := rulesCommand(nil, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	text := out.String()
	for _, want := range []string{
		// every built-in regulation, with its source
		"QCVN-05:2023", "QCVN-05:2013", "QCVN-40:2011/A", "QCVN-40:2011/B", "QCVN-14:2008/A", "QCVN-14:2008/B",
		"QCVN-40:2025", "QCVN-14:2025", "WHO-2021 ", "WHO-2021/IT-1", "WHO-2021/IT-4", "EU-2008/50", "EU-2024/2881", "US-NAAQS",
		"Circular 01/2023/TT-BTNMT",
		// versioned limits with their dates
		"≤ 50   ", "2023-09-12  2025-12-31", "≤ 45", "2026-01-01  -",
		// coefficients, ranges, allowances, uncertain values, empty regulations
		"≤ 150 × kq × kf", "5.5–9", "≤ 50 (35/year)", "U (not evaluated)", "no numeric limits known",
		// canonical units: CO 10 mg/m³ shown in µg/m³, and as written
		"≤ 10000", "≤ 10 mg/m³", "≤ 9 ppm",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	header := "REGULATION PARAMETER PERIOD STATISTIC LIMIT UNIT AS WRITTEN FROM UNTIL CONFIDENCE SOURCE"
	found := false
	for _, line := range strings.Split(text, "\n") {
		found = found || strings.Join(strings.Fields(line), " ") == header
	}
	if !found {
		t.Errorf("output lacks the limit table header %q", header)
	}
}

func TestRulesCommandFilterAndFiles(t *testing.T) {
	f := filepath.Join(t.TempDir(), "local.yaml")
	if err := os.WriteFile(f, []byte("id: LOCAL-1\ntitle: Provincial plan\nkind: air\nsource: {document: plan}\nlimits:\n  - {parameter: pm25, period: 24h, max: 40, unit: µg/m³, source: plan table 2}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	if code := rulesCommand([]string{"-file", f, "-regulation", "LOCAL-1"}, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	if !strings.Contains(strings.Join(strings.Fields(out.String()), " "), "LOCAL-1 pm25 24h mean ≤ 40 µg/m³ ≤ 40 µg/m³ - - - plan table 2") || strings.Contains(out.String(), "QCVN") {
		t.Errorf("output:\n%s", out.String())
	}
	out.Reset()
	if code := rulesCommand([]string{"-regulation", "NOPE"}, &out, &errb); code != 1 || !strings.Contains(errb.String(), `unknown regulation "NOPE"`) {
		t.Errorf("exit %d, stderr %q", code, errb.String())
	}
	errb.Reset()
	if err := os.WriteFile(f, []byte("id: LOCAL-1\ntitle: t\nkind: air\nsource: {document: d}\nlimits:\n  - {parameter: pm25, period: 2d, max: 40, unit: µg/m³}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code := rulesCommand([]string{"-file", f}, &out, &errb); code != 1 || !strings.Contains(errb.String(), f+":6: limits[0]: period") {
		t.Errorf("exit %d, stderr %q", code, errb.String())
	}
}
