package i18n

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/quantrac/quantrac"
)

// Every label the templates ask for exists in both languages.
func TestTemplateLabels(t *testing.T) {
	files, _ := filepath.Glob("../../console/templates/*.html")
	more, _ := filepath.Glob("../../report/templates/*.html")
	files = append(files, more...)
	if len(files) < 5 {
		t.Fatalf("templates not found: %v", files)
	}
	key := regexp.MustCompile(`\.T "([a-z0-9_]+)"`)
	n := 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range key.FindAllStringSubmatch(string(b), -1) {
			n++
			if vi, en := text(m[1]); vi == "" || en == "" {
				t.Errorf("%s: label %q has no Vietnamese or English text", f, m[1])
			}
		}
	}
	// Labels built at run time: states, kinds, periods.
	for _, k := range []string{"air", "wastewater", "started", "ended", "violation", "silent", "insufficient", "ok",
		"state_ok", "state_exceeded", "state_insufficient_data", "state_no_data", "state_not_in_force", "state_unknown", "last_24h", "last_7d", "last_30d",
		"qc_invalidate", "qc_validate", "qc_source_auto", "qc_source_user"} {
		if vi, en := text(k); vi == "" || en == "" {
			t.Errorf("label %q has no Vietnamese or English text", k)
		}
	}
	if n < 50 {
		t.Errorf("only %d labels found in the templates", n)
	}
}

func TestDefaults(t *testing.T) {
	reg, err := quantrac.ParseRegistry([]byte(`stations:
  - {id: A, kind: air}
  - {id: B, kind: air, timezone: Europe/Paris}
  - {id: C, kind: air, timezone: Europe/Paris}
`), "s.yaml", quantrac.RegistryOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if ForStation(reg.Station("A")) != VI || ForStation(reg.Station("B")) != EN || ForRegistry(reg) != EN {
		t.Errorf("defaults: A %s, B %s, registry %s", ForStation(reg.Station("A")), ForStation(reg.Station("B")), ForRegistry(reg))
	}
	if l, ok := Parse("en"); !ok || l.T("map") != "Map" || VI.T("map") != "Bản đồ" || EN.T("no-such-key") != "no-such-key" {
		t.Errorf("T: %v %v", l, ok)
	}
	if _, ok := Parse("fr"); ok {
		t.Error("Parse(fr) accepted")
	}
}

// The data-quality labels say "exceedance" ("vượt"), never "violation" ("vi phạm"): an
// automatic verdict is not a legal finding.
func TestQCLabelsWords(t *testing.T) {
	keys := []string{"qc_spans", "qc_spans_note", "qc_shaded_auto", "qc_shaded_user", "qc_source", "qc_source_auto", "qc_source_user",
		"qc_action", "qc_invalidate", "qc_validate", "qc_to", "qc_all_parameters", "qc_by", "qc_created", "qc_revoked", "qc_in_force",
		"qc_revoke", "qc_revoke_confirm", "qc_form", "qc_form_help", "qc_reason_example", "qc_save", "qc_failed", "approve_month", "approve_confirm"}
	for _, k := range keys {
		vi, en := qcText(k)
		if vi == "" || en == "" {
			t.Errorf("label %q has no Vietnamese or English text", k)
		}
		if strings.Contains(strings.ToLower(en), "violat") || strings.Contains(strings.ToLower(vi), "vi phạm") {
			t.Errorf("label %q says violation: %q / %q", k, vi, en)
		}
	}
}

// No label says "violation" ("vi phạm"): an automatic verdict is an exceedance, never a legal
// finding — only an inspection makes that.
func TestNoLabelSaysViolation(t *testing.T) {
	files, _ := filepath.Glob("labels*.go")
	if len(files) < 4 {
		t.Fatalf("label files: %v", files)
	}
	n := 0
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range regexp.MustCompile(`return "([^"]*)",\s*"([^"]*)"`).FindAllStringSubmatch(string(src), -1) {
			n++
			vi, en := strings.ToLower(m[1]), strings.ToLower(m[2])
			if strings.Contains(vi, "vi phạm") || strings.Contains(en, "violat") {
				t.Errorf("%s: label %q / %q says violation", f, m[1], m[2])
			}
		}
	}
	if n < 150 {
		t.Errorf("only %d labels read", n)
	}
}

// The words follow the force: a national standard is exceeded, a permit's limit too, a
// reference only passed, and named so that nobody takes it for a standard.
func TestWords(t *testing.T) {
	for _, c := range []struct {
		l                 Lang
		force, regulation string
		want              string
	}{
		{VI, "binding", "QCVN-05:2023", "Vượt quy chuẩn"},
		{EN, "binding", "QCVN-05:2023", "Exceeds the standard"},
		{VI, "binding", "permit", "Vượt giới hạn cho phép"},
		{EN, "binding", "permit", "Exceeds the permitted limit"},
		{VI, "reference", "WHO-2021", "Vượt ngưỡng tham chiếu WHO-2021"},
		{EN, "reference", "WHO-2021", "Above the reference level WHO-2021"},
		{VI, "", "QCVN-40:2011/B", "Vượt quy chuẩn"},
	} {
		if got := c.l.Words(c.force, c.regulation); got != c.want {
			t.Errorf("%s Words(%q, %q) = %q, want %q", c.l, c.force, c.regulation, got, c.want)
		}
	}
}
