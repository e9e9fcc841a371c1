package payload

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/quantrac/quantrac"
)

type decodeCase struct {
	name    string
	format  Format
	station string // default LC-AQ-01
	payload string
	want    []quantrac.Reading
	rejects []string // reasons, in order
	err     string   // message-level reason
	lim     Limits
}

func runDecodeCases(t *testing.T, cases []decodeCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			id := c.station
			if id == "" {
				id = "LC-AQ-01"
			}
			got, err := parseWith(t, c.lim, c.format, id, c.payload)
			if c.err != "" {
				var me *MessageError
				if !errors.As(err, &me) || me.Reason != c.err {
					t.Fatalf("error = %v, want a %s MessageError", err, c.err)
				}
				if len(got.Readings)+len(got.Rejected) != 0 {
					t.Errorf("failed message left %d readings and %d rejections", len(got.Readings), len(got.Rejected))
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if !approxEqual(got.Readings, c.want) {
				t.Errorf("readings:\n got %v\nwant %v", got.Readings, c.want)
			}
			if r := reasons(got); !slices.Equal(r, c.rejects) {
				t.Errorf("rejected = %v (%v), want %v", r, got.Rejected, c.rejects)
			}
		})
	}
}

func TestNativeJSON(t *testing.T) {
	at := func(r quantrac.Reading, d time.Duration) quantrac.Reading { r.Time = r.Time.Add(d); return r }
	runDecodeCases(t, []decodeCase{
		{name: "object", format: JSON, payload: `{"time":"2026-11-28T14:05:00+07:00","station":"LC-AQ-01","status":"00",
			"readings":{"pm25":38.2,"so2":{"value":12,"unit":"ppb","status":"01"}}}`,
			want: []quantrac.Reading{reading("pm25", 38.2), withStatus(reading("so2", 12*64.07/24.45), "01")}},
		{name: "readings before time", format: JSON, payload: `{"readings":{"PM2.5":1},"time":"2026-11-28T07:05:00Z"}`,
			want: []quantrac.Reading{reading("pm25", 1)}},
		{name: "unix seconds", format: JSON, payload: `{"time":` + testUnix + `,"readings":{"pm10":50}}`,
			want: []quantrac.Reading{reading("pm10", 50)}},
		{name: "unix seconds string", format: JSON, payload: `{"time":"` + testUnix + `","readings":{"pm10":50}}`,
			want: []quantrac.Reading{reading("pm10", 50)}},
		{name: "fractional unix", format: JSON, payload: `{"time":1795849500.5,"readings":{"pm10":50}}`,
			want: []quantrac.Reading{at(reading("pm10", 50), 500*time.Millisecond)}},
		{name: "message status numeric", format: JSON, payload: `{"time":` + testUnix + `,"status":1,"readings":{"co":{"value":1,"unit":"mg/m3"}}}`,
			want: []quantrac.Reading{withStatus(reading("co", 1000), "01")}},
		{name: "reading status overrides", format: JSON, payload: `{"time":` + testUnix + `,"status":"02","readings":{"o3":{"value":1,"status":"00"},"no2":2}}`,
			want: []quantrac.Reading{reading("o3", 1), withStatus(reading("no2", 2), "02")}},
		{name: "nonstandard status kept", format: JSON, payload: `{"time":` + testUnix + `,"readings":{"o3":{"value":1,"status":"03"},"no2":{"value":2,"status":"X9"}}}`,
			want: []quantrac.Reading{withStatus(reading("o3", 1), "03"), withStatus(reading("no2", 2), "X9")}},
		{name: "per reading time", format: JSON, payload: `{"readings":{"o3":{"value":1,"time":"2026-11-28T07:04:00Z"}},"time":` + testUnix + `}`,
			want: []quantrac.Reading{at(reading("o3", 1), -time.Minute)}},
		{name: "numeric string", format: JSON, payload: `{"time":` + testUnix + `,"readings":{"o3":"12.5"}}`,
			want: []quantrac.Reading{reading("o3", 12.5)}},
		{name: "escaped key", format: JSON, payload: `{"time":` + testUnix + `,"readings":{"PM2\u002e5":3,"Nhi\u1ec7t \u0111\u1ed9":25}}`,
			want: []quantrac.Reading{reading("pm25", 3), reading("temp", 25)}},
		{name: "alias station", format: JSON, payload: `{"station":"LaiChau_AQ01","time":` + testUnix + `,"readings":{"o3":1}}`,
			want: []quantrac.Reading{reading("o3", 1)}},
		{name: "backlog", format: JSON, payload: `[{"time":"2026-11-28T14:00:00+07:00","readings":{"pm25":30}},
			{"time":"2026-11-28T14:05:00+07:00","readings":{"pm25":38.2}}]`,
			want: []quantrac.Reading{at(reading("pm25", 30), -5*time.Minute), reading("pm25", 38.2)}},
		{name: "empty backlog", format: JSON, payload: `[]`},
		{name: "unknown members ignored", format: JSON, payload: `{"fw":{"v":[1,2,{"x":null}]},"time":` + testUnix + `,"readings":{"o3":1},"extra":true}`,
			want: []quantrac.Reading{reading("o3", 1)}},
		{name: "wastewater maintenance", format: JSON, station: "LC-WW-01",
			payload: `{"time":"2026-11-28T06:30:00Z","readings":{"cod":80,"NH4+":{"value":5000,"unit":"µg/L"}}}`,
			want: func() []quantrac.Reading {
				a, b := wwReading("cod", 80), wwReading("nh4_n", 5)
				a.Time, b.Time = time.Date(2026, 11, 28, 6, 30, 0, 0, time.UTC), time.Date(2026, 11, 28, 6, 30, 0, 0, time.UTC)
				a.Maintenance, b.Maintenance = true, true
				return []quantrac.Reading{a, b}
			}()},
		{name: "reading rejects", format: JSON, payload: `{"time":` + testUnix + `,"readings":{
			"pm25":-1, "xyz":1, "so2":{"value":1,"unit":"furlong"}, "o3":null, "no2":"abc", "co":true,
			"pm10":{"unit":"ug/m3"}, "tsp":[1], "ph":7, "PM2,5":4, "temp":1e400}}`,
			want:    []quantrac.Reading{reading("ph", 7)},
			rejects: []string{"out_of_range", "unknown_parameter", "unknown_unit", "not_a_number", "not_a_number", "not_a_number", "not_a_number", "not_a_number", "duplicate_parameter", "not_a_number"}},
		{name: "missing time", format: JSON, payload: `{"readings":{"pm25":1}}`, rejects: []string{"bad_time"}},
		{name: "bad time", format: JSON, payload: `{"time":"yesterday","readings":{"pm25":1}}`, rejects: []string{"bad_time"}},
		{name: "bad date", format: JSON, payload: `{"time":"2026-02-30T00:00:00Z","readings":{"pm25":1}}`, rejects: []string{"bad_time"}},
		{name: "future", format: JSON, payload: `{"time":"2026-11-28T08:00:00Z","readings":{"pm25":1}}`, rejects: []string{"future_time"}},
		{name: "within skew", format: JSON, payload: `{"time":"2026-11-28T07:14:00Z","readings":{"pm25":1}}`,
			want: []quantrac.Reading{at(reading("pm25", 1), 9*time.Minute)}},
		{name: "too old", format: JSON, payload: `{"time":"2025-01-01T00:00:00Z","readings":{"pm25":1}}`, rejects: []string{"too_old"}},
		{name: "forbidden", format: JSON, payload: `{"station":"LC-AQ-02","time":` + testUnix + `,"readings":{"pm25":1}}`, err: "forbidden"},
		{name: "forbidden in backlog", format: JSON, payload: `[{"time":` + testUnix + `,"readings":{"pm25":1}},{"station":"X","readings":{}}]`, err: "forbidden"},
		{name: "no readings", format: JSON, payload: `{"time":` + testUnix + `}`, err: "malformed"},
		{name: "readings not object", format: JSON, payload: `{"time":` + testUnix + `,"readings":[1]}`, err: "malformed"},
		{name: "truncated", format: JSON, payload: `{"time":` + testUnix + `,"readings":{"pm25":1`, err: "malformed"},
		{name: "trailing", format: JSON, payload: `{"time":` + testUnix + `,"readings":{}} x`, err: "malformed"},
		{name: "trailing comma", format: JSON, payload: `[{"time":` + testUnix + `,"readings":{}},]`, err: "malformed"},
		{name: "bad status", format: JSON, payload: `{"time":` + testUnix + `,"status":"not a status!","readings":{}}`, err: "malformed"},
		{name: "scalar", format: JSON, payload: `42`, err: "malformed"},
		{name: "number 01", format: JSON, payload: `{"time":` + testUnix + `,"readings":{"pm25":01}}`, err: "malformed"},
		{name: "number 1.", format: JSON, payload: `{"time":` + testUnix + `,"readings":{"pm25":1.}}`, err: "malformed"},
		{name: "number .5", format: JSON, payload: `{"time":` + testUnix + `,"readings":{"pm25":.5}}`, err: "malformed"},
		{name: "number +1", format: JSON, payload: `{"time":` + testUnix + `,"readings":{"pm25":+1}}`, err: "malformed"},
		{name: "number 1e", format: JSON, payload: `{"time":` + testUnix + `,"readings":{"pm25":1e}}`, err: "malformed"},
		{name: "number -", format: JSON, payload: `{"time":` + testUnix + `,"readings":{"pm25":-}}`, err: "malformed"},
		{name: "number 1.5.3", format: JSON, payload: `{"time":` + testUnix + `,"readings":{"pm25":1.5.3}}`, err: "malformed"},
		{name: "number 1e+-2", format: JSON, payload: `{"time":` + testUnix + `,"readings":{"pm25":1e+-2}}`, err: "malformed"},
		{name: "number skipped 01", format: JSON, payload: `{"x":01,"time":` + testUnix + `,"readings":{}}`, err: "malformed"},
		{name: "senml number +1", format: SenML, payload: `[{"bt":` + testUnix + `,"n":"o3","v":+1}]`, err: "malformed"},
		{name: "numbers JSON allows", format: JSON, payload: `{"time":` + testUnix + `,"readings":{"pm25":0,"temp":-0.5,"o3":1.25E+1,"no2":2e-0,"so2":0.0}}`,
			want: []quantrac.Reading{reading("pm25", 0), reading("temp", -0.5), reading("o3", 12.5), reading("no2", 2), reading("so2", 0)}},
		{name: "deep", format: JSON, payload: `{"x":` + strings.Repeat("[", 100) + strings.Repeat("]", 100) + `,"readings":{}}`, err: "malformed"},
	})
}

