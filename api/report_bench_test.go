package api

import (
	"context"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/quantrac/quantrac"
	"github.com/quantrac/quantrac/archive"
	"github.com/quantrac/quantrac/internal/testenv"
	"github.com/quantrac/quantrac/report"
	"github.com/quantrac/quantrac/rules"
	"github.com/quantrac/quantrac/store"
)

// benchStations is the network of the report benchmarks: air stations reporting PM2.5 hourly
// through a whole closed month.
const benchStations = 100

// reportBench returns an API over a real InfluxDB holding benchStations stations' month of
// hourly PM2.5, and that month.
func reportBench(b *testing.B, changes *report.Changes) (*API, string) {
	in := testenv.InfluxDB(b, testenv.InfluxOptions{DisableFlux: true})
	in.CreateDatabase("quantrac")
	var yaml strings.Builder
	yaml.WriteString("stations:\n")
	for i := range benchStations {
		fmt.Fprintf(&yaml, "  - {id: B-%03d, kind: air, interval: 1h, location: {lat: 21, lon: 105}, tags: {province: P%d}, regulations: [QCVN-05:2023]}\n", i, i%10)
	}
	reg, err := quantrac.ParseRegistry([]byte(yaml.String()), "stations.yaml", quantrac.RegistryOptions{})
	if err != nil {
		b.Fatal(err)
	}
	cat, err := rules.LoadCatalog()
	if err != nil {
		b.Fatal(err)
	}
	loc, _ := time.LoadLocation("Asia/Ho_Chi_Minh")
	from := time.Date(time.Now().Year(), time.Now().Month()-2, 1, 0, 0, 0, 0, loc)
	lines := make([]string, 0, 5000)
	for i := range benchStations {
		for ts := from.Add(time.Hour); !ts.After(from.AddDate(0, 1, 0)); ts = ts.Add(time.Hour) {
			lines = append(lines, fmt.Sprintf("air,station=B-%03d pm25=%d %d", i, 20+i%40, ts.UnixNano()))
			if len(lines) == cap(lines) {
				in.Write("quantrac/autogen", strings.Join(lines, "\n"))
				lines = lines[:0]
			}
		}
	}
	in.Write("quantrac/autogen", strings.Join(lines, "\n"))
	a := New(Options{Registry: func() *quantrac.Registry { return reg }, Catalog: cat,
		Archive: archive.New(store.NewQuerier(store.WriterOptions{URL: in.URL(), Bucket: "quantrac/autogen"}, nil)), Changes: changes})
	return a, from.Format("2006-01")
}

// BenchmarkReportBuild builds the report of every station for a closed month from InfluxDB.
func BenchmarkReportBuild(b *testing.B) {
	a, month := reportBench(b, nil)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		r, err := a.Report(context.Background(), month, "")
		if err != nil || len(r.Stations) != benchStations || r.Stations[0].Parameters[0].ValidHours < 600 {
			b.Fatalf("report: %v", err)
		}
	}
}

// BenchmarkReportCached serves the same report again, kept (hit), and renders it as the
// console does (hit+html, hit+csv).
func BenchmarkReportCached(b *testing.B) {
	a, month := reportBench(b, report.NewChanges())
	if _, err := a.Report(context.Background(), month, ""); err != nil {
		b.Fatal(err)
	}
	tmpl, err := report.Template()
	if err != nil {
		b.Fatal(err)
	}
	for _, render := range []struct {
		name  string
		write func(*report.Report) error
	}{
		{"hit", func(*report.Report) error { return nil }},
		{"hit+html", func(r *report.Report) error { return r.WriteHTML(io.Discard, tmpl, report.HTMLOptions{}) }},
		{"hit+csv", func(r *report.Report) error { return r.WriteCSV(io.Discard) }},
	} {
		b.Run(render.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				r, err := a.Report(context.Background(), month, "")
				if err == nil {
					err = render.write(r)
				}
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
