package qc_test

import (
	"fmt"
	"time"

	"github.com/quantrac/quantrac/qc"
)

// Six hours of NO2 stuck at exactly 250 µg/m³: one flat-line span over the whole run.
func Example() {
	start := time.Date(2026, 11, 28, 6, 0, 0, 0, time.UTC)
	var rs []qc.Reading
	for i := range 72 {
		rs = append(rs, qc.Reading{Time: start.Add(time.Duration(i) * 5 * time.Minute), Value: 250})
	}
	rs = append(rs, qc.Reading{Time: start.Add(6 * time.Hour), Value: 41.5})
	c := qc.New(qc.Defaults())
	for _, s := range c.Series("HN-01", "no2", 5*time.Minute, rs) {
		fmt.Println(s.Check, s.From.Format("15:04"), s.To.Format("15:04"), s.Reason)
	}
	// Output:
	// flatline 06:00 11:55 flat line: 250 for 5h55m0s (72 readings)
}
