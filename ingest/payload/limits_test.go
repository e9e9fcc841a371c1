package payload

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestLimits(t *testing.T) {
	st := testRegistry(t).Station("LC-AQ-01")
	lim := Limits{MaxReadings: 2, MaxArray: 2, MaxStringLen: 24, MaxFutureSkew: time.Hour, MaxAge: time.Hour}
	cases := []struct {
		name, payload string
		format        Format
		readings      int
		rejects       []string
		err           string
	}{
		{"too many readings", `{"time":` + testUnix + `,"readings":{"pm25":1,"pm10":2,"o3":3,"no2":4}}`, JSON, 2,
			[]string{"too_many_readings", "too_many_readings"}, ""},
		{"too many records", "O3 1 ug/m3 20261128140500\nNO2 1 ug/m3 20261128140500\nCO 1 ug/m3 20261128140500", DataLine, 2,
			[]string{"too_many_readings"}, ""},
		{"backlog too long", `[{"readings":{}},{"readings":{}},{"readings":{}}]`, JSON, 0, nil, "malformed"},
		{"pack too long", `[{"n":"o3","v":1},{"n":"o3","v":1},{"n":"o3","v":1}]`, SenML, 0, nil, "malformed"},
		{"nested array too long", `{"x":[1,2,3],"readings":{}}`, JSON, 0, nil, "malformed"},
		{"string too long", `{"x":"` + strings.Repeat("a", 25) + `","readings":{}}`, JSON, 0, nil, "malformed"},
		{"escaped string too long", `{"x":"` + strings.Repeat(`\n`, 25) + `","readings":{}}`, JSON, 0, nil, "malformed"},
		{"line string too long", `air o3=1,o3_unit="` + strings.Repeat("a", 25) + `"`, LineProtocol, 0, nil, "malformed"},
		{"token too long", "O3 1 " + strings.Repeat("u", 25) + " 20261128140500", DataLine, 0, nil, "malformed"},
		{"custom future skew", `{"time":"2026-11-28T08:05:00Z","readings":{"o3":1}}`, JSON, 1, nil, ""},
		{"custom max age", `{"time":"2026-11-28T06:00:00Z","readings":{"o3":1}}`, JSON, 0, []string{"too_old"}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var out Result
			err := NewParser(lim).Parse(c.format, st, "", []byte(c.payload), testNow, &out)
			var me *MessageError
			if c.err != "" {
				if !errors.As(err, &me) || me.Reason != c.err {
					t.Fatalf("error %v, want %s", err, c.err)
				}
				return
			}
			if err != nil || len(out.Readings) != c.readings || !slices.Equal(reasons(&out), c.rejects) {
				t.Fatalf("got %d readings, rejected %v, error %v; want %d readings, rejected %v", len(out.Readings), out.Rejected, err, c.readings, c.rejects)
			}
		})
	}
	if got := NewParser(Limits{}).Limits(); got != DefaultLimits() {
		t.Errorf("zero limits = %+v, want the defaults %+v", got, DefaultLimits())
	}
}

// TestEveryReasonCovered sends one message producing every reading-level reason.
func TestEveryReasonCovered(t *testing.T) {
	payload := `{"time":"2026-11-28T14:05:00+07:00","readings":{
		"toluene":1, "so2":{"value":1,"unit":"ppq"}, "no2":"NaN", "pm25":-1, "pm10":1, "PM10":2,
		"o3":{"value":1,"time":"2026-11-29T00:00:00Z"}, "co":{"value":1,"time":"2025-01-01T00:00:00Z"},
		"tsp":{"value":1,"time":"tomorrow"}}}`
	st := testRegistry(t).Station("LC-AQ-01")
	var out Result
	if err := NewParser(Limits{MaxReadings: 9}).Parse(JSON, st, st.Kind, []byte(payload+"\n"), testNow, &out); err != nil {
		t.Fatal(err)
	}
	if err := NewParser(Limits{MaxReadings: 1}).Parse(JSON, st, st.Kind, []byte(`{"time":`+testUnix+`,"readings":{"o3":1,"no2":1}}`), testNow, &out); err != nil {
		t.Fatal(err)
	}
	if err := NewParser(Limits{}).Parse(LineProtocol, st, st.Kind, []byte("air o3=1"), testNow, &out); err != nil {
		t.Fatal(err)
	}
	got := reasons(&out)
	for _, r := range RejectedReadingReasons() {
		if !slices.Contains(got, r) {
			t.Errorf("reason %s not produced (got %v)", r, got)
		}
	}
	for _, rj := range out.Rejected {
		if rj.Param == "" || rj.Err == "" {
			t.Errorf("rejection %+v lacks a parameter or detail", rj)
		}
	}
}

// Every rejected reading is counted by reason in RejectedBy, also past the MaxRejectedDetails
// that are itemized.
func TestRejectedByCountsAll(t *testing.T) {
	var b strings.Builder
	b.WriteString(`{"time":` + testUnix + `,"readings":{`)
	for i := range 300 {
		fmt.Fprintf(&b, `"k%d":1,`, i)
	}
	b.WriteString(`"pm25":1}}`)
	st := testRegistry(t).Station("LC-AQ-01")
	var out Result
	if err := NewParser(Limits{MaxReadings: 250}).Parse(JSON, st, st.Kind, []byte(b.String()), testNow, &out); err != nil {
		t.Fatal(err)
	}
	by := map[string]int{}
	for i, r := range RejectedReadingReasons() {
		if out.RejectedBy[i] > 0 {
			by[r] = out.RejectedBy[i]
		}
	}
	want := map[string]int{ReasonUnknownParameter: 250, ReasonTooMany: 51}
	if !maps.Equal(by, want) || len(out.Rejected) != MaxRejectedDetails || out.RejectedMore != 201 {
		t.Errorf("RejectedBy %v, %d itemized, %d more; want %v, %d itemized, 201 more", by, len(out.Rejected), out.RejectedMore, want, MaxRejectedDetails)
	}
	out.Reset()
	if out.RejectedBy != [len(rejectedReasons)]int{} {
		t.Errorf("Reset left RejectedBy %v", out.RejectedBy)
	}
}
