package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

func testCatalog(t *testing.T) catalog {
	t.Helper()
	cat, err := loadCatalog(filepath.Join("..", "..", "rules", "catalog"))
	if err != nil {
		t.Fatal(err)
	}
	return cat
}

// The thresholds drawn are the newest version of each period's limit, ordered by period.
func TestCurrentLimits(t *testing.T) {
	cat := testCatalog(t)
	for _, tc := range []struct {
		reg, param string
		want       string // period=max, …
	}{
		{"QCVN-05:2023", "pm25", "24h=45 1y=25"}, // 50 until 2025-12-31, 45 from 2026-01-01
		{"QCVN-05:2023", "co", "1h=30000 8h=10000"},
		{"QCVN-40:2011/B", "cod", "sample=150"}, // every sample
		{"QCVN-40:2011/B", "bod5", "sample=50"},
		{"EU-2008/50", "pm25", "1y=25"}, // the stage-2 20 is U: listed, not evaluated, not drawn
	} {
		ls, err := cat.current(tc.reg, tc.param)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, l := range ls {
			got = append(got, l.Period+"="+ftoa(*l.Max))
		}
		if strings.Join(got, " ") != tc.want {
			t.Errorf("%s %s: %v, want %s", tc.reg, tc.param, got, tc.want)
		}
	}
	if _, err := cat.current("NO-SUCH", "pm25"); err == nil {
		t.Error("an unknown regulation gives no error")
	}
}

func ftoa(f float64) string { b, _ := json.Marshal(f); return string(b) }

// A range (pH) becomes a band: red below, green inside, red above; maxima become ascending
// steps coloured by period.
func TestLimitSteps(t *testing.T) {
	cat := testCatalog(t)
	for _, tc := range []struct {
		reg, param, want string
	}{
		{"QCVN-40:2011/B", "ph", "red 5.5:green 9:red"},
		{"QCVN-05:2023", "no2", "green 40:yellow 100:orange 200:red"},
	} {
		ls, _ := cat.current(tc.reg, tc.param)
		th, err := limitSteps(ls).Build()
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, s := range th.Steps {
			if s.Value == nil {
				got = append(got, s.Color)
			} else {
				got = append(got, ftoa(*s.Value)+":"+s.Color)
			}
		}
		if strings.Join(got, " ") != tc.want {
			t.Errorf("%s %s: %v, want %s", tc.reg, tc.param, got, tc.want)
		}
	}
}

// Every panel gets the datasource of its queries; a panel mixing datasources is an error.
func TestRenderSetsPanelDatasources(t *testing.T) {
	files, err := render(testCatalog(t))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 4 {
		t.Fatalf("%d dashboards, want 4", len(files))
	}
	for name, b := range files {
		var d struct {
			Panels []struct {
				Type       string `json:"type"`
				Title      string `json:"title"`
				Datasource *struct {
					UID string `json:"uid"`
				} `json:"datasource"`
			} `json:"panels"`
		}
		if err := json.Unmarshal(b, &d); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for _, p := range d.Panels {
			if p.Type != "row" && (p.Datasource == nil || (p.Datasource.UID != influxUID && p.Datasource.UID != promUID)) {
				t.Errorf("%s %q: datasource %+v", name, p.Title, p.Datasource)
			}
		}
	}
}
