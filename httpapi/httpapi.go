// Package httpapi serves quantrac's HTTP endpoints (DESIGN §8): /metrics, /healthz, /readyz
// and the JSON API, through the Prometheus exporter-toolkit so that TLS and basic auth come
// from a standard web config file (-web.config.file).
package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/exporter-toolkit/web"
)

// Check is one readiness condition; it returns nil when ready.
type Check func(ctx context.Context) error

// Options configures the server.
type Options struct {
	Address    string // -web.listen-address
	ConfigFile string // -web.config.file ("" for plain HTTP without auth)
	Gatherer   prometheus.Gatherer
	// Expositions are written to /metrics after the Gatherer's families; none of their
	// families may be gathered too.
	Expositions []Exposition
	Ready       map[string]Check // name → condition, all must hold for /readyz
	// Routes add the other endpoints: the JSON API (/api/v1) and the console (/). They are
	// served by the same listener with the same web config (TLS, basic auth).
	Routes []Routes
	Logger *slog.Logger
}

// Routes is a part of the server that adds its own endpoints (api.API, console.Console).
type Routes interface {
	Register(mux *http.ServeMux)
}

// Server is the HTTP server.
type Server struct {
	opts   Options
	server *http.Server
	ln     net.Listener
}

// New builds the server and binds its listener, so that Addr is known before Run.
func New(o Options) (*Server, error) {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.ConfigFile != "" {
		if err := web.Validate(o.ConfigFile); err != nil {
			return nil, err
		}
	}
	metrics, err := newMetricsHandler(o.Gatherer, o.Expositions, o.Logger)
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", metrics)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok\n")) })
	mux.HandleFunc("GET /readyz", readyHandler(o.Ready))
	for _, r := range o.Routes {
		r.Register(mux)
	}
	ln, err := net.Listen("tcp", o.Address)
	if err != nil {
		return nil, err
	}
	return &Server{opts: o, ln: ln, server: &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}}, nil
}

// Addr is the address the server listens on.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Run serves until ctx is done.
func (s *Server) Run(ctx context.Context) error {
	flags := &web.FlagConfig{WebConfigFile: &s.opts.ConfigFile, WebSystemdSocket: new(bool), WebListenAddresses: &[]string{s.opts.Address}}
	errc := make(chan error, 1)
	go func() { errc <- web.Serve(s.ln, s.server, flags, s.opts.Logger) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = s.server.Shutdown(shutdown)
		if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return nil
	}
}

func readyHandler(checks map[string]Check) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
		defer cancel()
		failed := map[string]string{}
		for name, check := range checks {
			if err := check(ctx); err != nil {
				failed[name] = err.Error()
			}
		}
		w.Header().Set("Content-Type", "application/json")
		if len(failed) > 0 {
			w.WriteHeader(http.StatusServiceUnavailable)
			_ = json.NewEncoder(w).Encode(map[string]any{"ready": false, "failed": failed})
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"ready": true})
	}
}

// Close releases the listener of a server that will not Run (a later part of the daemon
// failed to build).
func (s *Server) Close() error { return s.ln.Close() }
