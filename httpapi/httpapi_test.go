package httpapi

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// routesFunc adds routes with a function.
type routesFunc func(*http.ServeMux)

func (f routesFunc) Register(mux *http.ServeMux) { f(mux) }

func TestEndpoints(t *testing.T) {
	reg := prometheus.NewRegistry()
	c := prometheus.NewCounter(prometheus.CounterOpts{Name: "quantrac_test_total", Help: "test"})
	reg.MustRegister(c)
	c.Add(3)
	var brokerUp atomic.Bool
	s, err := New(Options{
		Address:  "127.0.0.1:0",
		Gatherer: reg,
		Ready: map[string]Check{"mqtt": func(context.Context) error {
			if !brokerUp.Load() {
				return errors.New("not connected")
			}
			return nil
		}},
		Routes: []Routes{routesFunc(func(mux *http.ServeMux) {
			mux.HandleFunc("GET /api/v1/stations", func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, `{"n": 2}`) })
		})},
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- s.Run(ctx) }()
	get := func(path string) (int, string) {
		resp, err := http.Get("http://" + s.Addr() + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := get("/metrics"); code != 200 || !strings.Contains(body, "quantrac_test_total 3") {
		t.Errorf("/metrics: %d %s", code, body)
	}
	if code, _ := get("/healthz"); code != 200 {
		t.Errorf("/healthz: %d", code)
	}
	if code, body := get("/readyz"); code != http.StatusServiceUnavailable || !strings.Contains(body, "not connected") {
		t.Errorf("/readyz while down: %d %s", code, body)
	}
	brokerUp.Store(true)
	if code, body := get("/readyz"); code != 200 || !strings.Contains(body, `"ready":true`) {
		t.Errorf("/readyz while up: %d %s", code, body)
	}
	if code, body := get("/api/v1/stations"); code != 200 || !strings.Contains(body, `"n": 2`) {
		t.Errorf("/api/v1/stations: %d %s", code, body)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Error("Run did not return")
	}
}
