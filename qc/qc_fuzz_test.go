package qc

import (
	"encoding/binary"
	"math"
	"slices"
	"testing"
	"time"
)

// decodeReadings turns fuzz bytes into readings: 3 bytes each, a time step (0–255 minutes,
// so duplicates and gaps happen) and a value from a small alphabet that makes flat runs,
// spikes, sentinels and non-finite values likely.
func decodeReadings(b []byte) []Reading {
	vals := []float64{0, 5, 40, 41, 250, 400, 9999, 99999, -9999, math.NaN(), math.Inf(1), 3000}
	var rs []Reading
	t := t0
	for ; len(b) >= 3; b = b[3:] {
		t = t.Add(time.Duration(b[0]) * time.Minute / 16)
		rs = append(rs, Reading{Time: t, Value: vals[int(binary.BigEndian.Uint16(b[1:]))%len(vals)]})
	}
	return rs
}

// Any input: no panic, spans inside the input's time range and From ≤ To, and the same spans
// for the input reversed and rotated.
func FuzzStation(f *testing.F) {
	f.Add([]byte{80, 0, 4, 80, 0, 4, 80, 0, 4, 80, 0, 5, 80, 0, 6}, []byte{80, 0, 2, 80, 0, 2})
	f.Add([]byte{0, 0, 1, 0, 0, 2, 255, 0, 9}, []byte{})
	f.Add(slices.Repeat([]byte{80, 0, 4}, 60), slices.Repeat([]byte{80, 0, 2}, 60))
	c := New(Defaults())
	f.Fuzz(func(t *testing.T, a, b []byte) {
		in := map[string][]Reading{"pm25": decodeReadings(a), "pm10": decodeReadings(b), "no2": decodeReadings(a)}
		got := c.Station("S", step, in)
		lo, hi := t0.Add(time.Hour*1e6), t0
		for _, rs := range in {
			for _, r := range rs {
				lo, hi = minT(lo, r.Time), maxT(hi, r.Time)
			}
		}
		for _, s := range got {
			if s.From.After(s.To) || s.From.Before(lo) || s.To.After(hi) || s.Station != "S" || s.Reason == "" {
				t.Fatalf("bad span %+v (input %v..%v)", s, lo, hi)
			}
		}
		for _, rot := range []func([]Reading){slices.Reverse[[]Reading], rotate} {
			sh := map[string][]Reading{}
			for k, v := range in {
				v = slices.Clone(v)
				rot(v)
				sh[k] = v
			}
			if again := c.Station("S", step, sh); !slices.Equal(again, got) {
				t.Fatalf("order changed the spans:\n%s\nvs\n%s", show(again), show(got))
			}
		}
	})
}

func rotate(rs []Reading) {
	if len(rs) > 1 {
		k := len(rs) / 3
		slices.Reverse(rs[:k])
		slices.Reverse(rs[k:])
		slices.Reverse(rs)
	}
}

func minT(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func maxT(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