func TestSenML(t *testing.T) {
	runDecodeCases(t, []decodeCase{
		{name: "base fields", format: SenML, payload: `[{"bn":"LC-AQ-01/","bt":` + testUnix + `,"bu":"ug/m3","n":"pm25","v":38.2},
			{"n":"so2","u":"ppb","v":12},{"n":"pm10","v":50,"t":-300}]`,
			want: []quantrac.Reading{reading("pm25", 38.2), reading("so2", 12*64.07/24.45),
				func() quantrac.Reading { r := reading("pm10", 50); r.Time = testTime.Add(-5 * time.Minute); return r }()}},
		{name: "urn prefix and base value", format: SenML, payload: `[{"bn":"urn:dev:ow:LaiChau_AQ01:","bt":` + testUnix + `,"bv":10,"n":"o3","v":2},{"n":"no2"}]`,
			want: []quantrac.Reading{reading("o3", 12), reading("no2", 10)}},
		{name: "no prefix", format: SenML, payload: `[{"n":"temp","u":"Cel","v":25,"t":` + testUnix + `}]`,
			want: []quantrac.Reading{reading("temp", 25)}},
		{name: "relative to now refused", format: SenML, payload: `[{"n":"temp","v":25,"t":-300}]`, rejects: []string{"no_time"}},
		{name: "relative to now accepted", format: SenML, payload: `[{"n":"temp","v":25,"t":-300}]`, lim: Limits{AcceptReceiveTime: true},
			want: []quantrac.Reading{reading("temp", 25)}},
		{name: "no time refused", format: SenML, payload: `[{"n":"temp","v":25},{"n":"o3","v":1,"bt":0}]`, rejects: []string{"no_time", "no_time"}},
		{name: "no time accepted", format: SenML, payload: `[{"n":"temp","v":25}]`, lim: Limits{AcceptReceiveTime: true},
			want: []quantrac.Reading{func() quantrac.Reading { r := reading("temp", 25); r.Time = testNow; return r }()}},
		{name: "base only record", format: SenML, payload: `[{"bn":"LC-AQ-01/","bt":` + testUnix + `},{"n":"o3","v":1}]`,
			want: []quantrac.Reading{reading("o3", 1)}},
		{name: "non numeric values", format: SenML, payload: `[{"bt":` + testUnix + `,"n":"o3","vs":"high"},{"n":"no2","vb":true},{"n":"co","vd":"AQ=="},{"n":"so2","s":4},{"n":"pm10","v":"3"},{"n":"pm25"}]`,
			rejects: []string{"not_a_number", "not_a_number", "not_a_number", "not_a_number", "not_a_number", "not_a_number"}},
		{name: "units and ranges", format: SenML, payload: `[{"bt":` + testUnix + `,"n":"o3","u":"ppb","v":-1},{"n":"rh","u":"%RH","v":101},{"n":"pm25","u":"ppb","v":1}]`,
			rejects: []string{"out_of_range", "out_of_range", "unknown_unit"}},
		{name: "forbidden name", format: SenML, payload: `[{"bn":"LC-AQ-02/","n":"o3","v":1}]`, err: "forbidden"},
		{name: "must understand", format: SenML, payload: `[{"n":"o3","v":1,"foo_":1}]`, err: "malformed"},
		{name: "not an array", format: SenML, payload: `{"n":"o3","v":1}`, err: "malformed"},
		{name: "element not object", format: SenML, payload: `[1]`, err: "malformed"},
		{name: "bn not string", format: SenML, payload: `[{"bn":1}]`, err: "malformed"},
	})
}

