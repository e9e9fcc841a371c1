package rules

import (
	"bufio"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/quantrac/quantrac/param"
)

type researchRow struct {
	reg, param, period, bound, value, unit, from, until, allowed, confidence, source, draftID string
	line                                                                                      int
}

func readResearch(t *testing.T) []researchRow {
	t.Helper()
	f, err := os.Open("testdata/research_values.tsv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var rows []researchRow
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, "regulation\t") {
			continue
		}
		c := strings.Split(line, "\t")
		if len(c) != 12 {
			t.Fatalf("research_values.tsv:%d: %d columns, want 12", n, len(c))
		}
		rows = append(rows, researchRow{c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7], c[8], c[9], c[10], c[11], n})
	}
	return rows
}

// TestCatalogMatchesResearch checks every built-in limit against the table transcribed from
// the research, and that every row of the table is in the catalog.
func TestCatalogMatchesResearch(t *testing.T) {
	cat, err := LoadCatalog()
	if err != nil {
		t.Fatal(err)
	}
	rows := readResearch(t)
	used := make([]bool, len(rows))
	for _, reg := range cat.Regulations() {
		for _, l := range reg.Limits {
			var row *researchRow
			for i := range rows {
				r := &rows[i]
				if r.reg == reg.ID && r.param == l.Parameter && r.period == l.Period && dateMatches(r.from, l.From, reg, false) {
					if used[i] {
						t.Errorf("%s %s: research row %d matched twice", reg.ID, l.describe(), r.line)
					}
					row, used[i] = r, true
					break
				}
			}
			if row == nil {
				t.Errorf("%s %s from %v: not in research_values.tsv", reg.ID, l.describe(), l.From)
				continue
			}
			checkAgainstResearch(t, reg, &l, row)
		}
	}
	for i, r := range rows {
		if !used[i] {
			t.Errorf("research_values.tsv:%d: %s %s %s is not in the catalog", r.line, r.reg, r.param, r.period)
		}
	}
}

func checkAgainstResearch(t *testing.T, reg *Regulation, l *Limit, r *researchRow) {
	t.Helper()
	where := "research_values.tsv:" + strconv.Itoa(r.line) + ": " + reg.ID + " " + l.describe()
	p, _ := param.Lookup(r.param)
	lo, hi := "", r.value
	if r.bound == "range" {
		lo, hi, _ = strings.Cut(r.value, "..")
	}
	for _, b := range []struct {
		want string
		got  *float64
	}{{lo, l.Min}, {hi, l.Max}} {
		if b.want == "" {
			if b.got != nil {
				t.Errorf("%s: has a bound %v the research has not", where, *b.got)
			}
			continue
		}
		v, err := strconv.ParseFloat(b.want, 64)
		if err != nil {
			t.Fatalf("%s: %v", where, err)
		}
		want, err := p.ToCanonical(v, r.unit)
		if err != nil {
			t.Fatalf("%s: %v", where, err)
		}
		if b.got == nil || !closeTo(*b.got, want) {
			got := "none"
			if b.got != nil {
				got = strconv.FormatFloat(*b.got, 'g', -1, 64)
			}
			t.Errorf("%s: bound %s, research %v %s = %v %s", where, got, v, r.unit, want, p.Unit)
		}
	}
	if !strings.HasSuffix(l.Written, " "+r.unit) {
		t.Errorf("%s: written %q, research unit %s", where, l.Written, r.unit)
	}
	if !dateMatches(r.until, l.Until, reg, true) {
		t.Errorf("%s: until %v, research %q", where, l.Until, r.until)
	}
	if form := formColumn(l); form != r.allowed {
		t.Errorf("%s: exceedance form %q, research %q", where, form, r.allowed)
	}
	if l.Confidence != strings.TrimSuffix(r.confidence, "-T") {
		t.Errorf("%s: confidence %s, research %s", where, l.Confidence, r.confidence)
	}
	for _, key := range strings.Split(r.source, ",") {
		if key != "-" && !strings.Contains(l.Source, key) {
			t.Errorf("%s: source %q does not cite %s", where, l.Source, key)
		}
	}
	if r.source == "-" && !strings.Contains(l.Source, "not found") {
		t.Errorf("%s: a value without source must say so: %q", where, l.Source)
	}
}

// formColumn writes a limit's exceedance form as the research table's allowed column does:
// 35, p98, 4th, with /3y when averaged over three years.
func formColumn(l *Limit) string {
	var s string
	switch {
	case l.Percentile > 0:
		s = "p" + strconv.Itoa(l.Percentile)
	case l.NthHighest > 0:
		s = ordinal(l.NthHighest)
	case l.AllowedExceedances > 0:
		s = strconv.Itoa(l.AllowedExceedances)
	}
	if l.Years > 1 {
		s += "/" + strconv.Itoa(l.Years) + "y"
	}
	return s
}

func closeTo(a, b float64) bool {
	d := a - b
	return d < 1e-9*max(1, b) && -d < 1e-9*max(1, b)
}

