package api

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/quantrac/quantrac"
	"github.com/quantrac/quantrac/report"
)

// A report requested while report.BuildSlots are being built and report.QueuedBuilds wait
// answers 503 with Retry-After; the waiting ones get their report once the slots free up.
// The builds are a fake that blocks (no InfluxDB: what is under test is the answer).
func TestReportBusy(t *testing.T) {
	reg, err := quantrac.ParseRegistry([]byte(registryYAML), "stations.yaml", quantrac.RegistryOptions{})
	if err != nil {
		t.Fatal(err)
	}
	registry := func() *quantrac.Registry { return reg }
	a := New(Options{Registry: registry, Now: func() time.Time { return time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC) }})
	release := make(chan struct{})
	started := make(chan struct{}, report.BuildSlots+report.QueuedBuilds)
	a.reports = report.NewCache(func(context.Context, report.Month, string, time.Time) (*report.Report, error) {
		started <- struct{}{}
		<-release
		return &report.Report{Month: "2026-11"}, nil
	}, registry, nil)
	mux := http.NewServeMux()
	a.Register(mux)
	srv := httptest.NewServer(mux)
	defer srv.Close()
	// get returns the status and Retry-After of one request (0 when it failed).
	get := func() (int, string) {
		resp, err := http.Get(srv.URL + "/api/v1/reports/2026-11")
		if err != nil {
			t.Error(err)
			return 0, ""
		}
		resp.Body.Close()
		return resp.StatusCode, resp.Header.Get("Retry-After")
	}
	var wg sync.WaitGroup
	codes := make(chan int, report.BuildSlots+report.QueuedBuilds)
	for range report.BuildSlots + report.QueuedBuilds {
		wg.Go(func() {
			if code, _ := get(); code != 0 {
				codes <- code
			}
		})
	}
	for range report.BuildSlots {
		<-started
	}
	deadline := time.Now().Add(10 * time.Second)
	for a.reports.Waiting() < report.QueuedBuilds {
		if time.Now().After(deadline) {
			t.Fatalf("%d requests waiting after 10 s, want %d", a.reports.Waiting(), report.QueuedBuilds)
		}
		time.Sleep(time.Millisecond)
	}
	busy, retry := get()
	if busy != http.StatusServiceUnavailable {
		t.Fatalf("with every slot and the queue taken: HTTP %d, want 503", busy)
	}
	if retry != "10" {
		t.Errorf("503 with Retry-After %q, want 10", retry)
	}
	close(release)
	wg.Wait()
	close(codes)
	for c := range codes {
		if c != http.StatusOK {
			t.Errorf("a queued request got %d, want 200", c)
		}
	}
}