func TestLineProtocol(t *testing.T) {
	ns := testUnix + "000000000"
	runDecodeCases(t, []decodeCase{
		{name: "one line", format: LineProtocol, payload: "air,station=LC-AQ-01 pm25=38.2,so2=12,so2_unit=\"ppb\",so2_status=\"01\" " + ns,
			want: []quantrac.Reading{reading("pm25", 38.2), withStatus(reading("so2", 12*64.07/24.45), "01")}},
		{name: "several lines and comments", format: LineProtocol, payload: "# backlog\nair,station=LC-AQ-01,site=x pm25=1i " + ns + "\r\n\nair pm10=2u,status=\"01\" " + ns + "\n",
			want: []quantrac.Reading{reading("pm25", 1), withStatus(reading("pm10", 2), "01")}},
		{name: "escapes", format: LineProtocol, payload: `air,station=LC-AQ-01,note=a\ b\,c PM2.5=3,temp_status=1,temp=20 ` + ns,
			want: []quantrac.Reading{reading("pm25", 3), withStatus(reading("temp", 20), "01")}},
		{name: "no timestamp refused", format: LineProtocol, payload: "air o3=1,pm25=2\nair pm10=3 " + ns,
			want: []quantrac.Reading{reading("pm10", 3)}, rejects: []string{"no_time", "no_time"}},
		{name: "no timestamp accepted", format: LineProtocol, payload: "air o3=1", lim: Limits{AcceptReceiveTime: true},
			want: []quantrac.Reading{func() quantrac.Reading { r := reading("o3", 1); r.Time = testNow; return r }()}},
		{name: "alias tag", format: LineProtocol, payload: "air,station=LaiChau_AQ01 o3=1 " + ns, want: []quantrac.Reading{reading("o3", 1)}},
		{name: "reading rejects", format: LineProtocol, payload: "air pm25=-1,o3=t,no2=\"x\",xyz=1,co=1,co_unit=\"furlong\" " + ns,
			rejects: []string{"out_of_range", "not_a_number", "not_a_number", "unknown_parameter", "unknown_unit"}},
		{name: "duplicate across lines", format: LineProtocol, payload: "air pm25=1 " + ns + "\nair PM2.5=2 " + ns,
			want: []quantrac.Reading{reading("pm25", 1)}, rejects: []string{"duplicate_parameter"}},
		{name: "timestamp overflow", format: LineProtocol, payload: "air pm25=1 99999999999999999999", err: "malformed"},
		{name: "timestamp out of int64", format: LineProtocol, payload: "air pm25=1 9999999999999999999", rejects: []string{"bad_time"}},
		{name: "wrong kind", format: LineProtocol, payload: "wastewater cod=1 " + ns, err: "malformed"},
		{name: "forbidden", format: LineProtocol, payload: "air,station=LC-AQ-02 o3=1 " + ns, err: "forbidden"},
		{name: "forbidden second line", format: LineProtocol, payload: "air o3=1 " + ns + "\nair,station=X o3=1 " + ns, err: "forbidden"},
		{name: "no fields", format: LineProtocol, payload: "air " + ns, err: "malformed"},
		{name: "bad field", format: LineProtocol, payload: "air o3=abc " + ns, err: "malformed"},
		{name: "unterminated string", format: LineProtocol, payload: `air o3_status="01 ` + ns, err: "malformed"},
		{name: "bad status", format: LineProtocol, payload: `air o3=1,o3_status="not a code!" ` + ns, err: "malformed"},
	})
}

