package rules

import (
	"strings"
	"testing"

	"github.com/quantrac/quantrac"
)

// A limit binds a station when its regulation is binding in the station's country, or is the
// station's permit; every other limit is a reference for it, whatever the verdict says.
func TestForceFollowsRegulationAndCountry(t *testing.T) {
	cat := mustCatalog(t)
	vn, th, us, eu := airStation("VN-1"), airStation("TH-1"), airStation("US-1"), airStation("EU-1")
	th.Country, us.Country, eu.Country = "TH", "US", "EU"
	mustRegistry(t, vn, th, us, eu) // fills vn.Country with the default
	find := func(reg, param, period string) *rule {
		t.Helper()
		for _, r := range cat.Regulation(reg).rules {
			if r.param == param && r.period == period {
				return r
			}
		}
		t.Fatalf("%s has no %s %s rule", reg, param, period)
		return nil
	}
	cases := []struct {
		reg, param, period string
		st                 *quantrac.Station
		want               string
	}{
		{"QCVN-05:2023", "pm25", "24h", vn, ForceBinding},
		{"QCVN-05:2023", "pm25", "24h", th, ForceReference}, // another country's standard
		{"WHO-2021", "pm25", "24h", vn, ForceReference},     // a guideline binds no one
		{"US-NAAQS", "pm25", "24h", us, ForceBinding},
		{"US-NAAQS", "pm25", "24h", vn, ForceReference},
		{"EU-2024/2881", "pm25", "24h", eu, ForceBinding},
		{"EU-2024/2881", "o3", "8h", eu, ForceReference}, // a target value, not a limit value
		{"EU-2024/2881/information", "o3", "1h", eu, ForceReference},
	}
	for _, c := range cases {
		if got := find(c.reg, c.param, c.period).forceFor(c.st); got != c.want {
			t.Errorf("%s %s %s at a station of %s: %s, want %s", c.reg, c.param, c.period, c.st.Country, got, c.want)
		}
	}
	// The exported form, on a regulation's limits, agrees.
	if q, w := cat.Regulation("QCVN-05:2023"), cat.Regulation("WHO-2021"); q.ForceFor(&q.Limits[0], vn) != ForceBinding ||
		q.ForceFor(&q.Limits[0], th) != ForceReference || w.ForceFor(&w.Limits[0], vn) != ForceReference {
		t.Error("Regulation.ForceFor disagrees with the rules' force")
	}
	codMax := 75.0
	ww := &quantrac.Station{ID: "WW-1", Kind: quantrac.Wastewater, Country: "TH",
		Limits: []quantrac.PermitLimit{{Parameter: "cod", Max: &codMax, Unit: "mg/L"}}}
	for _, r := range permitRules(ww) {
		if got := r.forceFor(ww); got != ForceBinding {
			t.Errorf("permit %s %s: %s, want binding", r.param, r.period, got)
		}
	}
}

func TestParseRegulationForce(t *testing.T) {
	const head = "id: X-1\ntitle: x\nkind: air\nsource: {document: d}\n"
	reg, err := ParseRegulation([]byte(head+"limits:\n  - {parameter: pm25, period: 24h, max: 10, unit: µg/m³}\n"), "x.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if reg.Force != ForceGuideline {
		t.Errorf("a file without force: %q, want %q (binds only where the file says so)", reg.Force, ForceGuideline)
	}
	for _, c := range []struct{ body, want string }{
		{"force: law\nlimits: []\n", `x.yaml:1: force: "law": want binding or guideline`},
		{"force: guideline\nlimits:\n  - {parameter: pm25, period: 24h, max: 10, unit: µg/m³, force: binding}\n", `force "binding": a limit can only be guideline`},
		{"force: binding\nlimits:\n  - {parameter: pm25, period: 24h, max: 10, unit: µg/m³, until: 2026-01-01}\n" +
			"  - {parameter: pm25, period: 24h, max: 8, unit: µg/m³, from: 2026-01-02, force: guideline}\n", "versions have different forces"},
	} {
		_, err := ParseRegulation([]byte(head+c.body), "x.yaml")
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: error %v, want it to say %q", c.body, err, c.want)
		}
	}
}
