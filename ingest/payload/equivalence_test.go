package payload

import (
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/quantrac/quantrac"
	"github.com/quantrac/quantrac/param"
)

// TestSameReadingsEveryFormat is the formats' acceptance check: the same readings sent as a
// native JSON object, a JSON backlog array, SenML, line protocol and data line records decode
// to identical readings.
func TestSameReadingsEveryFormat(t *testing.T) {
	payloads := map[string]string{
		"json object": `{"time":"2026-11-28T14:05:00+07:00","station":"LC-AQ-01","readings":{
			"pm25":38.2,"pm10":50,"so2":{"value":12,"unit":"ppb"},"o3":{"value":40,"status":"01"},"co":{"value":1.2,"unit":"mg/m3"}}}`,
		"json backlog": `[{"time":"2026-11-28T07:05:00Z","readings":{"PM2.5":38.2,"PM10":50}},
			{"time":` + testUnix + `,"readings":{"SO2":{"value":12,"unit":"ppb"},"O3":{"value":40,"status":1},"CO":{"value":1200,"unit":"µg/m³"}}}]`,
		"senml": `[{"bn":"LC-AQ-01/","bt":` + testUnix + `,"bu":"ug/m3","n":"pm25","v":38.2},{"n":"pm10","v":50},
			{"n":"so2","u":"ppb","v":12},{"n":"o3","v":40,"status":"01"},{"n":"co","u":"mg/m3","v":1.2}]`,
		"line protocol": "air,station=LC-AQ-01 pm25=38.2,pm10=50i " + testUnix + "000000000\n" +
			`air,station=LC-AQ-01 so2=12,so2_unit="ppb",o3=40,o3_status="01",co=1.2,co_unit="mg/m3" ` + testUnix + "000000000\n",
		"data line": "\ufeffPM2,5\t38,2\tµg/Nm3\t20261128140500\t00\r\nPM10\t50\tµg/Nm3\t20261128140500\t00\r\n" +
			"SO2\t12\tppb\t20261128140500\t00\r\nO3\t40\tµg/Nm3\t20261128140500\t01\r\nCO\t1,2\tmg/Nm3\t20261128140500\t00\r\n",
	}
	so2, _ := param.Lookup("so2")
	so2v, _ := so2.ToCanonical(12, "ppb")
	want := []quantrac.Reading{
		reading("pm25", 38.2), reading("pm10", 50), reading("so2", so2v),
		withStatus(reading("o3", 40), "01"), reading("co", 1200),
	}
	for name, payload := range payloads {
		got, err := parse(t, Auto, "LC-AQ-01", payload)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(got.Rejected) != 0 {
			t.Errorf("%s: rejected %v", name, got.Rejected)
		}
		if !slices.Equal(got.Readings, want) {
			t.Errorf("%s:\n got %v\nwant %v", name, got.Readings, want)
		}
	}
	got, _ := parse(t, SenML, "LC-AQ-01", payloads["senml"])
	if so2 := got.Readings[2].Value; so2 < 31.4-0.05 || so2 > 31.4+0.05 {
		t.Errorf("SO2 12 ppb stored as %v µg/m³, want 31.4", so2)
	}
	if o3 := got.Readings[3]; o3.Status != "01" || o3.Valid() {
		t.Errorf("status 01 reading %+v: want Status 01 and not Valid", o3)
	}
}

// TestFormatsDoc decodes the first code block of each format section of FORMATS.md: the
// documentation's examples must stay true and give the same readings.
func TestFormatsDoc(t *testing.T) {
	doc, err := os.ReadFile("FORMATS.md")
	if err != nil {
		t.Fatal(err)
	}
	sections := map[string]Format{"## Native JSON": JSON, "## SenML": SenML, "## InfluxDB line protocol": LineProtocol, "## Circular 10/2021": DataLine}
	var first []quantrac.Reading
	for heading, format := range sections {
		_, rest, ok := strings.Cut(string(doc), heading)
		if !ok {
			t.Fatalf("FORMATS.md has no section %q", heading)
		}
		_, rest, _ = strings.Cut(rest, "```")
		_, rest, _ = strings.Cut(rest, "\n") // language tag
		block, _, ok := strings.Cut(rest, "```")
		if !ok {
			t.Fatalf("%s: no code block", heading)
		}
		if got := Detect([]byte(block)); got != format {
			t.Errorf("%s: example detected as %v", heading, got)
		}
		got, err := parse(t, format, "LC-AQ-01", block)
		if err != nil || len(got.Rejected) != 0 || len(got.Readings) != 3 {
			t.Fatalf("%s: %v readings, %v rejected, %v", heading, got.Readings, got.Rejected, err)
		}
		if first == nil {
			first = got.Readings
		} else if !slices.Equal(first, got.Readings) {
			t.Errorf("%s: readings differ from the other examples:\n%v\n%v", heading, got.Readings, first)
		}
	}
}
