package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/quantrac/quantrac"
	"github.com/quantrac/quantrac/internal/testenv"
	"github.com/quantrac/quantrac/store"
)

// quantrac report reads the spans in force as the daemon does: a reading an inspector's span
// makes invalid counts in nothing, and the CSV names the month's approval.
func TestReportCommandLeavesOutInvalidReadings(t *testing.T) {
	in := testenv.InfluxDB(t, testenv.InfluxOptions{DisableFlux: true})
	in.CreateDatabase("quantrac")
	dir := t.TempDir()
	stations := "stations:\n  - {id: R1, kind: air, interval: 1h, location: {lat: 21, lon: 105}}\n"
	if err := os.WriteFile(filepath.Join(dir, "stations.yaml"), []byte(stations), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "quantrac.yaml")
	yaml := fmt.Sprintf("mqtt: {broker: \"tcp://127.0.0.1:1\"}\nstations_file: stations.yaml\ninflux: {url: %q}\n", in.URL())
	if err := os.WriteFile(cfg, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	loc, _ := time.LoadLocation("Asia/Ho_Chi_Minh")
	day := time.Date(2025, 3, 5, 0, 0, 0, 0, loc)
	var lines []string
	for i := 1; i <= 24; i++ {
		lines = append(lines, fmt.Sprintf("air,station=R1 pm25=30 %d", day.Add(time.Duration(i)*time.Hour).UnixNano()))
	}
	in.Write("quantrac/autogen", strings.Join(lines, "\n"))
	o := store.WriterOptions{URL: in.URL(), Bucket: "quantrac/autogen", Timeout: 5 * time.Second}
	w, err := store.NewWriter(o, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	qc := store.NewQC(store.NewQuerier(o, nil), w)
	ctx := context.Background()
	created := time.Date(2025, 4, 2, 0, 0, 0, 0, time.UTC)
	if _, err := qc.AddSpans(ctx, quantrac.QCSpan{Station: "R1", Parameter: "pm25", Source: quantrac.QCSourceUser, User: "ann",
		Action: quantrac.QCInvalidate, Reason: "analyser fault", From: day.Add(time.Hour), To: day.Add(6 * time.Hour), CreatedAt: created}); err != nil {
		t.Fatal(err)
	}
	if _, err := qc.AddApproval(ctx, quantrac.Approval{Station: "R1", Month: "2025-03", User: "ann", CreatedAt: created.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	var out, errOut strings.Builder
	if code := reportCommand([]string{"-config", cfg, "-month", "2025-03", "-format", "csv"}, &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	csv := out.String()
	// 744 readings expected, 24 stored, 6 invalid (01:00 to 06:00): 18 valid, all 6 by an inspector.
	for _, want := range []string{",744,18,0,0,", ",6,0,6,", ",approved,", ",ann,2025-04-02T01:00:00Z,", "analyser fault"} {
		if !strings.Contains(csv, want) {
			t.Errorf("CSV has no %q:\n%s", want, csv)
		}
	}
}