func TestDataLine(t *testing.T) {
	ww := func(p string, v float64, st string) quantrac.Reading { return withStatus(wwReading(p, v), st) }
	runDecodeCases(t, []decodeCase{
		{name: "one record per line", format: DataLine, station: "LC-WW-01",
			payload: "Flow\t12.34\tm3/h\t20261128140500\t00\r\nTemp\t25,6\t°C\t20261128140500\t00\r\npH\t7.1\t\t20261128140500\t01\r\n",
			want:    []quantrac.Reading{ww("flow", 12.34, "00"), ww("temp", 25.6, "00"), ww("ph", 7.1, "01")}},
		{name: "all records on one line", format: DataLine, station: "LC-WW-01",
			payload: "Flow\t12.34\tm3/h\t20261128140500\t00\tTemp\t25.6\t°C\t20261128140500\t00",
			want:    []quantrac.Reading{ww("flow", 12.34, "00"), ww("temp", 25.6, "00")}},
		{name: "whitespace separated", format: DataLine, station: "LC-WW-01",
			payload: "COD   80,5  mg/l 20261128140500 00\nNhiệt độ 25.6 oC 20261128140500 00\nNH4 1.2 mg/L 20261128140500",
			want:    []quantrac.Reading{ww("cod", 80.5, "00"), ww("temp", 25.6, "00"), ww("nh4_n", 1.2, "00")}},
		{name: "whitespace one line", format: DataLine, station: "LC-WW-01",
			payload: "TSS 10 mg/L 20261128140500 00 COD 20 mg/L 20261128140500 01 pH 7 20261128140500 00",
			want:    []quantrac.Reading{ww("tss", 10, "00"), ww("cod", 20, "01"), ww("ph", 7, "00")}},
		{name: "BOM and air codes", format: DataLine,
			payload: "\ufeffPM2,5\t38,2\tµg/Nm3\t20261128140500\t00\nSO2\t12\tppb\t20261128140500\t00\nCO\t1,2\tmg/Nm3\t20261128140500\t00\n",
			want:    []quantrac.Reading{reading("pm25", 38.2), reading("so2", 12*64.07/24.45), reading("co", 1200)}},
		{name: "status 02 with value kept flagged", format: DataLine, station: "LC-WW-01",
			payload: "COD\t81\tmg/L\t20261128140500\t02\nTSS\t0\tmg/L\t20261128140500\t02",
			want:    []quantrac.Reading{ww("cod", 81, "02"), ww("tss", 0, "02")}},
		{name: "status 02 empty value rejected", format: DataLine, station: "LC-WW-01",
			payload: "COD\t\tmg/L\t20261128140500\t02\nTSS\t---\tmg/L\t20261128140500\t02\nTemp °C 20261128140500 02",
			rejects: []string{"not_a_number", "not_a_number", "not_a_number"}},
		{name: "legacy time first", format: DataLine, station: "LC-WW-01",
			payload: "20261128140500\tCOD\t80\tmg/L\n20261128140500 TSS 10",
			want:    []quantrac.Reading{ww("cod", 80, "00"), ww("tss", 10, "00")}},
		{name: "nonstandard status", format: DataLine, station: "LC-WW-01",
			payload: "COD\t80\tmg/L\t20261128140500\t3",
			want:    []quantrac.Reading{ww("cod", 80, "03")}},
		{name: "windows-1258", format: DataLine, station: "LC-WW-01",
			payload: "Temp\t25.6\t\xb0C\t20261128140500\t00",
			want:    []quantrac.Reading{ww("temp", 25.6, "00")}},
		{name: "rejects", format: DataLine, station: "LC-WW-01",
			payload: "XYZ\t1\tmg/L\t20261128140500\t00\nCOD\t1\tppq\t20261128140500\t00\npH\t15\t-\t20261128140500\t00\n" +
				"TSS\tNaN\tmg/L\t20261128140500\t00\nTP\t1\tmg/L\t20261328140500\t00\nTN\t1\tmg/L\t20261128150500\t00\n" +
				"TOC\t1\tmg/L\t20250101000000\t00\nCOD\t2\tmg/L\t20261128140500\t00",
			rejects: []string{"unknown_parameter", "unknown_unit", "out_of_range", "not_a_number", "bad_time", "future_time", "too_old", "duplicate_parameter"}},
		{name: "no time", format: DataLine, station: "LC-WW-01", payload: "COD\t80\tmg/L", err: "malformed"},
		{name: "too many fields", format: DataLine, station: "LC-WW-01", payload: "COD\t80\tmg/L\tx\t20261128140500\t00", err: "malformed"},
		{name: "bad status token", format: DataLine, station: "LC-WW-01", payload: "20261128140500 COD 80 mg/L status!", err: "malformed"},
	})
}

