package autoqc

import (
	"math"
	"runtime"
	"testing"
	"time"

	"github.com/quantrac/quantrac"
	"github.com/quantrac/quantrac/qc"
)

// airParams are an air station's parameters: six pollutants and two steady ones.
var airParams = []string{"pm25", "pm10", "no2", "so2", "co", "o3", "temp", "rh"}

// airMessage is one 5-minute message of an air station: eight readings.
func airMessage(station string, i int) *quantrac.Envelope {
	e := &quantrac.Envelope{}
	for k, p := range airParams {
		v := math.Round((40+20*math.Sin(float64(i+k)/20))*10) / 10
		e.Readings = append(e.Readings, quantrac.Reading{Station: station, Kind: quantrac.Air, Param: p, Value: v,
			Time: t0.Add(time.Duration(i) * step), Status: quantrac.StatusMeasuring})
	}
	return e
}

// The hot path: one message of eight readings into its station's warm window (what every
// accepted message costs the pipeline worker when qc runs). The window is trimmed every 12
// messages outside the timer, as checks do.
func BenchmarkObserve(b *testing.B) {
	msgs := make([]*quantrac.Envelope, 12*833)
	for i := range msgs {
		msgs[i] = airMessage("S", i)
	}
	r := New(Options{Settings: qc.Defaults()})
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		r.Observe(msgs[i])
		if i++; i%12 == 0 {
			b.StopTimer()
			w := r.windows["S"]
			w.from, w.dirty = min(w.from, 0), none
			w.trim(w.newest - int64(r.keep))
			r.queue = r.queue[:0]
			if i == len(msgs) {
				r, i = New(Options{Settings: qc.Defaults()}), 0
			}
			b.StartTimer()
		}
	}
}

// The check of one air station after a message, without I/O (window held, stored spans
// known): the checks on 5 h of eight parameters, the scope, the reconcile, the trim.
func BenchmarkCheckStation(b *testing.B) {
	w := newWindow()
	for i := range 62 {
		e := airMessage("S", i)
		for _, rd := range e.Readings {
			w.add(rd.Param, rd.Time, rd.Value)
		}
	}
	w.from = 0
	c := qc.New(qc.Defaults())
	keep := int64(longestFlatline(qc.Defaults()) + DefaultMargin)
	b.ReportAllocs()
	for b.Loop() {
		found := c.Station("S", step, w.snapshot())
		plan := Reconcile("S", found, nil, w.scope(), now)
		_ = plan
		w.trim(w.newest - keep)
	}
}

// Memory of 10,000 air stations' windows in steady state (8 parameters, 5-minute readings,
// each trimmed after its check as the runner does), reported as B/station.
func BenchmarkWindowMemory(b *testing.B) {
	const stations = 10_000
	for b.Loop() {
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		r := New(Options{Settings: qc.Defaults()})
		ids := make([]string, stations)
		for s := range ids {
			ids[s] = "ST-" + itoa(s)
		}
		for i := range 84 { // 7 h: past the 5 h window
			for _, id := range ids {
				r.Observe(airMessage(id, i))
				w := r.windows[id]
				w.from = min(w.from, 0) // as if read back from InfluxDB
				w.dirty = none
				w.trim(w.newest - int64(r.keep))
			}
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/stations, "B/station")
		runtime.KeepAlive(r)
	}
}

func itoa(i int) string {
	const digits = "0123456789"
	if i < 10 {
		return digits[i : i+1]
	}
	return itoa(i/10) + digits[i%10:i%10+1]
}