// dateMatches compares a research date with a limit bound; an until date is inclusive.
func dateMatches(s string, got time.Time, reg *Regulation, until bool) bool {
	if s == "" {
		return got.IsZero()
	}
	loc, _ := time.LoadLocation(reg.Timezone)
	want, err := parseDate(s, loc, until)
	return err == nil && got.Equal(want)
}

// TestCatalogCitations checks what every built-in regulation and limit must say.
func TestCatalogCitations(t *testing.T) {
	cat, err := LoadCatalog()
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	for _, r := range cat.Regulations() {
		ids[r.ID] = true
		if r.Source.Document == "" || r.Country == "" || r.Title == "" {
			t.Errorf("%s: needs title, country and source.document", r.File)
		}
		if len(r.Limits) == 0 && r.Status != "no numeric limits known" {
			t.Errorf("%s: a file without limits must say why in status", r.File)
		}
		for _, l := range r.Limits {
			if l.Confidence == "" || l.Source == "" {
				t.Errorf("%s: %s: needs confidence and source", r.File, l.describe())
			}
			if l.Uncertain() && !strings.Contains(l.Note, "not evaluated") {
				t.Errorf("%s: %s: an uncertain value must say it is not evaluated", r.File, l.describe())
			}
		}
	}
	for _, id := range []string{"QCVN-05:2023", "QCVN-05:2013", "QCVN-40:2011/A", "QCVN-40:2011/B", "QCVN-14:2008/A",
		"QCVN-14:2008/B", "QCVN-40:2025", "QCVN-14:2025", "WHO-2021", "WHO-2021/IT-1", "WHO-2021/IT-4", "EU-2008/50",
		"EU-2024/2881", "US-NAAQS"} {
		if !ids[id] {
			t.Errorf("built-in regulation %s missing", id)
		}
	}
}

// TestCatalogCanonicalUnits checks conversions at load: mg/m³, ppm and µg/Nm³ to µg/m³.
func TestCatalogCanonicalUnits(t *testing.T) {
	cat, err := LoadCatalog()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		reg, param, period string
		want               float64
	}{
		{"QCVN-05:2023", "co", "8h", 10000},
		{"WHO-2021", "co", "24h", 4000},
		{"EU-2008/50", "co", "8h", 10000},
		{"US-NAAQS", "co", "8h", 9 * 28.01 / 24.45 * 1000},
		{"US-NAAQS", "no2", "1h", 100 * 46.01 / 24.45},
		{"US-NAAQS", "o3", "8h", 70 * 48.00 / 24.45},
		{"QCVN-40:2011/B", "cod", "sample", 150},
		{"US-NAAQS", "so2", "1h", 75 * 64.07 / 24.45},
		{"EU-2008/50", "no2", "1h", 200},
	} {
		r := cat.Regulation(tc.reg)
		var got float64
		for _, l := range r.Limits {
			if l.Parameter == tc.param && l.Period == tc.period {
				got = *l.Max
			}
		}
		if !closeTo(got, roundCanonical(tc.want)) {
			t.Errorf("%s %s %s: %v µg/m³, want %v", tc.reg, tc.param, tc.period, got, tc.want)
		}
	}
}