// TestTimezone checks that data line times are the station's local time.
func TestTimezone(t *testing.T) {
	reg, err := quantrac.NewRegistry(&quantrac.Station{ID: "UTC-1", Kind: quantrac.Air, Timezone: "UTC"})
	if err != nil {
		t.Fatal(err)
	}
	var out Result
	if err := NewParser(Limits{}).Parse(DataLine, reg.Station("UTC-1"), "", []byte("O3 1 ug/m3 20261128070500 00"), testNow, &out); err != nil {
		t.Fatal(err)
	}
	if len(out.Readings) != 1 || !out.Readings[0].Time.Equal(testTime) {
		t.Fatalf("readings %v, want one at %v", out.Readings, testTime)
	}
	// The default zone, Asia/Ho_Chi_Minh, is UTC+7.
	got, _ := parse(t, DataLine, "LC-AQ-01", "O3 1 ug/m3 20261128140500 00")
	if len(got.Readings) != 1 || !got.Readings[0].Time.Equal(testTime) {
		t.Fatalf("readings %v, want one at %v", got.Readings, testTime)
	}
}

func TestDetect(t *testing.T) {
	cases := map[string]Format{
		`{"readings":{}}`:                         JSON,
		" \n[{\"time\":1,\"readings\":{}}]":       JSON,
		`[]`:                                      JSON,
		`[{"bn":"x","v":1}]`:                      SenML,
		`[{"x":1,"n":"o3","v":1}]`:                SenML,
		"air,station=X pm25=1 1":                  LineProtocol,
		"# c\nair pm25=1":                         LineProtocol,
		"PM2,5\t38,2\tµg/Nm3\t20261128140500\t00": DataLine,
		"\ufeffCOD 1 mg/L 20261128140500 00":      DataLine,
		"":                                        Auto,
		"hello world":                             Auto,
	}
	for in, want := range cases {
		if got := Detect([]byte(in)); got != want {
			t.Errorf("Detect(%q) = %v, want %v", in, got, want)
		}
	}
	if _, err := parse(t, Auto, "LC-AQ-01", "hello world"); err == nil {
		t.Error("Auto on an unrecognisable payload succeeded")
	}
	got, err := parse(t, Auto, "LC-AQ-01", "air o3=1 "+testUnix+"000000000")
	if err != nil || len(got.Readings) != 1 {
		t.Errorf("Auto line protocol: %v, %v", got.Readings, err)
	}
}

