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
		// the statistic names the regulation's form
		"every sample inside the range", "max daily 8-h running mean; 25 days/year allowed, 3-year average",
		"design value: 3-year mean of the annual 98th percentile (EPA rank table) of the daily maximum 1-h mean, rounded to 1 ppb",
		"daily maximum of the 8-h means starting 07:00-23:00, truncated to 0.001 ppm",
		"calendar-year mean of daily means", "24-h mean (calendar day of hourly means); 35 days/year allowed",
		"1-h mean; 18 hours/year allowed",
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
	if !strings.Contains(strings.Join(strings.Fields(out.String()), " "), "LOCAL-1 pm25 24h 24-h mean (calendar day of hourly means) ≤ 40 µg/m³ ≤ 40 µg/m³ - - - plan table 2") || strings.Contains(out.String(), "QCVN") {
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

// TestRulesCommandVerbose checks what -v adds: table and article, notes, the capture rule,
// reference conditions and the full source of every key a limit cites.
func TestRulesCommandVerbose(t *testing.T) {
	var out, errb bytes.Buffer
	if code := rulesCommand([]string{"-v", "-regulation", "EU-2008/50"}, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	text := out.String()
	for _, want := range []string{
		"EU-2008/50 — Directive 2008/50/EC",
		"  table:     Annex XI B (limit values)",
		"  article:   Annex I (data quality objectives",
		"  reference: gas concentrations at 20 °C, 1 atm",
		"  no2 1h ≤ 200 (18/year) µg/m³",
		"    capture:   the hour with 75 % of the station's expected readings (1 h ÷ interval)",
		"    reference: 20 °C, 1 atm (readings are compared at it)",
		"    capture:   hours valid with 75 % of the station's expected readings (1 h ÷ interval); the year with 90 % of its hours",
		"    confidence: U: listed, not evaluated",
		"    [S22] EEA figure pages quoting Directive 2008/50/EC limit values — eea.europa.eu figures",
		"    [S43] 2008/50/EC deadlines (PM10 50/35 days, NO2 40, PM2.5 25 from 2015 and 20 from 2020) — https://www.right-to-clean-air.eu",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("-v output lacks %q", want)
		}
	}
	if strings.Contains(text, "(not in the source key table)") {
		t.Errorf("a cited key is missing from catalog/sources.yaml:\n%s", text)
	}
	out.Reset()
	if code := rulesCommand([]string{"-v"}, &out, &errb); code != 0 || strings.Contains(out.String(), "(not in the source key table)") {
		t.Errorf("exit %d; every key cited by the catalog must be in the source key table", code)
	}
}
