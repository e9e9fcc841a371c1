package rules

import (
	"compress/gzip"
	"fmt"
	"io"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/quantrac/quantrac"
)

var benchParams = []string{"pm25", "pm10", "tsp", "so2", "no2", "co", "o3", "nh3"}

// benchRegulation has 8 parameters × 3 periods (1h, 8h, 24h) of mean limits.
func benchRegulation(tb testing.TB) *Regulation {
	var b strings.Builder
	b.WriteString("id: BENCH\ntitle: bench\nkind: air\nsource: {document: bench}\nlimits:\n")
	for _, p := range benchParams {
		for _, per := range []string{"1h", "8h", "24h"} {
			fmt.Fprintf(&b, "  - {parameter: %s, period: %s, max: 100, unit: µg/m³}\n", p, per)
		}
	}
	r, err := ParseRegulation([]byte(b.String()), "bench.yaml")
	if err != nil {
		tb.Fatal(err)
	}
	return r
}

func benchEngine(tb testing.TB, n int, cat *Catalog, regs ...string) (*Engine, []*quantrac.Station) {
	sts := make([]*quantrac.Station, n)
	for i := range sts {
		sts[i] = airStation(fmt.Sprintf("S%05d", i), regs...)
	}
	e := NewEngine(cat, mustRegistry(tb, sts...), time.Now)
	if err := e.Rebuild(tb.Context(), nil, time.Now()); err != nil {
		tb.Fatal(err)
	}
	return e, sts
}

// feeder yields one record (8 parameters) per station per 5-minute step, as stations send
// them; values vary so that some periods breach their limits now and then.
type feeder struct {
	sts   []*quantrac.Station
	batch []quantrac.Reading
	t0    time.Time
	i     int // record counter
}

func newFeeder(sts []*quantrac.Station) *feeder {
	return &feeder{sts: sts, batch: make([]quantrac.Reading, len(benchParams)), t0: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)}
}

func (f *feeder) next() []quantrac.Reading {
	st := f.sts[f.i%len(f.sts)]
	step := f.i/len(f.sts) + 1
	t := f.t0.Add(time.Duration(step) * 5 * time.Minute)
	for j, p := range benchParams {
		f.batch[j] = quantrac.Reading{Station: st.ID, Kind: quantrac.Air, Param: p,
			Value: float64((step*7+j*13+f.i)%120) + 0.5, Time: t, Status: quantrac.StatusMeasuring}
	}
	f.i++
	return f.batch
}

