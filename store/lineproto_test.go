package store

import (
	"encoding/base64"
	"math"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/quantrac/quantrac"
)

func testStation(t testing.TB) *quantrac.Station {
	t.Helper()
	st := &quantrac.Station{ID: "LC-AQ-01", Kind: quantrac.Air, Tags: map[string]string{"province": "Lai Châu", "a b": "x,y=z"}}
	if _, err := quantrac.NewRegistry(st); err == nil {
		t.Fatal("tag key with a space accepted")
	}
	st = &quantrac.Station{ID: "LC-AQ-01", Kind: quantrac.Air, Tags: map[string]string{"province": "Lai Châu", "zone": "x,y=z"}}
	if _, err := quantrac.NewRegistry(st); err != nil {
		t.Fatal(err)
	}
	return st
}

func TestAppendReadings(t *testing.T) {
	st := testStation(t)
	t0 := time.Date(2026, 11, 28, 7, 5, 0, 0, time.UTC)
	rs := []quantrac.Reading{
		{Station: st.ID, Kind: quantrac.Air, Param: "pm25", Value: 38.2, Time: t0, Status: "00"},
		{Station: st.ID, Kind: quantrac.Air, Param: "pm10", Value: 61, Time: t0, Status: "00"},
		{Station: st.ID, Kind: quantrac.Air, Param: "so2", Value: 31.4, Time: t0, Status: "01"},
		{Station: st.ID, Kind: quantrac.Air, Param: "no2", Value: 20, Time: t0.Add(5 * time.Minute), Status: "00", Maintenance: true},
	}
	got, n := AppendReadings(nil, st, rs)
	want := `air,station=LC-AQ-01,province=Lai\ Châu,zone=x\,y\=z pm25=38.2,pm10=61 1795849500000000000
air_flagged,station=LC-AQ-01,province=Lai\ Châu,zone=x\,y\=z so2=31.4,so2_status="01" 1795849500000000000
air_flagged,station=LC-AQ-01,province=Lai\ Châu,zone=x\,y\=z no2=20,no2_status="maintenance" 1795849800000000000
`
	if string(got) != want || n != 3 {
		t.Errorf("got %d lines:\n%s\nwant:\n%s", n, got, want)
	}
}

func TestAppendRejectionEscapes(t *testing.T) {
	e := &quantrac.Envelope{Topic: "stations/X/air", Payload: []byte("{\"a\": \"b\\\"\"}\nline2"), Received: time.Unix(1, 0),
		Rejection: quantrac.Rejection{Reason: "malformed", Detail: "bad"}}
	got, n := AppendEnvelope(nil, e)
	want := `rejected_messages,reason=malformed topic="stations/X/air",payload="{\"a\": \"b\\\"\"}` + "\nline2" + `",error="bad" 1000000000` + "\n"
	if string(got) != want || n != 1 {
		t.Errorf("got %d points %q\nwant  %q", n, got, want)
	}
}

// A payload that is not UTF-8 (a Windows-1258 data line) is kept in base64, so that replay
// gets the exact bytes back; the error field is bounded.
func TestAppendRejectionKeepsExactBytes(t *testing.T) {
	payload := []byte("TSS\t12,5\tmg/L\t20261128140500\t00\tNhi\xeat \xf0\xd2\n")
	e := &quantrac.Envelope{Topic: "stations/X/wastewater", Payload: payload, Received: time.Unix(1, 0),
		Station: &quantrac.Station{ID: "X"}, Rejection: quantrac.Rejection{Reason: "unknown_parameter", Detail: strings.Repeat("é", 5000)}}
	got, _ := AppendEnvelope(nil, e)
	line := string(got)
	enc := base64.StdEncoding.EncodeToString(payload)
	if !strings.Contains(line, `,payload="`+enc+`",payload_encoding="base64",`) {
		t.Errorf("payload not kept as base64: %q", line)
	}
	if i := strings.Index(line, `error="`); i < 0 || len(line)-i > MaxDetailBytes+100 || !strings.Contains(line, " more bytes)") || !utf8.ValidString(line) {
		t.Errorf("error field not bounded at a character boundary: %d bytes", len(line)-i)
	}
}

func TestAppendPointSkipsNaN(t *testing.T) {
	p := &Point{Measurement: "aqi", Tags: []Tag{{"period", "1h"}, {"scheme", "vn"}, {"station", "S"}},
		Fields: []Field{{"aqi", int64(57)}, {"category", "Trung bình"}, {"pm25", math.NaN()}, {"ok", true}, {"x", 1.5}}, Time: time.Unix(2, 0)}
	got := string(AppendPoint(nil, p))
	want := "aqi,period=1h,scheme=vn,station=S aqi=57i,category=\"Trung bình\",ok=true,x=1.5 2000000000\n"
	if got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}

func BenchmarkAppendReadings(b *testing.B) {
	st := testStation(b)
	t0 := time.Date(2026, 11, 28, 7, 5, 0, 0, time.UTC)
	rs := make([]quantrac.Reading, 6)
	for i, p := range []string{"pm25", "pm10", "so2", "no2", "co", "o3"} {
		rs[i] = quantrac.Reading{Station: st.ID, Kind: quantrac.Air, Param: p, Value: 12.5 * float64(i+1), Time: t0, Status: "00"}
	}
	buf := make([]byte, 0, 4096)
	b.ReportAllocs()
	for b.Loop() {
		buf, _ = AppendReadings(buf[:0], st, rs)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(rs)), "ns/reading")
}
