package payload_test

import (
	"fmt"
	"time"

	"github.com/quantrac/quantrac"
	"github.com/quantrac/quantrac/ingest/payload"
)

func ExampleParser_Parse() {
	reg, _ := quantrac.NewRegistry(&quantrac.Station{ID: "LC-AQ-01", Kind: quantrac.Air})
	st := reg.Station("LC-AQ-01")
	now := time.Date(2026, 11, 28, 7, 10, 0, 0, time.UTC)

	p := payload.NewParser(payload.Limits{}) // one per worker goroutine
	var res payload.Result                   // reused: Reset before each message
	msg := []byte(`{"time": "2026-11-28T14:05:00+07:00", "station": "LC-AQ-01",
		"readings": {"PM2.5": 38.2, "so2": {"value": 12, "unit": "ppb", "status": "01"}, "o3": -5}}`)
	res.Reset()
	if err := p.Parse(payload.Auto, st, st.Kind, msg, now, &res); err != nil {
		fmt.Println("message rejected:", err)
		return
	}
	for _, r := range res.Readings {
		fmt.Printf("%s %s %.1f status %s at %s\n", r.Station, r.Param, r.Value, r.Status, r.Time.Format(time.RFC3339))
	}
	for _, r := range res.Rejected {
		fmt.Println("rejected:", r.Param, r.Reason)
	}
	// Output:
	// LC-AQ-01 pm25 38.2 status 00 at 2026-11-28T07:05:00Z
	// LC-AQ-01 so2 31.4 status 01 at 2026-11-28T07:05:00Z
	// rejected: o3 out_of_range
}

func ExampleDetect() {
	fmt.Println(payload.Detect([]byte("COD\t64,2\tmg/L\t20261128140500\t00")))
	fmt.Println(payload.Detect([]byte(`[{"bn":"LC-AQ-01/","n":"pm25","v":38.2}]`)))
	// Output:
	// tt10
	// senml
}
