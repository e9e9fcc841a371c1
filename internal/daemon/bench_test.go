package daemon

import (
	"context"
	"flag"
	"fmt"
	"strings"
	"testing"
	"time"
)

var benchYearStations = flag.Int("bench.year-stations", 1000, "stations of BenchmarkStartYear")

// benchStations is a registry of n air stations under QCVN 05:2023 and WHO 2021 reporting
// hourly.
func benchStations(n int) string {
	var b strings.Builder
	b.WriteString("stations:\n")
	for i := range n {
		fmt.Fprintf(&b, "  - {id: Y%05d, kind: air, interval: 1h, regulations: [QCVN-05:2023, WHO-2021]}\n", i)
	}
	return b.String()
}

// writeHourly writes hourly readings of six parameters for the stations from first on, for
// the given number of hours, in batches of lines.
func writeHourly(b *testing.B, s *stack, stations int, first time.Time, hours int) {
	b.Helper()
	var lines strings.Builder
	n := 0
	flush := func() {
		if n > 0 {
			s.influx.Write("quantrac/autogen", lines.String())
			lines.Reset()
			n = 0
		}
	}
	for h := range hours {
		at := first.Add(time.Duration(h+1) * time.Hour).UnixNano()
		for st := range stations {
			v := float64((h*7+st)%50 + 5)
			fmt.Fprintf(&lines, "air,station=Y%05d pm25=%g,pm10=%g,no2=%g,so2=%g,co=%g,o3=%g %d\n",
				st, v, 2*v, v+10, v/2, 100*v, v+30, at)
			if n++; n == 10000 {
				flush()
			}
		}
	}
	flush()
}

// BenchmarkStartYear measures the rule-state rebuild at start over a year of hourly data (the
// year before and this year to date, which QCVN 05:2023's annual limits read) at
// -bench.year-stations stations: the figure BENCHMARKS.md extrapolates to 10,000.
//
//	go test ./internal/daemon -run '^$' -bench StartYear -benchtime 3x -bench.year-stations 1000
func BenchmarkStartYear(b *testing.B) {
	n := *benchYearStations
	s := startStackTuned(b, benchStations(n), nil, nil)
	s.stop()
	first := time.Now().Add(-365 * 24 * time.Hour).Truncate(time.Hour)
	start := time.Now()
	writeHourly(b, s, n, first, 365*24)
	b.Logf("wrote a year of hourly readings of 6 parameters at %d stations in %v", n, time.Since(start).Round(time.Second))
	d, err := New(s.cfg, Options{WebListenAddress: "127.0.0.1:0", Version: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	defer d.close()
	b.ResetTimer()
	for b.Loop() {
		if err := d.derive.Rebuild(context.Background(), d.history(), time.Now()); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/rebuild")
}

// BenchmarkRejudgeBackfilledDay measures re-judging one station from InfluxDB (the queries and
// the replay) after a day of 5-minute readings of six parameters is backfilled behind two
// newer days, among 100 stations.
//
//	go test ./internal/daemon -run '^$' -bench RejudgeBackfilledDay
func BenchmarkRejudgeBackfilledDay(b *testing.B) {
	const n = 100
	s := startStackTuned(b, strings.ReplaceAll(benchStations(n), "interval: 1h", "interval: 5m"), nil, nil)
	s.stop()
	first := time.Now().Add(-72 * time.Hour).Truncate(24 * time.Hour)
	var lines strings.Builder
	for i := range 3 * 288 {
		at := first.Add(time.Duration(i+1) * 5 * time.Minute).UnixNano()
		for st := range n {
			v := float64((i+st)%60 + 20)
			fmt.Fprintf(&lines, "air,station=Y%05d pm25=%g,pm10=%g,no2=%g,so2=%g,co=%g,o3=%g %d\n", st, v, 2*v, v+10, v/2, 100*v, v+30, at)
		}
		if i%50 == 49 {
			s.influx.Write("quantrac/autogen", lines.String())
			lines.Reset()
		}
	}
	s.influx.Write("quantrac/autogen", lines.String())
	d, err := New(s.cfg, Options{WebListenAddress: "127.0.0.1:0", Version: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	defer d.close()
	if err := d.derive.Rebuild(context.Background(), d.history(), time.Now()); err != nil {
		b.Fatal(err)
	}
	backfilled := first.Add(12 * time.Hour)
	for b.Loop() {
		d.engine.MarkStale("Y00042", backfilled)
		if err := d.engine.RebuildStations(context.Background(), d.history(), time.Now(), []string{"Y00042"}); err != nil {
			b.Fatal(err)
		}
		d.engine.Drain()
	}
}
