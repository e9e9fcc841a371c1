package spool_test

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/quantrac/quantrac/store/spool"
)

// A producer spools batches while InfluxDB is down; a consumer replays them in order when
// it is back, retrying a failed write with the same record.
func Example() {
	dir, err := os.MkdirTemp("", "spool-example")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	s, err := spool.Open(spool.Options{Dir: dir, MaxBytes: 1 << 20})
	if err != nil {
		panic(err)
	}
	defer s.Close()

	// Producer: acknowledge the MQTT messages of a batch only once Append returned nil.
	for _, batch := range []string{"air,station=LC-AQ-01 pm25=12 1", "air,station=LC-AQ-01 pm25=14 2"} {
		switch err := s.Append([]byte(batch)); {
		case errors.Is(err, spool.ErrFull):
			// stop acknowledging: the broker holds the messages (backpressure)
		case err != nil:
			panic(err)
		}
	}

	// Consumer: the first write fails, then InfluxDB is back.
	failures := 1
	write := func(b []byte) error {
		if failures > 0 {
			failures--
			return errors.New("503 Service Unavailable")
		}
		fmt.Printf("wrote %s\n", b)
		return nil
	}
	for s.Len() > 0 {
		rec, err := s.Next(context.Background())
		if err != nil {
			panic(err)
		}
		if err := write(rec.Data); err != nil {
			fmt.Printf("seq %d: %v; retrying\n", rec.Seq, err) // back off here
			continue
		}
		if err := s.Confirm(rec.Seq); err != nil {
			panic(err)
		}
	}
	fmt.Println("spooled bytes left:", s.Bytes())
	// Output:
	// seq 1: 503 Service Unavailable; retrying
	// wrote air,station=LC-AQ-01 pm25=12 1
	// wrote air,station=LC-AQ-01 pm25=14 2
	// spooled bytes left: 0
}