// runObserveBench measures Observe per reading at 1,000 stations after a day of data.
func runObserveBench(b *testing.B, cat *Catalog, regs ...string) {
	e, sts := benchEngine(b, 1000, cat, regs...)
	f := newFeeder(sts)
	for range 288 * len(sts) { // a day of data first: every period has hours
		e.Observe(f.next())
	}
	rules := 0
	for _, s := range e.order {
		for _, ser := range s.order {
			rules += len(ser.rules)
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	cpu := cpuTime()
	for i := 0; i < b.N; i += len(benchParams) {
		e.Observe(f.next())
	}
	b.ReportMetric(float64(cpuTime()-cpu)/float64(b.N), "cpu-ns/op")
	b.ReportMetric(float64(rules), "limits")
}

// BenchmarkObserve: 1,000 stations × 8 parameters × 3 periods (1h, 8h, 24h); one op is one
// reading, fed in records of 8.
func BenchmarkObserve(b *testing.B) {
	runObserveBench(b, NewCatalog(benchRegulation(b)), "BENCH")
}

// BenchmarkObserveQCVNWHO: the same stations under the built-in QCVN 05:2023 and WHO 2021
// (target: ≤ 0.5 µs per reading; rules/BENCHMARKS.md).
func BenchmarkObserveQCVNWHO(b *testing.B) {
	runObserveBench(b, mustCatalog(b), "QCVN-05:2023", "WHO-2021")
}

// BenchmarkObserveCatalog: under QCVN 05:2023, WHO 2021 and EU 2008/50 (counted hours and
// days, 3-year ozone, calendar years, 10-min and 15-min blocks).
func BenchmarkObserveCatalog(b *testing.B) {
	runObserveBench(b, mustCatalog(b), "QCVN-05:2023", "WHO-2021", "EU-2008/50")
}

// BenchmarkMemory10k fills 10,000 stations under QCVN 05:2023 + WHO 2021 with 8 parameters
// and 30 hours of 5-minute readings (every hour ring full) and reports the heap the engine
// holds, per station and in all.
func BenchmarkMemory10k(b *testing.B) {
	for b.Loop() {
		before := heapInUse()
		e, sts := benchEngine(b, 10000, mustCatalog(b), "QCVN-05:2023", "WHO-2021")
		f := newFeeder(sts)
		for range 360 * len(sts) {
			e.Observe(f.next())
		}
		after := heapInUse()
		b.ReportMetric(float64(after-before)/1e6, "heap-MB")
		b.ReportMetric(float64(after-before)/float64(len(sts)), "bytes/station")
		runtime.KeepAlive(e)
	}
}

func heapInUse() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// BenchmarkCollect is one scrape of the engine's metrics at 1,000 stations (8 parameters ×
// 3 periods each, an hour of data), written in the text format.
func BenchmarkCollect(b *testing.B) {
	benchmarkScrape(b, collectBenchEngine(b, 1000))
}

// BenchmarkCollect10k is BenchmarkCollect at 10,000 stations under the built-in QCVN 05:2023
// and WHO 2021, as `make bench` registers them.
func BenchmarkCollect10k(b *testing.B) {
	benchmarkScrape(b, collectBenchEngine(b, 10000, "QCVN-05:2023", "WHO-2021"))
}

// benchmarkScrape measures scrapes after a first one, which sizes the reused buffers (its
// time is reported as first-ns): as text, and gzipped at the speed /metrics uses and at the
// default level.
func benchmarkScrape(b *testing.B, e *Engine) {
	x := e.Exporter()
	start := time.Now()
	n, err := x.WriteTo(io.Discard)
	if err != nil {
		b.Fatal(err)
	}
	first := time.Since(start)
	b.Run("text", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if n, err = x.WriteTo(io.Discard); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(first.Nanoseconds()), "first-ns")
		b.ReportMetric(float64(n), "out-bytes")
	})
	for name, level := range map[string]int{"gzip-speed": gzip.BestSpeed, "gzip-default": gzip.DefaultCompression} {
		b.Run(name, func(b *testing.B) {
			var out countingWriter
			gz, _ := gzip.NewWriterLevel(&out, level)
			b.ReportAllocs()
			for b.Loop() {
				out.n = 0
				gz.Reset(&out)
				if _, err := x.WriteTo(gz); err != nil || gz.Close() != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(out.n), "out-bytes")
		})
	}
}

// collectBenchEngine is an engine with n stations under regs (BenchmarkObserve's regulation
// when none) after an hour of readings.
func collectBenchEngine(b *testing.B, n int, regs ...string) *Engine {
	cat := mustCatalog(b)
	if len(regs) == 0 {
		cat, regs = NewCatalog(benchRegulation(b)), []string{"BENCH"}
	}
	e, sts := benchEngine(b, n, cat, regs...)
	f := newFeeder(sts)
	for range 12 * len(sts) {
		e.Observe(f.next())
	}
	return e
}

// cpuTime is the process's user and system CPU time in ns: on a shared machine it measures
// the work better than wall time, which includes time spent waiting for a core.
func cpuTime() int64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}

// countingWriter counts the bytes written to it, discarding them.
type countingWriter struct{ n int }

func (c *countingWriter) Write(p []byte) (int, error) {
	c.n += len(p)
	return len(p), nil
}

// BenchmarkReleaseRebuild40k releases and rebuilds (with no history) half of 40,000 stations,
// as a cluster member handing over and taking back partitions does on its delivery path.
func BenchmarkReleaseRebuild40k(b *testing.B) {
	e, sts := benchEngine(b, 40000, mustCatalog(b), "QCVN-05:2023")
	ids := make([]string, 0, len(sts)/2)
	for i, st := range sts {
		if i%2 == 0 {
			ids = append(ids, st.ID)
		}
	}
	for b.Loop() {
		e.ReleaseStations(ids)
		if err := e.RebuildStations(b.Context(), nil, time.Now(), ids); err != nil {
			b.Fatal(err)
		}
	}
}
