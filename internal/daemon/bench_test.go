package daemon

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/quantrac/quantrac"
)

var (
	benchYearStations = flag.Int("bench.year-stations", 1000, "stations of BenchmarkStartYear")
	benchYearCold     = flag.Bool("bench.year-cold", false, "BenchmarkStartYear also times one start without saved year figures")
)

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
// the given number of hours, in batches of lines; observe, when not nil, takes each record.
func writeHourly(b *testing.B, s *stack, stations int, first time.Time, hours int, observe func([]quantrac.Reading)) {
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
			if observe != nil {
				observe(hourlyRecord(fmt.Sprintf("Y%05d", st), time.Unix(0, at), v))
			}
			if n++; n == 10000 {
				flush()
			}
		}
	}
	flush()
}

// hourlyRecord is the record writeHourly writes for a station at one hour.
func hourlyRecord(station string, at time.Time, v float64) []quantrac.Reading {
	rs := make([]quantrac.Reading, 0, 6)
	for p, x := range map[string]float64{"pm25": v, "pm10": 2 * v, "no2": v + 10, "so2": v / 2, "co": 100 * v, "o3": v + 30} {
		rs = append(rs, quantrac.Reading{Station: station, Kind: quantrac.Air, Param: p, Value: x, Time: at, Status: quantrac.StatusMeasuring})
	}
	return rs
}

// BenchmarkStartYear measures the start of quantrac — the rule-state rebuild — over a year of
// hourly data at -bench.year-stations stations, the figure BENCHMARKS.md extrapolates to
// 10,000: with the year figures the last process saved (the engine that judged the year, fed
// the same readings), and with -bench.year-cold also once without them (every hour of the year
// before and this year to date read back, as QCVN 05:2023's annual limits need).
//
//	go test ./internal/daemon -run '^$' -bench StartYear -benchtime 3x -bench.year-stations 1000
func BenchmarkStartYear(b *testing.B) {
	n := *benchYearStations
	s := startStackTuned(b, benchStations(n), nil, nil)
	s.stop()
	first := time.Now().Add(-365 * 24 * time.Hour).Truncate(time.Hour)
	judge := newBenchDaemon(b, s)
	if err := judge.engine.Rebuild(context.Background(), nil, first); err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	writeHourly(b, s, n, first, 365*24, func(rec []quantrac.Reading) {
		judge.engine.Observe(rec)
		judge.engine.Settled(rec[0].Station)
	})
	var figures bytes.Buffer
	saved, err := judge.engine.SaveFigures(&figures)
	judge.close()
	if err != nil || saved != n {
		b.Fatalf("saved the figures of %d stations, %v", saved, err)
	}
	b.Logf("wrote and judged a year of hourly readings of 6 parameters at %d stations in %v; figures: %d bytes",
		n, time.Since(start).Round(time.Second), figures.Len())
	var cold string // the verdicts of the start without figures
	if *benchYearCold {
		d := newBenchDaemon(b, s)
		t0 := time.Now()
		if err := d.derive.Rebuild(context.Background(), d.history(), time.Now()); err != nil {
			b.Fatal(err)
		}
		b.Logf("start without saved figures: %v", time.Since(t0).Round(time.Millisecond))
		cold = verdicts(d)
		d.close()
	}
	var took time.Duration
	for b.Loop() {
		d := newBenchDaemon(b, s)
		t0 := time.Now()
		if _, err := d.engine.LoadFigures(bytes.NewReader(figures.Bytes())); err != nil {
			b.Fatal(err)
		}
		if err := d.derive.Rebuild(context.Background(), d.history(), time.Now()); err != nil {
			b.Fatal(err)
		}
		took += time.Since(t0)
		if warm := verdicts(d); cold != "" && warm != cold {
			b.Errorf("the verdicts after a start with figures differ from those without:\n%s\nwithout:\n%s", warm, cold)
		}
		d.close()
	}
	b.ReportMetric(took.Seconds()/float64(b.N), "s/start")
}

// verdicts lists every station's limits as the API shows them.
func verdicts(d *Daemon) string {
	var out strings.Builder
	for _, st := range d.engine.Stations() {
		limits, _ := json.Marshal(st.Limits)
		fmt.Fprintf(&out, "%s %s\n", st.Station, limits)
	}
	return out.String()
}

func newBenchDaemon(b *testing.B, s *stack) *Daemon {
	b.Helper()
	d, err := New(s.cfg, Options{WebListenAddress: "127.0.0.1:0", Version: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	return d
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
