package httpapi

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/crypto/bcrypt"
)

// run serves s until the test ends.
func run(t *testing.T, s *Server) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
}

// basicAuthConfig writes an exporter-toolkit web config with one basic-auth user and returns
// its path.
func basicAuthConfig(t *testing.T, user, password string) string {
	t.Helper()
	hash, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "web.yml")
	if err := os.WriteFile(path, fmt.Appendf(nil, "basic_auth_users:\n  %s: %s\n", user, hash), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// keepAlive opens a connection, sends one keep-alive GET (with basic auth when user is not
// empty), reads the response and returns the connection, now idle, and the response status.
func keepAlive(t *testing.T, addr, path, user, password string) (net.Conn, *bufio.Reader, int) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	req, err := http.NewRequest(http.MethodGet, "http://"+addr+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if user != "" {
		req.SetBasicAuth(user, password)
	}
	if err := req.Write(c); err != nil {
		t.Fatal(err)
	}
	r := bufio.NewReader(c)
	resp, err := http.ReadResponse(r, req)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.Close {
		t.Fatalf("GET %s: the server closed the connection after the response; want keep-alive", path)
	}
	return c, r, resp.StatusCode
}

// closedWithin waits until the server closes c (a read returns EOF) and reports how long it
// took, failing the test after limit.
func closedWithin(t *testing.T, c net.Conn, r *bufio.Reader, limit time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	if err := c.SetReadDeadline(start.Add(limit)); err != nil {
		t.Fatal(err)
	}
	_, err := r.ReadByte()
	var ne net.Error
	switch {
	case errors.As(err, &ne) && ne.Timeout():
		t.Fatalf("the server kept an idle connection open for %v", limit)
	case err == nil:
		t.Fatal("the server sent bytes on an idle connection")
	}
	return time.Since(start)
}

// TestIdleConnectionsClosed holds idle keep-alive connections to a server with basic auth,
// authenticated and not, and one that never sent a request: the server closes each within
// its idle timeout (read-header timeout for the silent one).
func TestIdleConnectionsClosed(t *testing.T) {
	const idle = 400 * time.Millisecond
	s, err := New(Options{Address: "127.0.0.1:0", ConfigFile: basicAuthConfig(t, "prometheus", "s3cret"),
		Gatherer: prometheus.NewRegistry(), IdleTimeout: idle, ReadHeaderTimeout: idle})
	if err != nil {
		t.Fatal(err)
	}
	run(t, s)
	type conn struct {
		name string
		c    net.Conn
		r    *bufio.Reader
	}
	var conns []conn
	for _, tc := range []struct {
		name, path, user, password string
		want                       int
	}{
		{"authenticated /metrics", "/metrics", "prometheus", "s3cret", http.StatusOK},
		{"authenticated /healthz", "/healthz", "prometheus", "s3cret", http.StatusOK},
		{"unauthenticated", "/metrics", "", "", http.StatusUnauthorized},
		{"wrong password", "/healthz", "prometheus", "wrong", http.StatusUnauthorized},
	} {
		c, r, code := keepAlive(t, s.Addr(), tc.path, tc.user, tc.password)
		if code != tc.want {
			t.Fatalf("%s: status %d, want %d", tc.name, code, tc.want)
		}
		conns = append(conns, conn{tc.name, c, r})
	}
	silent, err := net.Dial("tcp", s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	conns = append(conns, conn{"silent (no request)", silent, bufio.NewReader(silent)})
	for _, c := range conns {
		took := closedWithin(t, c.c, c.r, idle+3*time.Second)
		t.Logf("%s: closed by the server after %v", c.name, took.Round(time.Millisecond))
	}
}

// TestServerDefaults checks the timeouts and connection limit a server gets when Options leave
// them zero: all set, idle at most two minutes, and a write timeout far above the ~0.6 s of a
// gzipped /metrics scrape of 10,000 stations (README, Metrics).
func TestServerDefaults(t *testing.T) {
	s, err := New(Options{Address: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.ln.Close()
	hs := s.server
	for _, c := range []struct {
		name     string
		got      time.Duration
		min, max time.Duration
	}{
		{"ReadHeaderTimeout", hs.ReadHeaderTimeout, time.Second, 30 * time.Second},
		{"ReadTimeout", hs.ReadTimeout, 5 * time.Second, 2 * time.Minute},
		{"WriteTimeout", hs.WriteTimeout, 30 * time.Second, 5 * time.Minute},
		{"IdleTimeout", hs.IdleTimeout, 10 * time.Second, 2 * time.Minute},
	} {
		if c.got < c.min || c.got > c.max {
			t.Errorf("%s = %v, want in [%v, %v]", c.name, c.got, c.min, c.max)
		}
	}
	if s.maxConns != DefaultMaxConnections || DefaultMaxConnections < 64 || DefaultMaxConnections > 1024 {
		t.Errorf("connection limit %d (default %d), want the default, in [64, 1024]", s.maxConns, DefaultMaxConnections)
	}
}

// TestConnectionLimit holds MaxConnections idle connections: one more is not served until one
// of them closes.
func TestConnectionLimit(t *testing.T) {
	s, err := New(Options{Address: "127.0.0.1:0", MaxConnections: 2})
	if err != nil {
		t.Fatal(err)
	}
	run(t, s)
	c1, _, _ := keepAlive(t, s.Addr(), "/healthz", "", "")
	keepAlive(t, s.Addr(), "/healthz", "", "")
	client := &http.Client{Timeout: 500 * time.Millisecond, Transport: &http.Transport{DisableKeepAlives: true}}
	if resp, err := client.Get("http://" + s.Addr() + "/healthz"); err == nil {
		resp.Body.Close()
		t.Fatal("a third connection was served while two were held with a limit of 2")
	}
	c1.Close()
	client.Timeout = 5 * time.Second
	resp, err := client.Get("http://" + s.Addr() + "/healthz")
	if err != nil {
		t.Fatalf("no connection served once one was released: %v", err)
	}
	resp.Body.Close()
}