func TestParseRegulationErrors(t *testing.T) {
	head := "id: X-1\ntitle: t\nkind: air\nsource: {document: d}\nlimits:\n"
	for _, tc := range []struct{ name, yaml, want string }{
		{"unknown key", head + "  - {parameter: pm25, period: 24h, max: 1, unit: µg/m³, maximum: 2}\n", "f.yaml: yaml: unmarshal errors:\n  line 6: field maximum not found"},
		{"unknown top key", "id: X-1\ntitel: t\n", "line 2: field titel not found"},
		{"period", head + "  - {parameter: pm25, period: 2d, max: 1, unit: µg/m³}\n", "f.yaml:6: limits[0]: period \"2d\""},
		{"parameter", head + "  - {parameter: pm3, period: 1h, max: 1, unit: µg/m³}\n", "f.yaml:6: limits[0]: unknown parameter \"pm3\""},
		{"unit", head + "  - {parameter: pm25, period: 1h, max: 1, unit: mg/L}\n", "f.yaml:6: limits[0]: unit \"mg/L\""},
		{"no value", head + "  - {parameter: pm25, period: 1h, unit: µg/m³}\n", "one of max, min or range is required"},
		{"both", head + "  - {parameter: ph, period: 1h, max: 9, range: [6, 9], unit: pH}\n", "either range or min/max"},
		{"1y max", head + "  - {parameter: pm25, period: 1y, statistic: max, max: 9, unit: µg/m³}\n", "1y period supports only the mean"},
		{"range stat", head + "  - {parameter: pm25, period: 1h, statistic: range, max: 9, unit: µg/m³}\n", "statistic range needs a range"},
		{"statistic", head + "  - {parameter: pm25, period: 1h, statistic: p98, max: 9, unit: µg/m³}\n", "statistic \"p98\""},
		{"coverage", head + "  - {parameter: pm25, period: 1h, max: 9, unit: µg/m³, min_coverage: 1.5}\n", "min_coverage 1.5"},
		{"confidence", head + "  - {parameter: pm25, period: 1h, max: 9, unit: µg/m³, confidence: high}\n", "confidence \"high\""},
		{"date", head + "  - {parameter: pm25, period: 1h, max: 9, unit: µg/m³, from: 1.1.2026}\n", "from: \"1.1.2026\""},
		{"overlap", head + "  - {parameter: pm25, period: 1h, max: 9, unit: µg/m³, until: 2026-01-01}\n  - {parameter: pm25, period: 1h, max: 8, unit: µg/m³, from: 2026-01-01}\n", "versions overlap"},
		{"kind", "id: X-1\ntitle: t\nkind: soil\nsource: {document: d}\n", "f.yaml:1: kind: unknown kind \"soil\""},
		{"permit id", "id: permit\ntitle: t\nkind: air\nsource: {document: d}\n", "f.yaml:1: id:"},
		{"coefficient", head + "  - {parameter: cod, period: 1h, max: 9, unit: mg/L, coefficients: [Kq]}\n", "coefficient name \"Kq\""},
		{"sample statistic", head + "  - {parameter: pm25, period: sample, statistic: max, max: 9, unit: µg/m³}\n", "a sample limit compares every reading"},
		{"running", head + "  - {parameter: pm25, period: 25h, max: 9, unit: µg/m³}\n", "period \"25h\""},
		{"block", head + "  - {parameter: pm25, period: 7m, max: 9, unit: µg/m³}\n", "period \"7m\""},
		{"max8 period", head + "  - {parameter: o3, period: 1h, statistic: max_daily_8h, max: 9, unit: µg/m³}\n", "max_daily_8h needs period 8h"},
		{"dmax1 period", head + "  - {parameter: no2, period: 24h, statistic: daily_max_1h, max: 9, unit: µg/m³}\n", "daily_max_1h needs period 1h"},
		{"two forms", head + "  - {parameter: pm25, period: 24h, max: 9, unit: µg/m³, percentile: 98, allowed_exceedances_per_year: 3}\n", "give one of"},
		{"counted running", head + "  - {parameter: o3, period: 8h, max: 9, unit: µg/m³, allowed_exceedances_per_year: 3}\n", "counted in hours or days"},
		{"percentile hours", head + "  - {parameter: no2, period: 1h, max: 9, unit: µg/m³, percentile: 98}\n", "percentile must be 50-99 on a period counted in days"},
		{"years", head + "  - {parameter: pm25, period: 24h, max: 9, unit: µg/m³, years: 3}\n", "years averages a counted limit"},
		{"reference", "id: X-1\ntitle: t\nkind: air\nsource: {document: d}\nreference: {temperature: warm}\n", "f.yaml:1: reference.temperature"},
		{"annual", "id: X-1\ntitle: t\nkind: air\nsource: {document: d}\nannual_mean_of: weeks\n", "annual_mean_of: \"weeks\""},
	} {
		_, err := ParseRegulation([]byte(tc.yaml), "f.yaml")
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want it to contain %q", tc.name, err, tc.want)
		}
	}
}

func TestLoadCatalogExtraFiles(t *testing.T) {
	dir := t.TempDir()
	override := filepath.Join(dir, "qcvn40.yaml")
	writeErr := os.WriteFile(override, []byte(`id: QCVN-40:2025
title: QCVN 40:2025/BTNMT from the gazette
kind: wastewater
source: {document: "Circular 06/2025/TT-BTNMT"}
limits:
  - {parameter: cod, period: 1h, max: 100, unit: mg/L, confidence: C1, source: "Table 1"}
`), 0o644)
	if writeErr != nil {
		t.Fatal(writeErr)
	}
	extra := filepath.Join(dir, "local.yaml")
	if err := os.WriteFile(extra, []byte("id: LOCAL-1\ntitle: Provincial plan\nkind: air\nsource: {document: plan}\nlimits:\n  - {parameter: pm25, period: 24h, max: 40, unit: µg/m³}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cat, err := LoadCatalog(override, extra)
	if err != nil {
		t.Fatal(err)
	}
	if r := cat.Regulation("QCVN-40:2025"); r == nil || len(r.Limits) != 1 || r.File != override {
		t.Errorf("override not applied: %+v", r)
	}
	builtin, _ := LoadCatalog()
	if got, want := len(cat.Regulations()), len(builtin.Regulations())+1; got != want {
		t.Errorf("%d regulations, want %d (one replaced, one added)", got, want)
	}
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("id: BAD\ntitle: t\nkind: air\nsource: {document: d}\nlimits:\n  - {parameter: pm25, period: 1h, max: 1, unit: furlongs}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadCatalog(bad, filepath.Join(dir, "missing.yaml")); err == nil ||
		!strings.Contains(err.Error(), bad+":6: limits[0]: unit \"furlongs\"") || !strings.Contains(err.Error(), "missing.yaml") {
		t.Errorf("error %v, want file:line: key: reason for each file", err)
	}
}
