package httpapi

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/crypto/bcrypt"
)

// A server that anyone beyond this host can reach without a password says so loudly at start;
// on loopback, or with basic auth, it does not.
func TestWarnOpenListener(t *testing.T) {
	hash, err := bcrypt.GenerateFromPassword([]byte("secret"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	withAuth := filepath.Join(t.TempDir(), "web.yml")
	if err := os.WriteFile(withAuth, []byte("basic_auth_users:\n  inspector: "+string(hash)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tlsOnly := filepath.Join(t.TempDir(), "web.yml")
	if err := os.WriteFile(tlsOnly, []byte("http_server_config: {http2: false}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		address, config string
		warn            bool
	}{
		{"0.0.0.0:0", "", true},
		{"0.0.0.0:0", tlsOnly, true},
		{"0.0.0.0:0", withAuth, false},
		{"127.0.0.1:0", "", false},
		{"localhost:0", "", false},
	} {
		var buf bytes.Buffer
		s, err := New(Options{Address: tc.address, ConfigFile: tc.config, Gatherer: prometheus.NewRegistry(),
			Logger: slog.New(slog.NewTextHandler(&buf, nil))})
		if err != nil {
			t.Fatal(err)
		}
		_ = s.Close()
		warned := strings.Contains(buf.String(), "level=WARN") && strings.Contains(strings.ToLower(buf.String()), "without authentication")
		if warned != tc.warn {
			t.Errorf("%s with config %q: warned %v, want %v; log:\n%s", tc.address, tc.config, warned, tc.warn, buf.String())
		}
	}
}
