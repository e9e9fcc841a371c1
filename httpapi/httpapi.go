// Package httpapi serves quantrac's HTTP endpoints (README.md, "Metrics"): /metrics, /healthz,
// /readyz and the JSON API, through the Prometheus exporter-toolkit so that TLS and basic auth
// come from a standard web config file (-web.config.file).
package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/exporter-toolkit/web"
	"go.yaml.in/yaml/v3"
	"golang.org/x/net/netutil"
)

// Timeouts and connection limit used when Options leave them zero. Without them a client,
// authenticated or not, holds a connection and its file descriptor as long as it likes.
const (
	// DefaultReadHeaderTimeout bounds a new connection's wait for its request headers (and its
	// TLS handshake): a client that sends nothing is closed after it.
	DefaultReadHeaderTimeout = 10 * time.Second
	// DefaultReadTimeout bounds reading a whole request; every endpoint is a GET.
	DefaultReadTimeout = 30 * time.Second
	// DefaultWriteTimeout bounds writing a response. A /metrics scrape of 10,000 stations
	// takes ~0.3 s (0.6 s gzipped, 7 MB) on a 2-core machine (README, Metrics): two minutes
	// leave room for a slow host or link, and cut off a client that stops reading.
	DefaultWriteTimeout = 2 * time.Minute
	// DefaultIdleTimeout closes keep-alive connections idle that long. Two minutes: an idle
	// client holds a connection no longer, and it is above Prometheus's default one-minute
	// scrape interval, so that a scraper keeps its connection between scrapes.
	DefaultIdleTimeout = 2 * time.Minute
	// DefaultMaxConnections bounds the connections served at once (Prometheus, Grafana,
	// browsers on the console): more wait in the listen backlog until one closes.
	DefaultMaxConnections = 256
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

	// Timeouts of the server (the Default* constants when zero) and the most connections it
	// serves at once (DefaultMaxConnections when zero).
	ReadHeaderTimeout, ReadTimeout, WriteTimeout, IdleTimeout time.Duration
	MaxConnections                                            int
}

// withDefaults fills the zero timeouts and connection limit.
func (o Options) withDefaults() Options {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	for _, d := range []struct {
		v   *time.Duration
		def time.Duration
	}{
		{&o.ReadHeaderTimeout, DefaultReadHeaderTimeout}, {&o.ReadTimeout, DefaultReadTimeout},
		{&o.WriteTimeout, DefaultWriteTimeout}, {&o.IdleTimeout, DefaultIdleTimeout},
	} {
		if *d.v == 0 {
			*d.v = d.def
		}
	}
	if o.MaxConnections == 0 {
		o.MaxConnections = DefaultMaxConnections
	}
	return o
}

// Routes is a part of the server that adds its own endpoints (api.API, console.Console).
type Routes interface {
	Register(mux *http.ServeMux)
}

// Server is the HTTP server.
type Server struct {
	opts     Options
	server   *http.Server
	ln       net.Listener
	maxConns int
}

// New builds the server and binds its listener, so that Addr is known before Run.
func New(o Options) (*Server, error) {
	o = o.withDefaults()
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
	warnIfOpen(ln.Addr(), o.ConfigFile, o.Logger)
	server := &http.Server{Handler: mux, ReadHeaderTimeout: o.ReadHeaderTimeout, ReadTimeout: o.ReadTimeout,
		WriteTimeout: o.WriteTimeout, IdleTimeout: o.IdleTimeout}
	return &Server{opts: o, ln: netutil.LimitListener(ln, o.MaxConnections), server: server, maxConns: o.MaxConnections}, nil
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

// warnIfOpen logs a warning when addr is reachable beyond this host and the web config asks
// for no password: the API, the console and /metrics are then open to the network.
func warnIfOpen(addr net.Addr, configFile string, log *slog.Logger) {
	if a, ok := addr.(*net.TCPAddr); ok && a.IP.IsLoopback() {
		return
	}
	if HasBasicAuth(configFile) {
		return
	}
	log.Warn("HTTP API, console and /metrics served WITHOUT AUTHENTICATION beyond this host: anyone who reaches "+
		"the address reads every station's data; set basic_auth_users (and tls_server_config) in -web.config.file, "+
		"or listen on 127.0.0.1", "address", addr.String(), "web_config", configFile)
}

// HasBasicAuth reports whether the web config file (already validated) lists users
// (basic_auth_users). The exporter-toolkit reads the file again for every request, so a
// caller that must follow changes to it calls this again.
func HasBasicAuth(configFile string) bool {
	if configFile == "" {
		return false
	}
	data, err := os.ReadFile(configFile)
	if err != nil {
		return false
	}
	var c struct {
		Users map[string]string `yaml:"basic_auth_users"`
	}
	return yaml.Unmarshal(data, &c) == nil && len(c.Users) > 0
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