func TestFormatNames(t *testing.T) {
	for f := Auto; f <= DataLine; f++ {
		got, err := ParseFormat(f.String())
		if err != nil || got != f {
			t.Errorf("ParseFormat(%q) = %v, %v", f.String(), got, err)
		}
		var u Format
		b, _ := f.MarshalText()
		if err := u.UnmarshalText(b); err != nil || u != f {
			t.Errorf("text round trip of %v = %v, %v", f, u, err)
		}
	}
	for in, want := range map[string]Format{"": Auto, "JSON": JSON, "influx": LineProtocol, "dataline": DataLine, "circular10": DataLine} {
		if got, err := ParseFormat(in); err != nil || got != want {
			t.Errorf("ParseFormat(%q) = %v, %v", in, got, err)
		}
	}
	if _, err := ParseFormat("xml"); err == nil {
		t.Error("ParseFormat(xml) succeeded")
	}
	if s := Format(42).String(); s != "Format(42)" {
		t.Errorf("String of a bad format = %q", s)
	}
}

func TestParseContract(t *testing.T) {
	reg := testRegistry(t)
	st := reg.Station("LC-AQ-01")
	p := NewParser(Limits{})
	var out Result
	if err := p.Parse(JSON, nil, quantrac.Air, []byte(`{}`), testNow, &out); !errors.Is(err, ErrNilStation) {
		t.Errorf("nil station: %v", err)
	}
	var me *MessageError
	if err := p.Parse(JSON, st, quantrac.Wastewater, []byte(`{"time":`+testUnix+`,"readings":{"o3":1}}`), testNow, &out); !errors.As(err, &me) || me.Reason != ReasonForbidden {
		t.Errorf("kind mismatch: %v", err)
	}
	// Parse appends, a failed message leaves out as it was, and Reset empties it.
	good := []byte(`{"time":` + testUnix + `,"readings":{"o3":1,"xyz":2}}`)
	for i := range 2 {
		if err := p.Parse(Auto, st, quantrac.Air, good, testNow, &out); err != nil {
			t.Fatal(err)
		}
		if len(out.Readings) != i+1 || len(out.Rejected) != i+1 {
			t.Fatalf("after %d messages: %d readings, %d rejected", i+1, len(out.Readings), len(out.Rejected))
		}
	}
	if err := p.Parse(Auto, st, quantrac.Air, []byte(`{"time":`+testUnix+`,"readings":{"o3":1}`), testNow, &out); err == nil {
		t.Fatal("truncated message accepted")
	}
	if len(out.Readings) != 2 || len(out.Rejected) != 2 {
		t.Errorf("failed message changed out: %d readings, %d rejected", len(out.Readings), len(out.Rejected))
	}
	out.Reset()
	if len(out.Readings)+len(out.Rejected) != 0 || cap(out.Readings) == 0 {
		t.Errorf("Reset: %d readings, %d rejected, cap %d", len(out.Readings), len(out.Rejected), cap(out.Readings))
	}
	if e := (&MessageError{Reason: "malformed", Err: fmt.Errorf("x")}); e.Error() != "malformed: x" {
		t.Errorf("MessageError.Error = %q", e.Error())
	}
}

func TestDaysIn(t *testing.T) {
	for y := 1999; y <= 2101; y++ {
		for m := 1; m <= 12; m++ {
			if got, want := daysIn(y, m), time.Date(y, time.Month(m)+1, 0, 0, 0, 0, 0, time.UTC).Day(); got != want {
				t.Fatalf("daysIn(%d, %d) = %d, want %d", y, m, got, want)
			}
		}
	}
}

func TestBOMEveryFormat(t *testing.T) {
	for _, payload := range []string{
		"\ufeff{\"time\":" + testUnix + ",\"readings\":{\"o3\":1}}",
		"\ufeff[{\"bt\":" + testUnix + ",\"n\":\"o3\",\"v\":1}]",
		"\ufeffair o3=1 " + testUnix + "000000000",
		"\ufeffO3 1 ug/m3 20261128140500 00",
	} {
		got, err := parse(t, Auto, "LC-AQ-01", payload)
		if err != nil || !slices.Equal(got.Readings, []quantrac.Reading{reading("o3", 1)}) {
			t.Errorf("%q: %v, %v", payload, got.Readings, err)
		}
	}
}
