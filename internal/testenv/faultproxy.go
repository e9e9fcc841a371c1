package testenv

import (
	"bytes"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"sync"
	"testing"
	"time"
)

// FaultProxy is an HTTP reverse proxy in front of a real service that lets a test inject the
// answers the service cannot be brought to give on demand (a 503, a refusal of a whole
// write, a slow answer). It is a fault injector, not a fake: every request it does not
// intercept reaches the real service.
type FaultProxy struct {
	url string
	mu  sync.Mutex
	// intercept, when set, sees each request (with its body) first: it returns true when it
	// has answered, false to forward the request.
	intercept func(w http.ResponseWriter, r *http.Request, body []byte) bool
}

// NewFaultProxy starts a proxy to target on a free loopback port; it stops with the test.
func NewFaultProxy(t testing.TB, target string) *FaultProxy {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &FaultProxy{url: "http://" + ln.Addr().String()}
	rp := httputil.NewSingleHostReverseProxy(u)
	srv := &http.Server{ReadHeaderTimeout: 10 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		f := p.intercept
		p.mu.Unlock()
		if f != nil && f(w, r, readBody(r)) {
			return
		}
		rp.ServeHTTP(w, r)
	})}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return p
}

// URL is the proxy's base URL, to give the client instead of the service's.
func (p *FaultProxy) URL() string { return p.url }

// Intercept sets (or, with nil, removes) the interceptor.
func (p *FaultProxy) Intercept(f func(w http.ResponseWriter, r *http.Request, body []byte) bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.intercept = f
}

// readBody reads r's body and puts it back for forwarding.
func readBody(r *http.Request) []byte {
	if r.Body == nil {
		return nil
	}
	b, _ := io.ReadAll(r.Body)
	_ = r.Body.Close()
	r.Body = io.NopCloser(bytes.NewReader(b))
	return b
}
