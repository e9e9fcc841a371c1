package payload

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// benchPayloads are real-looking messages of each format; n is the number of readings each
// decodes to, all accepted.
var benchPayloads = []struct {
	name    string
	format  Format
	station string
	n       int
	payload string
}{
	{"JSON", JSON, "LC-AQ-01", 10, `{"time":"2026-11-28T14:05:00+07:00","station":"LC-AQ-01","status":"00","readings":{
		"pm25":38.2,"pm10":61.7,"tsp":95,"so2":{"value":12,"unit":"ppb"},"no2":{"value":21.5,"unit":"ppb"},
		"co":{"value":0.45,"unit":"ppm"},"o3":{"value":48.1,"status":"01"},"temp":24.3,"rh":81,"pressure":100.9}}`},
	{"JSONBacklog", JSON, "LC-WW-01", 72, jsonBacklog(12)},
	{"SenML", SenML, "LC-AQ-01", 10, `[{"bn":"LC-AQ-01/","bt":1795849500,"bu":"ug/m3","n":"pm25","v":38.2},
		{"n":"pm10","v":61.7},{"n":"tsp","v":95},{"n":"so2","u":"ppb","v":12},{"n":"no2","u":"ppb","v":21.5},
		{"n":"co","u":"ppm","v":0.45},{"n":"o3","v":48.1,"status":"01"},{"n":"temp","u":"Cel","v":24.3},
		{"n":"rh","u":"%RH","v":81},{"n":"pressure","u":"kPa","v":100.9}]`},
	{"LineProtocol", LineProtocol, "LC-AQ-01", 10,
		`air,station=LC-AQ-01 pm25=38.2,pm10=61.7,tsp=95,so2=12,so2_unit="ppb",no2=21.5,no2_unit="ppb" 1795849500000000000` + "\n" +
			`air,station=LC-AQ-01 co=0.45,co_unit="ppm",o3=48.1,o3_status="01",temp=24.3,rh=81i,pressure=100.9 1795849500000000000` + "\n"},
	{"DataLine", DataLine, "LC-WW-01", 10, "\ufeffFlow\t42.50\tm3/h\t20261128140500\t00\r\nTemp\t27.1\t°C\t20261128140500\t00\r\n" +
		"pH\t7.21\t-\t20261128140500\t00\r\nTSS\t18.4\tmg/L\t20261128140500\t00\r\nCOD\t64,2\tmg/L\t20261128140500\t01\r\n" +
		"NH4\t2.10\tmg/L\t20261128140500\t00\r\nTP\t0.8\tmg/L\t20261128140500\t00\r\nTN\t11.8\tmg/L\t20261128140500\t00\r\n" +
		"TOC\t20\tmg/L\t20261128140500\t00\r\nColor\t20\tPt-Co\t20261128140500\t00\r\n"},
}

// jsonBacklog returns n five-minute messages of six wastewater readings each, the last at
// testTime.
func jsonBacklog(n int) string {
	var b strings.Builder
	b.WriteString("[")
	for i := range n {
		if i > 0 {
			b.WriteString(",\n")
		}
		t := testTime.Add(-time.Duration(n-1-i) * 5 * time.Minute).Format(time.RFC3339)
		fmt.Fprintf(&b, `{"time":%q,"readings":{"flow":{"value":%d,"unit":"m3/h"},"temp":27.1,"ph":7.2,"tss":18,"cod":{"value":64,"unit":"mg/L"},"NH4+":2.1}}`, t, 40+i)
	}
	b.WriteString("]")
	return b.String()
}

func BenchmarkParse(b *testing.B) {
	reg := testRegistry(b)
	for _, bp := range benchPayloads {
		b.Run(bp.name, func(b *testing.B) {
			st, payload := reg.Station(bp.station), []byte(bp.payload)
			p, out := NewParser(Limits{}), &Result{}
			b.ReportAllocs()
			b.SetBytes(int64(len(payload)))
			for b.Loop() {
				out.Reset()
				if err := p.Parse(bp.format, st, st.Kind, payload, testNow, out); err != nil || len(out.Readings) != bp.n {
					b.Fatalf("%v: %d readings, %v", err, len(out.Readings), out.Rejected)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*bp.n), "ns/reading")
		})
	}
}

func BenchmarkDetect(b *testing.B) {
	for _, bp := range benchPayloads {
		b.Run(bp.name, func(b *testing.B) {
			payload := []byte(bp.payload)
			b.ReportAllocs()
			for b.Loop() {
				if Detect(payload) != bp.format {
					b.Fatal("misdetected")
				}
			}
		})
	}
}

// TestAllocsPerReading pins the hot-path promise: in the steady state a reused Parser and
// Result decode every format without allocating per reading (the budget is 2).
func TestAllocsPerReading(t *testing.T) {
	reg := testRegistry(t)
	for _, bp := range benchPayloads {
		st, payload := reg.Station(bp.station), []byte(bp.payload)
		p, out := NewParser(Limits{}), &Result{}
		allocs := testing.AllocsPerRun(50, func() {
			out.Reset()
			if err := p.Parse(Auto, st, st.Kind, payload, testNow, out); err != nil || len(out.Readings) != bp.n {
				t.Fatalf("%s: %d readings, %v %v", bp.name, len(out.Readings), err, out.Rejected)
			}
		})
		if perReading := allocs / float64(bp.n); perReading > 0.2 {
			t.Errorf("%s: %.2f allocations per reading (%v per message)", bp.name, perReading, allocs)
		}
	}
}
